import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { describeCaught } from "../../lib/server/crash_guard.ts";

/** Runs `body` after installing the guard in a fresh process; returns its exit code and output. */
async function guarded(body: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const module = new URL("../../lib/server/crash_guard.ts", import.meta.url).href;
  const code = `
    const { installCrashGuard } = await import(${JSON.stringify(module)});
    installCrashGuard();
    ${body}
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("the crash guard logs an unhandled rejection in one line and the process goes on", async () => {
  const r = await guarded(`
    Promise.reject(new TypeError("boom"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    console.log("still running");
  `);
  assertEquals(r.code, 0);
  assertEquals(r.stdout, "still running\n");
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  match(
    lines[0],
    /^unhandled rejection \(the server keeps running\): TypeError: boom \(at .+:\d+:\d+\)$/,
  );
});

Deno.test("the crash guard logs an error thrown from a timer in one line and the process goes on", async () => {
  const r = await guarded(`
    setTimeout(() => { throw new RangeError("bad\\nvalue"); }, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    console.log("still running");
  `);
  assertEquals(r.code, 0);
  assertEquals(r.stdout, "still running\n");
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  match(lines[0], /^uncaught error \(the server keeps running\): RangeError: bad value \(at /);
});

Deno.test("a peer that went away mid-write is logged as such, not as a bug", async () => {
  const r = await guarded(`
    Promise.reject(new Deno.errors.ConnectionReset("reset by peer"));
    await new Promise((resolve) => setTimeout(resolve, 10));
  `);
  assertEquals(r.code, 0);
  match(
    r.stderr,
    /^a peer went away \(ConnectionReset: reset by peer \(at .+\)\); the server keeps running\n$/,
  );
});

Deno.test("errors before the guard is installed still end the process with Deno's report", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `Promise.reject(new TypeError("at start"));`],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  ok(!out.success);
  match(new TextDecoder().decode(out.stderr), /TypeError: at start/);
});

Deno.test("describeCaught() gives one line for errors and other values", () => {
  match(describeCaught(new Error("a\nb")), /^Error: a b \(at .+:\d+:\d+\)$/);
  assertEquals(describeCaught(42), "42");
  assertEquals(describeCaught(undefined), "undefined");
  const noStack = new Error("plain");
  noStack.stack = undefined;
  assertEquals(describeCaught(noStack), "Error: plain");
});
