/**
 * What the client's tests run against: an ngircd instance in a temp folder, the project's
 * own server (restartable on its port), a raw IRC peer, and a private tmux server for the
 * terminal client.
 *
 * @module
 */

import { LineFramer } from "../../lib/protocol/framer.ts";
import { freePort, waitFor } from "./wait.ts";

/**
 * Whether a program can be started.
 *
 * @example
 * ```ts
 * import { hasProgram } from "./client_harness.ts";
 * const haveTmux = await hasProgram("tmux", ["-V"]);
 * ```
 */
export async function hasProgram(name: string, args: string[] = ["--version"]): Promise<boolean> {
  try {
    const out = await new Deno.Command(name, { args, stdout: "null", stderr: "null" }).output();
    return out.code === 0 || out.code === 1 || out.code === 2;
  } catch {
    return false;
  }
}

/**
 * A running ngircd.
 *
 * @example
 * ```ts
 * import { type Ngircd, startNgircd } from "./client_harness.ts";
 * const s: Ngircd | undefined = await startNgircd();
 * await s?.dispose();
 * ```
 */
export interface Ngircd {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it and removes its temp folder. */
  dispose(): Promise<void>;
  /** Everything it logged. */
  log(): string;
}

/**
 * Starts ngircd (`ngircd -n -f conf`) with a generated configuration in a temp folder, on
 * a free 127.0.0.1 port; resolves once it says it is ready. Returns undefined when the
 * binary is not installed.
 *
 * @example
 * ```ts
 * import { startNgircd } from "./client_harness.ts";
 * const server = await startNgircd();
 * if (server) await server.dispose();
 * ```
 */
export async function startNgircd(): Promise<Ngircd | undefined> {
  const bin = ["/usr/sbin/ngircd", "/usr/bin/ngircd", "ngircd"];
  let exe: string | undefined;
  for (const b of bin) {
    if (await hasProgram(b)) {
      exe = b;
      break;
    }
  }
  if (!exe) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "chat-client-ngircd-" });
  await Deno.chmod(dir, 0o755).catch(() => {});
  let port = 0;
  let child: Watched<unknown> | undefined;
  let logText = "";

  const launch = async (): Promise<boolean> => {
    const conf = `${dir}/ngircd.conf`;
    await Deno.writeTextFile(
      conf,
      [
        "[Global]",
        "Name = irc.test",
        "Info = deno-chat client test server",
        "Listen = 127.0.0.1",
        `Ports = ${port}`,
        "MotdPhrase = Welcome to the test server",
        "AdminInfo1 = test",
        "AdminInfo2 = test",
        "AdminEMail = test@example.invalid",
        "[Limits]",
        "MaxNickLength = 30",
        "MaxConnectionsIP = 0",
        "PingTimeout = 120",
        "PongTimeout = 60",
        "[Options]",
        "PAM = no",
        "Ident = no",
        "DNS = no",
        "RequireAuthPing = no",
        "",
      ].join("\n"),
    );
    await Deno.chmod(conf, 0o644).catch(() => {});
    const started = await spawnWatched(
      new Deno.Command(exe!, {
        args: ["-n", "-f", conf],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }),
      (text) =>
        /ready\./.test(text) ? true : /Can't bind|No listening/i.test(text) ? null : undefined,
      10000,
    );
    // a running process's output stays live in `child`; a failed one's is kept here
    if (started.result) child = started;
    else logText += started.output;
    return started.result === true;
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    await c?.stop();
  };

  for (let attempt = 0; attempt < 5; attempt++) {
    port = freePort();
    logText = "";
    if (await launch()) {
      return {
        port,
        stop,
        restart: async () => {
          for (let i = 0; i < 20; i++) {
            if (await launch()) return;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error("ngircd did not restart:\n" + logText);
        },
        dispose: async () => {
          await stop();
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        },
        log: () => logText + (child?.output ?? ""),
      };
    }
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error("ngircd did not start:\n" + logText);
}

/** A process started by {@link spawnWatched}, with what its output decided. */
interface Watched<T> {
  /** The judge's verdict: a value once started, null when it failed or timed out. */
  result: T | null;
  /** Everything it printed so far. */
  readonly output: string;
  /** SIGTERM, then waits for it and its output to end. */
  stop(): Promise<void>;
}

/**
 * Spawns `command` and reads its stdout and stderr until `judge` returns a value (started)
 * or null (failed), or `timeoutMs` passes (failed); a failed process is killed and awaited.
 */
async function spawnWatched<T>(
  command: Deno.Command,
  judge: (output: string) => T | null | undefined,
  timeoutMs: number,
): Promise<Watched<T>> {
  const proc = command.spawn();
  let output = "";
  let decide!: (v: T | null) => void;
  const verdict = new Promise<T | null>((r) => decide = r);
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      output += dec.decode(chunk, { stream: true });
      const v = judge(output);
      if (v !== undefined) decide(v);
    }
  };
  const pump = Promise.all([read(proc.stdout), read(proc.stderr)]).then(() => decide(null));
  const timer = setTimeout(() => decide(null), timeoutMs);
  const result = await verdict;
  clearTimeout(timer);
  const end = async (signal: Deno.Signal) => {
    try {
      proc.kill(signal);
    } catch {
      // already gone
    }
    await proc.status;
    await pump;
  };
  if (result === null) await end("SIGKILL");
  return {
    result,
    get output() {
      return output;
    },
    stop: () => end("SIGTERM"),
  };
}

