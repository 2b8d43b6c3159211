/**
 * Test helpers for the client: free ports, an ngircd instance in a temp folder, a scripted
 * in-process IRC server, a raw IRC peer, and waiting with a deadline.
 *
 * @module
 */

import { LineFramer } from "../../lib/protocol/framer.ts";

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with
 * `what` in the message). Each poll waits for `intervalMs`.
 *
 * @example
 * ```ts
 * import { waitFor } from "./helpers.ts";
 * let n = 0;
 * await waitFor("n to reach 3", () => ++n >= 3, 1000, 1);
 * ```
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A port that was free a moment ago on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { freePort } from "./helpers.ts";
 * const port = freePort();
 * ```
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** Whether a program can be started. */
export async function hasProgram(name: string, args: string[] = ["--version"]): Promise<boolean> {
  try {
    const out = await new Deno.Command(name, { args, stdout: "null", stderr: "null" }).output();
    return out.code === 0 || out.code === 1 || out.code === 2;
  } catch {
    return false;
  }
}

/** A running ngircd. */
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
 * import { startNgircd } from "./helpers.ts";
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
  let child: Deno.ChildProcess | undefined;
  let pump: Promise<void> = Promise.resolve();
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
    const proc = new Deno.Command(exe!, {
      args: ["-n", "-f", conf],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child = proc;
    let readyResolve!: (ok: boolean) => void;
    const ready = new Promise<boolean>((r) => readyResolve = r);
    const read = async (stream: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        logText += dec.decode(chunk, { stream: true });
        if (/ready\./.test(logText)) readyResolve(true);
        if (/Can't bind|No listening/i.test(logText)) readyResolve(false);
      }
    };
    pump = Promise.all([read(proc.stdout), read(proc.stderr)]).then(() => readyResolve(false));
    const timer = setTimeout(() => readyResolve(false), 10000);
    const ok = await ready;
    clearTimeout(timer);
    if (!ok) {
      try {
        proc.kill("SIGKILL");
      } catch {
        // already gone
      }
      await proc.status;
      await pump;
      child = undefined;
    }
    return ok;
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c) return;
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
    await c.status;
    await pump;
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
        log: () => logText,
      };
    }
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error("ngircd did not start:\n" + logText);
}

/**
 * A raw IRC connection for tests: send lines, wait for a line matching a pattern.
 *
 * @example
 * ```ts
 * import { RawPeer } from "./helpers.ts";
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
