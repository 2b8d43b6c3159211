/**
 * Keeps one stray error from taking the whole chat down once the server runs.
 *
 * What it must catch: errors from the server's asynchronous work that nothing awaited (a
 * write to a peer that just left, a timer callback with a bug), which would otherwise end
 * the process and every user's chat with it. Command handlers, sessions and the accept
 * loops catch their own errors; this is only the backstop behind them.
 *
 * What it leaves alone: everything before it is installed (a failure to start must stop
 * the server with Deno's full report) and after it is removed (shutdown); errors a caller
 * handles never reach it.
 *
 * What it logs: one line per error on the server's console, never to a client: the error's
 * name and message, and where it was thrown (one frame, not the whole stack). A peer that
 * went away mid-write is expected and says so.
 *
 * @module
 */

/** Errors that only mean a peer went away while something was being written or read. */
const PEER_GONE = new Set([
  "BrokenPipe",
  "ConnectionReset",
  "ConnectionAborted",
  "NotConnected",
  "UnexpectedEof",
  "BadResource",
  "Interrupted",
]);

/**
 * Describes a caught value in one line: `Name: message (at file:line:col)` for an error (the
 * first frame of its stack), its text otherwise; newlines are flattened.
 *
 * @example
 * ```ts
 * import { describeCaught } from "./crash_guard.ts";
 * import { equal, match } from "node:assert/strict";
 * match(describeCaught(new TypeError("x is undefined")), /^TypeError: x is undefined \(at .+:\d+:\d+\)$/);
 * equal(describeCaught("just text\nand more"), "just text and more");
 * ```
 */
export function describeCaught(value: unknown): string {
  if (!(value instanceof Error)) return oneLine(String(value));
  const head = `${value.name}: ${oneLine(value.message)}`;
  const frame = /^\s+at (?:.*\()?(\S+?:\d+:\d+)\)?$/m.exec(value.stack ?? "")?.[1];
  return frame ? `${head} (at ${frame})` : head;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").slice(0, 500);
}

/** Whether a caught value only means that a peer went away (expected, not a bug). */
function peerGone(value: unknown): boolean {
  return value instanceof Error && PEER_GONE.has(value.name);
}

/**
 * Installs handlers for uncaught errors and unhandled promise rejections: each is logged in
 * one line through `log` and the server keeps running. Returns a function that removes them.
 *
 * @example
 * ```ts
 * import { installCrashGuard } from "./crash_guard.ts";
 * import { equal, match } from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const remove = installCrashGuard((line) => lines.push(line));
 * const event = new Event("unhandledrejection", { cancelable: true });
 * Object.assign(event, { reason: new Deno.errors.BrokenPipe("peer left") });
 * globalThis.dispatchEvent(event);
 * remove();
 * equal(lines.length, 1);
 * match(lines[0], /^a peer went away \(BrokenPipe: peer left \(at .+\)\); the server keeps running$/);
 * ```
 */
export function installCrashGuard(log: (line: string) => void = console.error): () => void {
  const report = (what: string, value: unknown): void => {
    if (peerGone(value)) {
      log(`a peer went away (${describeCaught(value)}); the server keeps running`);
    } else log(`${what} (the server keeps running): ${describeCaught(value)}`);
  };
  const onRejection = (event: PromiseRejectionEvent): void => {
    event.preventDefault();
    report("unhandled rejection", event.reason);
  };
  const onError = (event: ErrorEvent): void => {
    event.preventDefault();
    report("uncaught error", event.error ?? event.message);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return () => {
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}