/**
 * A raw IRC connection for tests: send lines, wait for a line matching a pattern.
 *
 * @example
 * ```ts
 * import { RawPeer } from "./client_harness.ts";
 * // const peer = await RawPeer.connect(6667); await peer.register("alice");
 * ```
 */
export class RawPeer {
  readonly lines: string[] = [];
  #conn: Deno.Conn;
  #pump: Promise<void>;
  #enc = new TextEncoder();
  #closed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#pump = this.#read();
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<RawPeer> {
    return new RawPeer(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async #read(): Promise<void> {
    const framer = new LineFramer({ maxBody: 16384, maxTags: 8191 });
    const buf = new Uint8Array(8192);
    for (;;) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        break;
      }
      if (n === null) break;
      for (const f of framer.push(buf.subarray(0, n))) {
        if (f.kind === "line") {
          this.lines.push(f.text);
          if (f.text.startsWith("PING ")) this.send("PONG " + f.text.slice(5));
        }
      }
    }
  }

  /** Sends one line. */
  send(line: string): void {
    if (this.#closed) return;
    const bytes = this.#enc.encode(line + "\r\n");
    this.#conn.write(bytes).catch(() => {});
  }

  /** Waits for a line matching `re` (searching from line index `from`); returns it. */
  waitFor(re: RegExp, timeoutMs = 10000, from = 0): Promise<string> {
    return waitFor(
      `a line matching ${re}`,
      () => this.lines.slice(from).find((l) => re.test(l)),
      timeoutMs,
    );
  }

  /** Registers with NICK/USER and waits for the welcome. */
  async register(nick: string): Promise<void> {
    this.send(`NICK ${nick}`);
    this.send(`USER ${nick} 0 * :${nick}`);
    await this.waitFor(/^:\S+ 001 /);
  }

  /** Closes the connection and waits for the reader to end. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    await this.#pump;
  }
}

/**
 * A server under test that can be restarted on the same port.
 *
 * @example
 * ```ts
 * import { startChatServer, type TestServer } from "./client_harness.ts";
 * const s: TestServer | undefined = await startChatServer();
 * await s?.dispose();
 * ```
 */
export interface TestServer {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Which implementation it is. */
  kind: "deno-chat" | "ngircd";
  /** Stops it and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it and removes its temp folder. */
  dispose(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url);

/**
 * The path of a file in the repository.
 *
 * @example
 * ```ts
 * import { repoPath } from "./client_harness.ts";
 * repoPath("client.ts"); // "/.../client.ts"
 * ```
 */
export function repoPath(rel: string): string {
  return new URL(rel, ROOT).pathname;
}

/**
 * Starts the project's own server (`server.ts`) on 127.0.0.1 with a temp data folder;
 * resolves once it listens. Returns undefined when server.ts does not exist yet.
 *
 * @example
 * ```ts
 * import { startChatServer } from "./client_harness.ts";
 * const s = await startChatServer();
 * if (s) await s.dispose();
 * ```
 */
export async function startChatServer(): Promise<TestServer | undefined> {
  try {
    await Deno.stat(repoPath("server.ts"));
  } catch {
    return undefined;
  }
  const dir = await Deno.makeTempDir({ prefix: "chat-client-server-" });
  let child: Watched<unknown> | undefined;
  let port = 0;
  let lastOutput = "";
  const launch = async (wantPort: number): Promise<number> => {
    const started = await spawnWatched(
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          repoPath("server.ts"),
          "--host",
          "127.0.0.1",
          "--port",
          String(wantPort),
          "--data",
          dir,
          // no default web or TLS port: parallel tests would contend for 8080 and 6697
          "--http-port",
          "0",
          "--tls-port",
          "0",
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }),
      (text) => {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
        return m ? Number(m[1]) : undefined;
      },
      20000,
    );
    lastOutput = started.output;
    child = started.result ? started : undefined;
    return started.result ?? 0;
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    await c?.stop();
  };
  port = await launch(0);
  if (port === 0) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error("server.ts did not start:\n" + lastOutput);
  }
  return {
    port,
    kind: "deno-chat",
    stop,
    restart: async () => {
      for (let i = 0; i < 20; i++) {
        if (await launch(port) !== 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("server.ts did not restart");
    },
    dispose: async () => {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A tmux server of its own (unique socket in a temp folder, no user config) for driving
 * TUI clients.
 *
 * @example
 * ```ts
 * import { Tmux } from "./client_harness.ts";
 * const tmux = new Tmux();
 * // await tmux.newSession("a", "deno run -A client.ts", 100, 30); ...
 * await tmux.kill();
 * ```
 */
export class Tmux {
  /** A private folder holding the tmux socket; removed by {@link kill}. */
  readonly dir = Deno.makeTempDirSync({ prefix: "chat-client-tmux-" });
  /** The socket path (unique per instance). */
  readonly socket = `${this.dir}/tmux.sock`;

  /** Runs a tmux command on this socket; returns stdout. */
  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", this.socket, "-f", "/dev/null", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { TERM: "xterm-256color" },
    }).output();
    if (out.code !== 0) {
      throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  /** Starts a detached session running `argv` in a terminal of the given size. */
  async newSession(name: string, argv: string[], cols = 100, rows = 30): Promise<void> {
    const cmd = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
    await this.run(
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(cols),
      "-y",
      String(rows),
      cmd,
    );
    await this.run("set-option", "-t", name, "remain-on-exit", "on");
  }

  /** The visible screen of a session, one string per row (trailing spaces removed). */
  async capture(name: string): Promise<string[]> {
    const text = await this.run("capture-pane", "-p", "-t", name);
    return text.replace(/\n$/, "").split("\n").map((l) => l.trimEnd());
  }

  /** Types literal text. */
  async type(name: string, text: string): Promise<void> {
    await this.run("send-keys", "-t", name, "-l", text);
  }

  /** Presses keys by tmux name (Enter, C-c, M-2, ...). */
  async keys(name: string, ...keys: string[]): Promise<void> {
    await this.run("send-keys", "-t", name, ...keys);
  }

  /** Waits until the screen matches `re`; returns the screen. */
  async waitScreen(name: string, re: RegExp, timeoutMs = 20000): Promise<string[]> {
    let last: string[] = [];
    try {
      return await waitFor(
        `${name} to show ${re}`,
        async () => {
          last = await this.capture(name);
          return re.test(last.join("\n")) ? last : undefined;
        },
        timeoutMs,
        50,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${name} ---\n${last.join("\n")}`);
    }
  }

  /** Kills the tmux server and every process in it. */
  async kill(): Promise<void> {
    await this.run("kill-server").catch(() => {});
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
