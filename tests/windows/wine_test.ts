/**
 * The server and the line-mode client on Windows' own `deno.exe`, run under Wine by the shared
 * tools (`../shared/tools/wine/setup.sh` once, then `run.sh`), against a Linux-side raw IRC
 * client. Run by `deno task test:windows` (as root: run.sh uses a chroot) after the whole
 * suite has run on deno.exe (suite.ts); skipped, with a message, when the Wine chroot is not
 * set up. Not part of `deno task test`: each Wine start takes seconds.
 *
 * Wine turns a SIGINT sent to its process into CTRL_C_EVENT for the Windows program, so the
 * Ctrl+C test here exercises the server's real Windows signal path (Deno's SIGINT listener on
 * SetConsoleCtrlHandler).
 */
import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import path from "node:path";
import { TestClient } from "../helpers/irc_client.ts";
import { PROGRAMS } from "../../scripts/build.ts";
import { freePort, LineCollector } from "../../scripts/smoke.ts";
import { makeStage, wine, wineNotReady, winPath } from "./wine.ts";

const notReady = wineNotReady();
if (notReady) console.warn(`Windows (Wine) tests skipped: ${notReady}`);

function perms(name: string): string[] {
  return ["--no-prompt", ...PROGRAMS.find((p) => p.name === name)!.permissions];
}

interface WinServer {
  proc: Deno.ChildProcess;
  out: LineCollector;
  err: LineCollector;
  port: number;
}

async function startWinServer(stage: string, extra: string[]): Promise<WinServer> {
  const port = freePort();
  const proc = wine(stage, [
    "run",
    ...perms("chat-server"),
    "server.ts",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--tls-port",
    String(freePort()),
    "--http-port",
    "0",
    ...extra,
  ]);
  const out = new LineCollector(proc.stdout);
  const err = new LineCollector(proc.stderr);
  try {
    await out.waitFor(new RegExp(`listening on 127\\.0\\.0\\.1:${port}`), "the server", 90000);
  } catch (e) {
    try {
      proc.kill("SIGKILL");
    } catch {
      // gone
    }
    throw new Error(`${(e as Error).message}\nstderr:\n${err.lines.join("\n")}`);
  }
  return { proc, out, err, port };
}

