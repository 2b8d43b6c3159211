/**
 * The full-screen client on a headless xterm against a fake IRC server: what the TUI tests
 * drive, type into and read the screen of.
 *
 * @module
 */

import xterm from "@xterm/headless";
import { IrcClient } from "../../lib/client/irc_client.ts";
import type { Credentials } from "../../lib/client/registration.ts";
import { TuiApp } from "../../lib/tui/app.ts";
import { FakeIrcServer, type FakeOptions } from "./fake_irc_server.ts";
import { waitFor } from "./wait.ts";

const { Terminal } = xterm;
type Term = InstanceType<typeof Terminal>;

/** A running TUI with its terminal, client and fake server. */
export interface TuiHarness {
  app: TuiApp;
  term: Term;
  srv: FakeIrcServer;
  client: IrcClient;
  /** Everything the app wrote to the terminal, in order. */
  output: string[];
  /** Sends a line from the fake server to the (first) client connection. */
  send(line: string): void;
  /** The rows on screen, right-trimmed. */
  screen(): Promise<string[]>;
  /** Waits (5 s at most) until the screen matches; the error shows the last screen. */
  waitScreen(re: RegExp): Promise<string[]>;
  dispose(): Promise<void>;
}

/** How to start a {@link TuiHarness}. */
export interface TuiOptions {
  cols: number;
  rows: number;
  fake?: FakeOptions;
  sasl?: Credentials;
  /** Runs once the app started, before waiting for the join (e.g. to answer SASL). */
  beforeJoin?: (srv: FakeIrcServer) => Promise<void>;
}

/**
 * Starts the TUI as `ann` in `#lobby` and waits until it has joined and seen the members.
 *
 * @example
 * ```ts ignore
 * const h = await startTui({ cols: 60, rows: 12 });
 * h.send(":bob!b@h PRIVMSG #lobby :hi");
 * await h.waitScreen(/<bob> hi/);
 * await h.dispose();
 * ```
 */
export async function startTui(opts: TuiOptions): Promise<TuiHarness> {
  const { cols, rows } = opts;
  const srv = FakeIrcServer.start(opts.fake ?? {});
  const client = new IrcClient({
    target: { host: "127.0.0.1", port: srv.port, tls: false },
    nick: "ann",
    channels: ["#lobby"],
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    sasl: opts.sasl,
  });
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  const output: string[] = [];
  const app = new TuiApp({
    client,
    term: {
      write: (s) => {
        output.push(s);
        term.write(s);
      },
      size: () => ({ cols, rows }),
    },
    initialWindow: "#lobby",
    now: () => new Date(2024, 0, 1, 12, 34),
  });
  const flush = () => new Promise<void>((r) => term.write("", r));
  const screen = async () => {
    await flush();
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < rows; i++) {
      out.push((buf.getLine(buf.viewportY + i)?.translateToString(true) ?? "").trimEnd());
    }
    return out;
  };
  const h: TuiHarness = {
    app,
    term,
    srv,
    client,
    output,
    send: (line) => srv.conns[0].send(line),
    screen,
    waitScreen: async (re) => {
      let last: string[] = [];
      try {
        return await waitFor(
          `screen to match ${re}`,
          async () => {
            last = await screen();
            return re.test(last.join("\n")) ? last : undefined;
          },
          5000,
          10,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}\n--- screen ---\n${last.join("\n")}`);
      }
    },
    dispose: async () => {
      client.stop();
      await client.closed;
      app.stopScreen();
      await srv.close();
      term.dispose();
    },
  };
  app.start();
  if (opts.beforeJoin) await opts.beforeJoin(srv);
  await h.waitScreen(/You joined #lobby/);
  await waitFor("names", () => client.nicksIn("#lobby").length === 2);
  return h;
}
