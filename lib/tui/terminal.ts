/**
 * The terminal loop: the real terminal in raw mode, input read and fed to a {@link TuiApp},
 * resizes followed, and the terminal restored on every way out, errors included.
 *
 * @module
 */

import type { IrcClient } from "../client/irc_client.ts";
import { TuiApp } from "./app.ts";
import { RESTORE_SEQUENCE } from "./screen.ts";

/**
 * Options of {@link runTui}.
 *
 * @example
 * ```ts
 * import type { RunTuiOptions } from "./terminal.ts";
 * const window: RunTuiOptions["initialWindow"] = "#lobby";
 * ```
 */
export interface RunTuiOptions {
  /** The client, not yet started. */
  client: IrcClient;
  /** The window to show first. */
  initialWindow?: string;
}

/**
 * Runs the TUI on the real terminal (raw mode, resize handling) until the user quits;
 * the terminal is restored on every way out, errors included.
 *
 * @example
 * ```ts
 * import { runTui } from "./terminal.ts";
 * import { IrcClient } from "../client/irc_client.ts";
 * const client = new IrcClient({ target: { host: "127.0.0.1", port: 6667, tls: false },
 *   nick: "ann", channels: ["#lobby"] });
 * // Deno.exit(await runTui({ client, initialWindow: "#lobby" }));
 * ```
 */
export async function runTui(opts: RunTuiOptions): Promise<number> {
  const enc = new TextEncoder();
  const writeAll = (s: string) => {
    const bytes = enc.encode(s);
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  };
  const size = () => {
    try {
      const { columns, rows } = Deno.consoleSize();
      return { cols: columns || 80, rows: rows || 24 };
    } catch {
      return { cols: 80, rows: 24 };
    }
  };
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      writeAll(RESTORE_SEQUENCE);
    } catch {
      // the terminal is gone
    }
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // not a terminal any more
    }
  };
  const onError = (e: Event) => {
    restore();
    const reason = (e as ErrorEvent).error ?? (e as PromiseRejectionEvent).reason;
    console.error("chat-client: unexpected error:", reason);
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onError);

  const app = new TuiApp({ ...opts, term: { write: writeAll, size } });
  const signals: [Deno.Signal, () => void][] = [];
  const isWindows = Deno.build.os === "windows";
  let sizePoll: ReturnType<typeof setInterval> | undefined;
  try {
    Deno.stdin.setRaw(true);
    app.start();
    if (!isWindows) {
      const onWinch = () => app.resize();
      const onTerm = () => app.quit("Terminated");
      for (
        const [sig, f] of [["SIGWINCH", onWinch], ["SIGTERM", onTerm], ["SIGHUP", onTerm]] as [
          Deno.Signal,
          () => void,
        ][]
      ) {
        Deno.addSignalListener(sig, f);
        signals.push([sig, f]);
      }
    } else {
      // no SIGWINCH on Windows: look at the console size now and then
      sizePoll = setInterval(() => app.resize(), 500);
    }
    const reader = (async () => {
      const decoder = new TextDecoder();
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await Deno.stdin.read(buf);
        if (n === null) break;
        app.feed(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
      await app.quit("End of input");
    })();
    reader.catch(() => app.quit());
    return await app.done;
  } finally {
    if (sizePoll !== undefined) clearInterval(sizePoll);
    for (const [sig, f] of signals) Deno.removeSignalListener(sig, f);
    app.stopScreen();
    restore();
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onError);
  }
}
