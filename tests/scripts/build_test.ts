/**
 * scripts/build.ts builds its `deno compile` command lines right (compiling itself needs the
 * internet, so it is not run here), and the permissions it bakes in are enough: the smoke test
 * runs server.ts and client.ts with exactly those, and every permission the programs ask for
 * under `-A` (recorded with DENO_AUDIT_PERMISSIONS) is one the binaries have.
 */
import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import path from "node:path";
import {
  binaryName,
  compileArgs,
  downloadFailureMessage,
  isRuntimeDownloadFailure,
  parseBuildArgs,
  PROGRAMS,
  resolveVersion,
  stampVersion,
  TARGETS,
} from "../../scripts/build.ts";
import { ROOT, runSmoke, sourceCommands } from "../../scripts/smoke.ts";
import { STORE_ENV } from "../../lib/store/open.ts";

const server = PROGRAMS.find((p) => p.name === "chat-server")!;
const client = PROGRAMS.find((p) => p.name === "chat-client")!;

Deno.test("TARGETS builds Windows first, then Linux and both macOS", () => {
  assertEquals(TARGETS.map((t) => t.triple), [
    "x86_64-pc-windows-msvc",
    "x86_64-unknown-linux-gnu",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
  ]);
  assertEquals(
    TARGETS.map((t) => binaryName("chat-server", t)),
    [
      "chat-server.exe",
      "chat-server-linux-x64",
      "chat-server-macos-arm64",
      "chat-server-macos-x64",
    ],
  );
});

Deno.test("compileArgs() for the Windows server: target, output, permissions, web app, icon", () => {
  const out = path.join("/repo", "dist");
  const args = compileArgs(server, TARGETS[0], {
    outDir: out,
    includes: ["lib/web/static"],
    icon: "/repo/assets/deno-chat.ico",
  });
  assertEquals(args, [
    "compile",
    "--target",
    "x86_64-pc-windows-msvc",
    "--output",
    path.join(out, "chat-server.exe"),
    "--no-prompt",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    `--allow-env=${
      ["SystemRoot", "windir", "LOCALAPPDATA", "USERPROFILE", "HOME", "XDG_DATA_HOME", ...STORE_ENV]
        .join(",")
    }`,
    "--allow-sys=networkInterfaces,hostname",
    "--v8-flags=--max-semi-space-size=4",
    "--include",
    "lib/web/static",
    "--icon",
    "/repo/assets/deno-chat.ico",
    "server.ts",
  ]);
});

Deno.test("deno task start runs the server with the runtime flags its binary has", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  const start = tasks.start.split(" ");
  for (const flag of server.runtimeFlags ?? []) {
    ok(start.includes(flag), `${flag} in ${tasks.start}`);
  }
  ok((server.runtimeFlags ?? []).length > 0);
  // and the client has none: it holds one connection
  assertEquals(client.runtimeFlags, undefined);
});

Deno.test("the server binary embeds exactly the folders the web server serves", () => {
  assertEquals(server.include, ["lib/web/static", "lib/shared", "lib/protocol"]);
});

Deno.test("compileArgs() never grants -A or run, ffi only to the Linux server, an icon only on Windows", () => {
  for (const program of PROGRAMS) {
    for (const target of TARGETS) {
      const args = compileArgs(program, target, { outDir: "/d", includes: [], icon: "/i.ico" });
      assertEquals(args.at(-1), program.entry);
      ok(!args.some((a) => /^(-A|--allow-all|--allow-run)/.test(a)), args.join(" "));
      const ffi = program.name === "chat-server" && target.triple.includes("linux");
      assertEquals(args.includes("--allow-ffi"), ffi, args.join(" "));
      assertEquals(args.includes("--icon"), target.exe);
    }
  }
  ok(!client.permissions.some((p) => p.startsWith("--allow-sys")));
});

Deno.test("parseBuildArgs() picks targets in build order and rejects unknown ones", () => {
  assertEquals(parseBuildArgs([]).targets.length, 4);
  assertEquals(
    parseBuildArgs(["--target", "x86_64-apple-darwin", "--target", "x86_64-pc-windows-msvc"])
      .targets.map((t) => t.triple),
    ["x86_64-pc-windows-msvc", "x86_64-apple-darwin"],
  );
  assertEquals(
    parseBuildArgs(["--host"], "x86_64-unknown-linux-gnu").targets.map((t) => t.triple),
    ["x86_64-unknown-linux-gnu"],
  );
  assertEquals(parseBuildArgs(["--dry-run"]).dryRun, true);
  throws(() => parseBuildArgs(["--target", "riscv64-linux"]), /unknown target/);
  throws(() => parseBuildArgs(["--host"], "riscv64gc-unknown-linux-gnu"), /not one of/);
  throws(() => parseBuildArgs(["--bogus"]));
});

