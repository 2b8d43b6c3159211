/**
 * A tiny scripted IRC server for client tests: registration with CAP, JOIN with NAMES,
 * PING/PONG, QUIT, echo-message; it records every line each connection sent, lets a test
 * inject lines, and can drop all connections to simulate a server restart.
 *
 * @module
 */

import { LineFramer } from "../../lib/protocol/framer.ts";
import { parseMessage } from "../../lib/protocol/message.ts";
import { waitFor } from "./wait.ts";

/**
 * One client connection seen by the fake server.
 *
 * @example
 * ```ts
 * import { FakeIrcServer } from "./fake_irc_server.ts";
 * const srv = FakeIrcServer.start();
 * // const conn = await srv.waitForConn(1); conn.send(":bob!b@h PRIVMSG #a :hi");
 * await srv.close();
 * ```
 */
export interface FakeConn {
  /** Lines received from the client. */
  received: string[];
  /** The client's nick once set. */
  nick: string;
  /** Capabilities acknowledged. */
  caps: Set<string>;
  /** Sends a line to the client. */
  send(line: string): void;
  /** Closes the connection. */
  close(): void;
}

/**
 * Options of {@link FakeIrcServer.start}.
 *
 * @example
 * ```ts
 * import { FakeIrcServer, type FakeOptions } from "./fake_irc_server.ts";
 * const opts: FakeOptions = { taken: ["ann"] };
 * await FakeIrcServer.start(opts).close();
 * ```
 */
export interface FakeOptions {
  /** Capabilities offered in CAP LS (default: server-time echo-message multi-prefix). */
  caps?: string[];
  /** Nicks that are "in use". */
  taken?: string[];
  /** Do not answer CAP at all (an old server): reply 421. */
  noCap?: boolean;
}

/**
 * A fake IRC server on 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * import { FakeIrcServer } from "./fake_irc_server.ts";
 * const srv = FakeIrcServer.start();
 * await srv.close();
 * ```
 */
export class FakeIrcServer {
  readonly conns: FakeConn[] = [];
  readonly port: number;
  #listener: Deno.Listener;
  #opts: FakeOptions;
  #tasks: Promise<void>[] = [];
  #accepting: Promise<void>;
  #raw: Deno.Conn[] = [];

  private constructor(listener: Deno.Listener, opts: FakeOptions) {
    this.#listener = listener;
    this.#opts = opts;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#accept();
  }

  /** Starts listening on a free port. */
  static start(opts: FakeOptions = {}): FakeIrcServer {
    return new FakeIrcServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), opts);
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.#raw.push(conn);
      this.#tasks.push(this.#serve(conn));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const enc = new TextEncoder();
    let closed = false;
    let writing = Promise.resolve();
    const fc: FakeConn = {
      received: [],
      nick: "",
      caps: new Set(),
      send: (line) => {
        if (closed) return;
        const bytes = enc.encode(line + "\r\n");
        writing = writing.then(() => conn.write(bytes).then(() => {})).catch(() => {});
      },
      close: () => {
        if (closed) return;
        closed = true;
        try {
          conn.close();
        } catch {
          // closed
        }
      },
    };
    this.conns.push(fc);
    const offered = this.#opts.caps ?? ["server-time", "echo-message", "multi-prefix"];
    let user = false;
    let capping = false;
    let welcomed = false;
    const tryWelcome = () => {
      if (welcomed || !user || fc.nick === "" || capping) return;
      welcomed = true;
      fc.send(`:fake.srv 001 ${fc.nick} :Welcome to the fake network ${fc.nick}`);
      fc.send(`:fake.srv 005 ${fc.nick} PREFIX=(ov)@+ CHANTYPES=# :are supported`);
      fc.send(`:fake.srv 422 ${fc.nick} :MOTD File is missing`);
    };
    const framer = new LineFramer();
    const buf = new Uint8Array(8192);
    try {
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        for (const f of framer.push(buf.subarray(0, n))) {
          if (f.kind !== "line") continue;
          fc.received.push(f.text);
          const m = parseMessage(f.text);
          if (!m) continue;
          const p = m.params;
          const src = `${fc.nick}!u@127.0.0.1`;
          switch (m.command) {
            case "CAP":
              if (this.#opts.noCap) {
                fc.send(`:fake.srv 421 ${fc.nick || "*"} CAP :Unknown command`);
                break;
              }
              if (p[0] === "LS") {
                capping = true;
                fc.send(`:fake.srv CAP * LS :${offered.join(" ")}`);
              } else if (p[0] === "REQ") {
                for (const c of (p[1] ?? "").split(" ")) fc.caps.add(c);
                fc.send(`:fake.srv CAP ${fc.nick || "*"} ACK :${p[1] ?? ""}`);
              } else if (p[0] === "END") {
                capping = false;
                tryWelcome();
              }
              break;
            case "NICK": {
              const want = p[0] ?? "";
              const taken = (this.#opts.taken ?? []).includes(want) ||
                this.conns.some((c) => c !== fc && c.nick === want);
              if (taken) {
                fc.send(`:fake.srv 433 ${fc.nick || "*"} ${want} :Nickname is already in use`);
              } else {
                if (welcomed) fc.send(`:${src} NICK ${want}`);
                fc.nick = want;
                tryWelcome();
              }
              break;
            }
            case "USER":
              user = true;
              tryWelcome();
              break;
            case "PING":
              fc.send(`:fake.srv PONG fake.srv :${p[0] ?? ""}`);
              break;
            case "JOIN":
              for (const c of (p[0] ?? "").split(",")) {
                fc.send(`:${src} JOIN ${c}`);
                fc.send(`:fake.srv 353 ${fc.nick} = ${c} :@${fc.nick} other`);
                fc.send(`:fake.srv 366 ${fc.nick} ${c} :End of /NAMES list`);
              }
              break;
            case "PART":
              fc.send(`:${src} PART ${p[0]}${p[1] ? " :" + p[1] : ""}`);
              break;
            case "PRIVMSG":
            case "NOTICE":
            case "TAGMSG": {
              // lines of a client batch are not echoed one by one
              if (!fc.caps.has("echo-message") || m.tags["batch"] !== undefined) break;
              const sp = f.text.indexOf(" ");
              // tags go before the source, as a server sends them
              fc.send(
                f.text.startsWith("@")
                  ? `${f.text.slice(0, sp)} :${src} ${f.text.slice(sp + 1)}`
                  : `:${src} ${f.text}`,
              );
              break;
            }
            case "QUIT":
              fc.send(`ERROR :Closing link (${p[0] ?? ""})`);
              await writing;
              fc.close();
              break;
          }
        }
      }
    } finally {
      fc.close();
      await writing;
    }
  }

  /** Waits for any connection to have sent a line matching `re`; returns it. */
  waitForLine(re: RegExp, timeoutMs = 5000): Promise<string> {
    return waitFor(
      `the client to send ${re}`,
      () => this.conns.flatMap((c) => c.received).find((l) => re.test(l)),
      timeoutMs,
      5,
    );
  }

  /** Waits for the n-th connection (1-based). */
  waitForConn(n: number, timeoutMs = 5000): Promise<FakeConn> {
    return waitFor(`connection ${n}`, () => this.conns[n - 1], timeoutMs, 5);
  }

  /** Closes every client connection (as a restarting server would). */
  dropAll(): void {
    for (const c of this.conns) c.close();
  }

  /** Stops listening, closes connections, and waits for every task to end. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // closed
    }
    this.dropAll();
    await this.#accepting;
    await Promise.all(this.#tasks);
  }
}
