/**
 * Smoke test of the two programs, as built binaries (the release workflow, after
 * `deno task build`) or from source with exactly the permissions the binaries get:
 *
 * ```sh
 * deno run -A scripts/smoke.ts --dist dist   # dist/chat-server(.exe) etc. for this machine
 * deno run -A scripts/smoke.ts --source      # deno run <the binaries' permissions> server.ts
 * ```
 *
 * It starts the server on 127.0.0.1 (free ports, a fresh data folder whose name has a space and
 * a non-ASCII letter), checks `--version`, the database file and the embedded web app, then a
 * raw IRC client and the real client in line mode (stdin piped) exchange a message both ways,
 * and Ctrl+C stops the server (where a parent process can send it: not on Windows, see
 * {@link stopServer}). Any failure throws with the output collected so far.
 *
 * @module
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { binaryName, hostTarget, PROGRAMS } from "./build.ts";

/** The repository root (this file lives in scripts/). */
export const ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * How to start each program: the command and the arguments before the program's own.
 *
 * @example
 * ```ts
 * import { sourceCommands } from "./smoke.ts";
 * sourceCommands().server.args[0]; // "run"
 * ```
 */
export interface SmokeCommands {
  server: { command: string; args: string[] };
  client: { command: string; args: string[] };
}

/**
 * Commands that run the built binaries of this machine's target from `dist`.
 *
 * @example
 * ```ts ignore
 * import { distCommands } from "./smoke.ts";
 * distCommands("dist").server.command; // ".../dist/chat-server-linux-x64"
 * ```
 */
export function distCommands(dist: string, hostTriple: string = Deno.build.target): SmokeCommands {
  const target = hostTarget(hostTriple);
  if (!target) throw new Error(`no binaries are built for ${hostTriple}`);
  const bin = (name: string) => ({
    command: path.resolve(dist, binaryName(name, target)),
    args: [],
  });
  return { server: bin("chat-server"), client: bin("chat-client") };
}

/**
 * Commands that run server.ts and client.ts with `deno run` and the very permissions the
 * binaries get (scripts/build.ts), so a missing permission shows up without compiling.
 *
 * @example
 * ```ts
 * import { sourceCommands } from "./smoke.ts";
 * sourceCommands().client.args.includes("--allow-all"); // false
 * ```
 */
export function sourceCommands(deno: string = Deno.execPath()): SmokeCommands {
  const run = (name: string) => {
    const p = PROGRAMS.find((x) => x.name === name)!;
    return {
      command: deno,
      args: ["run", "--no-prompt", ...p.permissions, path.join(ROOT, p.entry)],
    };
  };
  return { server: run("chat-server"), client: run("chat-client") };
}