Deno.test({
  name: "Windows deno.exe (Wine): server and line-mode client chat with a Linux client; " +
    "the database is made in a folder with a space and 'ë'; Ctrl+C stops the server cleanly",
  ignore: notReady !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stage = await makeStage();
    const dataDir = path.join(stage, "repo", "My Chat Zoë");
    const server = await startWinServer(stage, ["--data", winPath(dataDir)]);
    let linux: TestClient | undefined;
    try {
      linux = await TestClient.connect(server.port);
      await linux.register("linux");
      linux.send("JOIN #win");
      await linux.expect(/ 366 linux #win /);

      const client = wine(stage, [
        "run",
        ...perms("chat-client"),
        "client.ts",
        "--server",
        `127.0.0.1:${server.port}`,
        "--nick",
        "win",
        "--join",
        "#win",
      ], { stdin: "piped" });
      const out = new LineCollector(client.stdout);
      const err = new LineCollector(client.stderr);
      const writer = client.stdin.getWriter();
      await linux.expect(/^:win!\S+ JOIN :?#win/, 90000);
      linux.send("PRIVMSG #win :hello from Linux, ünïcödé too");
      await out.waitFor(/<linux> hello from Linux, ünïcödé too/, "the Windows client to show it");
      await writer.write(new TextEncoder().encode("hello from Windows, Zoë\n"));
      await writer.close();
      await linux.expect(/^:win!\S+ PRIVMSG #win :hello from Windows, Zoë$/);
      const status = await client.status;
      await out.done;
      await err.done;
      assertEquals(status.code, 0, `client:\n${out.lines.join("\n")}\n${err.lines.join("\n")}`);

      ok((await Deno.stat(path.join(dataDir, "chat.db"))).isFile, "chat.db in the data folder");
      ok(server.out.lines.some((l) => l.includes("My Chat Zoë")), server.out.lines.join("\n"));

      // Ctrl+C: Wine delivers SIGINT to deno.exe as CTRL_C_EVENT
      server.proc.kill("SIGINT");
      assertEquals(await linux.expect(/^ERROR/, 30000), "ERROR :Server shutting down");
      const code = (await server.proc.status).code;
      await server.out.done;
      assertEquals(code, 0, server.err.lines.join("\n"));
      ok(server.out.lines.includes("shutting down..."), server.out.lines.join("\n"));
    } finally {
      try {
        server.proc.kill("SIGKILL");
      } catch {
        // exited
      }
      await linux?.close();
      await Deno.remove(stage, { recursive: true });
    }
  },
});

Deno.test({
  name: "Windows deno.exe (Wine): default data folder is chat-data in the current folder, " +
    "and %LOCALAPPDATA%\\deno-chat when started in C:\\Windows\\System32",
  ignore: notReady !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stage = await makeStage();
    try {
      // started in its own folder (a double click starts it in the folder of the .exe)
      const here = await startWinServer(stage, []);
      here.proc.kill("SIGINT");
      await here.proc.status;
      await here.out.done;
      const line = here.out.lines.find((l) => l.startsWith("data folder:")) ?? "";
      match(line, /^data folder: Z:\\.*\\repo\\chat-data \(in the current folder/);
      ok((await Deno.stat(path.join(stage, "repo", "chat-data", "chat.db"))).isFile);

      // started in C:\Windows\System32: a small launcher spawns the server there
      await Deno.writeTextFile(
        path.join(stage, "repo", "launch_in_system32.ts"),
        `const [port, ...perms] = Deno.args;
const p = new Deno.Command(Deno.execPath(), {
  cwd: "C:\\\\windows\\\\system32",
  args: ["run", ...perms, ${JSON.stringify(winPath(path.join(stage, "repo", "server.ts")))},
    "--host", "127.0.0.1", "--port", port, "--tls-port", "0", "--http-port", "0"],
  stdout: "piped", stderr: "inherit", stdin: "null",
}).spawn();
const r = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
let text = "";
while (!/listening on/.test(text)) {
  const { value, done } = await r.read();
  if (done) break;
  text += value;
}
console.log(text);
p.kill("SIGKILL");
await p.status;
`,
      );
      const launcher = wine(stage, [
        "run",
        "-A",
        "launch_in_system32.ts",
        String(freePort()),
        ...perms("chat-server"),
      ]);
      const out = await launcher.output();
      const text = new TextDecoder().decode(out.stdout);
      match(
        text,
        /data folder: C:\\users\\root\\AppData\\Local\\deno-chat \(the current folder is the Windows folder/i,
      );
      match(text, /listening on 127\.0\.0\.1:/);
    } finally {
      await Deno.remove(stage, { recursive: true });
    }
  },
});

Deno.test({
  name: "Windows deno.exe (Wine): a port in use stops the server with one line and exit 2, " +
    "without waiting for Enter when stdin is not a console",
  ignore: notReady !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stage = await makeStage();
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (busy.addr as Deno.NetAddr).port;
      const proc = wine(stage, [
        "run",
        ...perms("chat-server"),
        "server.ts",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--tls-port",
        "0",
        "--http-port",
        "0",
        "--data",
        winPath(path.join(stage, "data")),
      ]);
      const out = await proc.output();
      const stderr = new TextDecoder().decode(out.stderr).trim();
      assertEquals(out.code, 2, stderr);
      match(stderr, new RegExp(`^chat-server: port ${port} on 127\\.0\\.0\\.1 is already in use`));
      ok(!new TextDecoder().decode(out.stdout).includes("Press Enter"));
    } finally {
      busy.close();
      await Deno.remove(stage, { recursive: true });
    }
  },
});