Deno.test("resolveVersion() prefers DENO_CHAT_VERSION, then git describe, then the source", () => {
  assertEquals(resolveVersion({ env: "v2.0.1", describe: "v1.0.0", source: "0.1.0" }), "2.0.1");
  assertEquals(resolveVersion({ env: " ", describe: "v1.0.0", source: "0.1.0" }), "1.0.0");
  assertEquals(
    resolveVersion({ env: undefined, describe: "v1.0.0-2-gabc1234-dirty", source: "0.1.0" }),
    "1.0.0-2-gabc1234-dirty",
  );
  assertEquals(
    resolveVersion({ env: undefined, describe: "abc1234", source: "0.1.0" }),
    "0.1.0+abc1234",
  );
  assertEquals(resolveVersion({ env: undefined, describe: "", source: "0.1.0" }), "0.1.0");
});

Deno.test("stampVersion() rewrites the VERSION line of the real lib/version.ts", async () => {
  const source = await Deno.readTextFile(path.join(ROOT, "lib", "version.ts"));
  const stamped = stampVersion(source, "1.2.3-4-gabc");
  ok(stamped.includes('export const VERSION = "1.2.3-4-gabc";'));
  assertEquals(
    stamped.replace("1.2.3-4-gabc", ""),
    source.replace(/VERSION = "[^"]*"/, 'VERSION = ""'),
  );
  throws(() => stampVersion("export const V = 1;", "1.0.0"), /no line/);
  throws(() => stampVersion(source, '1"; evil()'), /bad version/);
});

Deno.test("isRuntimeDownloadFailure() recognises deno compile's download error", () => {
  // what deno 2.9.6 printed here, without internet
  const real = `error: Writing deno compile executable to temporary file '/r/dist/x.tmp-1'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known`;
  ok(isRuntimeDownloadFailure(real));
  ok(!isRuntimeDownloadFailure('error: Module not found "file:///r/lib/x.ts".'));
  ok(
    downloadFailureMessage("x86_64-pc-windows-msvc").includes("denort-x86_64-pc-windows-msvc.zip"),
  );
});

Deno.test("`deno task build --dry-run` prints one deno compile per program and target", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", path.join(ROOT, "scripts", "build.ts"), "--dry-run"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l.startsWith("build: deno compile")
  );
  assertEquals(lines.length, TARGETS.length * PROGRAMS.length);
  ok(lines[0].includes("x86_64-pc-windows-msvc") && lines[0].endsWith("server.ts"));
});

Deno.test({
  name: "the binaries' permissions suffice: smoke test of server.ts and client.ts from source",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const report = await runSmoke(sourceCommands());
    ok(report.some((l) => l.startsWith("chat:")), report.join("\n"));
  },
});

interface AuditEntry {
  permission: string;
  value: string | null;
}

async function audited(cmd: string[], stdin: string | undefined, cwd: string, file: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...cmd],
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_AUDIT_PERMISSIONS: file, NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  return child;
}

function allowedBy(permissions: string[], entry: AuditEntry): boolean {
  for (const flag of permissions) {
    const m = /^--allow-([a-z]+)(?:=(.*))?$/.exec(flag);
    if (!m || m[1] !== entry.permission) continue;
    if (m[2] === undefined) return true;
    if (entry.value !== null && m[2].split(",").includes(entry.value)) return true;
  }
  return false;
}

Deno.test({
  name:
    "every permission server.ts and client.ts use (audited under -A) is baked into the binaries",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "deno-chat-audit-" });
    try {
      const serverAudit = path.join(dir, "server.jsonl");
      const clientAudit = path.join(dir, "client.jsonl");
      // no --data: the default data folder rule reads its environment variables
      const srv = await audited(
        [
          path.join(ROOT, "server.ts"),
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--tls-port",
          "0",
          "--http-port",
          "0",
        ],
        undefined,
        dir,
        serverAudit,
      );
      const reader = srv.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let printed = "";
      let port = 0;
      while (port === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server exited: ${printed}`);
        printed += value;
        port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(printed)?.[1] ?? 0);
      }
      const cl = await audited(
        [path.join(ROOT, "client.ts"), "--server", `127.0.0.1:${port}`, "--nick", "audit"],
        "hello\n",
        dir,
        clientAudit,
      );
      assertEquals((await cl.output()).code, 0);
      srv.kill("SIGINT");
      await srv.status;
      await reader.cancel();
      await srv.stderr.cancel();
      for (const [file, program] of [[serverAudit, server], [clientAudit, client]] as const) {
        const entries: AuditEntry[] = (await Deno.readTextFile(file)).split("\n")
          .filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
        ok(entries.length > 0, `${program.name}: nothing audited`);
        // this machine's binary would be the Linux one when running on Linux
        const granted = Deno.build.os === "linux"
          ? [...program.permissions, ...program.linuxPermissions ?? []]
          : program.permissions;
        const missing = entries.filter((e) => !allowedBy(granted, e));
        assertEquals(
          [...new Set(missing.map((e) => `${e.permission}:${e.value}`))],
          [],
          `${program.name} uses permissions its binary lacks (scripts/build.ts PROGRAMS)`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