/** A free TCP port on 127.0.0.1 (free now; the server may still lose a race for it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Lines read from a byte stream, kept in an array that grows as they arrive. */
export class LineCollector {
  readonly lines: string[] = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, onLine?: (line: string) => void) {
    this.done = (async () => {
      const decoder = new TextDecoder();
      let buf = "";
      try {
        for await (const chunk of stream) {
          buf += decoder.decode(chunk, { stream: true });
          let i;
          while ((i = buf.indexOf("\n")) !== -1) {
            const line = buf.slice(0, i).replace(/\r$/, "");
            buf = buf.slice(i + 1);
            this.lines.push(line);
            onLine?.(line);
          }
        }
      } catch {
        // stream broken: the process or connection is gone
      }
      if (buf !== "") this.lines.push(buf);
    })();
  }

  /** Waits (bounded) for a line matching `re`; throws with every line so far. */
  async waitFor(re: RegExp, what: string, ms = 20000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what} (${re}); got:\n${this.lines.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A minimal raw IRC client: enough to join a channel and watch it. */
export class RawIrc {
  readonly #conn: Deno.TcpConn;
  readonly lines: LineCollector;
  readonly #enc = new TextEncoder();

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.lines = new LineCollector(conn.readable, (line) => {
      // answer the server's PINGs so a slow run is never dropped
      if (line.startsWith("PING ")) this.send("PONG " + line.slice(5));
    });
  }

  /** Connects to 127.0.0.1:port, registers as `nick` and joins `channel`. */
  static async join(port: number, nick: string, channel: string): Promise<RawIrc> {
    const irc = new RawIrc(await Deno.connect({ hostname: "127.0.0.1", port }));
    irc.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
    await irc.lines.waitFor(/ 001 /, "the welcome (001)");
    irc.send(`JOIN ${channel}`);
    await irc.lines.waitFor(new RegExp(` 366 ${nick} ${channel} `), `the end of NAMES`);
    return irc;
  }

  /** Sends lines, each with CRLF. */
  send(...lines: string[]): void {
    this.#conn.write(this.#enc.encode(lines.map((l) => l + "\r\n").join(""))).catch(() => {});
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** A started server and what it printed. */
export interface SmokeServer {
  process: Deno.ChildProcess;
  stdout: LineCollector;
  stderr: LineCollector;
  port: number;
  httpPort: number;
}

/**
 * Starts the server on 127.0.0.1 with free ports (IRC, TLS, web) and `dataDir`, and waits
 * until it says it listens.
 */
export async function startServer(
  cmd: SmokeCommands["server"],
  dataDir: string,
  extraEnv: Record<string, string> = {},
): Promise<SmokeServer> {
  const port = freePort();
  const tlsPort = freePort();
  const httpPort = freePort();
  const process = new Deno.Command(cmd.command, {
    args: [
      ...cmd.args,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--tls-port",
      String(tlsPort),
      "--http-port",
      String(httpPort),
      "--data",
      dataDir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...extraEnv },
  }).spawn();
  const stdout = new LineCollector(process.stdout);
  const stderr = new LineCollector(process.stderr);
  const exited = process.status.then((s) => {
    throw new Error(
      `the server exited at start (code ${s.code}):\n${stdout.lines.join("\n")}\n${
        stderr.lines.join("\n")
      }`,
    );
  });
  // the web server starts last, so its line means everything listens
  await Promise.race([
    stdout.waitFor(new RegExp(`listening on 127\\.0\\.0\\.1:${port}`), "the server to listen"),
    exited,
  ]);
  await Promise.race([
    stdout.waitFor(new RegExp(`web chat listening on 127\\.0\\.0\\.1:${httpPort}`), "the web chat"),
    exited,
  ]);
  exited.catch(() => {}); // from here on an exit is the test's business
  return { process, stdout, stderr, port, httpPort };
}

/**
 * Stops the server with Ctrl+C (SIGINT) and returns its exit code. On Windows a parent process
 * cannot send Ctrl+C to a child (Deno's `kill("SIGINT")` terminates it, exit code 1), so there
 * the server is terminated and `graceful` is false; the real Ctrl+C path on Windows is tested
 * under Wine (tests/windows), where SIGINT becomes CTRL_C_EVENT.
 */
export async function stopServer(
  server: SmokeServer,
): Promise<{ code: number; graceful: boolean }> {
  const graceful = Deno.build.os !== "windows";
  try {
    server.process.kill("SIGINT");
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      server.process.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, 15000);
  const status = await server.process.status;
  clearTimeout(timer);
  await server.stdout.done;
  await server.stderr.done;
  return { code: status.code, graceful };
}

/**
 * Runs the whole smoke test; resolves with a short report, throws on the first failure.
 *
 * @example
 * ```ts ignore
 * import { runSmoke, sourceCommands } from "./smoke.ts";
 * console.log(await runSmoke(sourceCommands()));
 * ```
 */
export async function runSmoke(cmds: SmokeCommands): Promise<string[]> {
  const report: string[] = [];
  const version = await new Deno.Command(cmds.server.command, {
    args: [...cmds.server.args, "--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const versionText = new TextDecoder().decode(version.stdout).trim();
  if (!version.success || !/^deno-chat \S+/.test(versionText)) {
    throw new Error(`chat-server --version printed "${versionText}" (code ${version.code})`);
  }
  report.push(`version: ${versionText}`);

  const base = await Deno.makeTempDir({ prefix: "deno-chat-smoke-" });
  // a space and a non-ASCII letter, as in C:\Users\Zoë\My Chat
  const dataDir = path.join(base, "My Chat Zoë");
  const server = await startServer(cmds.server, dataDir);
  let watcher: RawIrc | undefined;
  try {
    const dbFile = path.join(dataDir, "chat.db");
    if (!(await Deno.stat(dbFile)).isFile) throw new Error(`no database at ${dbFile}`);
    report.push(`database: ${dbFile}`);

    // TLS is on, so the web chat is HTTPS with the server's own certificate: trust just that
    const certPem = await Deno.readTextFile(path.join(dataDir, "tls", "cert.pem"));
    const https = Deno.createHttpClient({ caCerts: [certPem] });
    const webUrl = `https://127.0.0.1:${server.httpPort}/`;
    try {
      const page = await fetch(webUrl, { client: https });
      const html = await page.text();
      if (page.status !== 200 || !/<html/i.test(html)) {
        throw new Error(`the web app at / answered ${page.status}: ${html.slice(0, 200)}`);
      }
    } finally {
      https.close();
    }
    report.push(`web app: ${webUrl} serves the page`);

    watcher = await RawIrc.join(server.port, "watcher", "#smoke");
    const client = new Deno.Command(cmds.client.command, {
      args: [
        ...cmds.client.args,
        "--server",
        `127.0.0.1:${server.port}`,
        "--nick",
        "smoker",
        "--join",
        "#smoke",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const out = new LineCollector(client.stdout);
    const err = new LineCollector(client.stderr);
    const writer = client.stdin.getWriter();
    try {
      await watcher.lines.waitFor(/^:smoker!\S+ JOIN :?#smoke/, "the client to join #smoke");
      watcher.send("PRIVMSG #smoke :hello from the watcher");
      await out.waitFor(/<watcher> hello from the watcher/, "the client to show the message");
      await writer.write(new TextEncoder().encode("hello from the client\n"));
      await writer.close();
      await watcher.lines.waitFor(
        /^:smoker!\S+ PRIVMSG #smoke :hello from the client$/,
        "the client's message",
      );
      const status = await client.status;
      await out.done;
      await err.done;
      if (status.code !== 0) {
        throw new Error(
          `the client exited with ${status.code}:\n${out.lines.join("\n")}\n${
            err.lines.join("\n")
          }`,
        );
      }
    } catch (e) {
      try {
        client.kill("SIGKILL");
      } catch {
        // gone
      }
      throw e;
    }
    report.push("chat: the client got the watcher's message and sent its own, then quit (0)");
  } catch (err) {
    await stopServer(server);
    watcher?.close();
    await Deno.remove(base, { recursive: true }).catch(() => {});
    throw err;
  }
  try {
    const stop = await stopServer(server);
    if (stop.graceful) {
      if (stop.code !== 0) {
        throw new Error(
          `Ctrl+C: the server exited with ${stop.code}:\n${server.stderr.lines.join("\n")}`,
        );
      }
      await watcher.lines.waitFor(/^ERROR :Server shutting down/, "the shutdown notice");
      report.push("Ctrl+C: clients told, server exited 0");
    } else {
      report.push(`stop: terminated (code ${stop.code}; Windows cannot send Ctrl+C to a child)`);
    }
  } finally {
    watcher.close();
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
  return report;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { dist: { type: "string" }, source: { type: "boolean", default: false } },
  });
  if (!values.source && values.dist === undefined) {
    console.error("usage: smoke.ts --dist DIR | --source");
    Deno.exit(2);
  }
  const cmds = values.source ? sourceCommands() : distCommands(values.dist!);
  try {
    for (const line of await runSmoke(cmds)) console.log(`smoke: ${line}`);
    console.log("smoke: ok");
  } catch (err) {
    console.error(`smoke: FAILED: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
