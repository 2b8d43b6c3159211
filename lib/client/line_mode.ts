/**
 * The plain line mode used when stdin is not a terminal (a pipe, a script, a test): each
 * input line is said to the current channel or run as a /command, each event is printed as
 * one line (`[12:01] <alice> hi`), and at the end of input the client makes sure the server
 * has processed everything (PING/PONG), sends QUIT and returns.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import { helpLines, parseInput } from "../shared/input_commands.ts";
import { modernHelpLines, parseModernCommand } from "../shared/modern_commands.ts";
import { ACTIVE_WINDOW, type ChatLine, STATUS_WINDOW } from "./events.ts";
import { formatPlain } from "./format.ts";
import type { IrcClient } from "./irc_client.ts";
import { uploadFile } from "./upload.ts";

/**
 * Options of {@link runLineMode}.
 *
 * @example
 * ```ts
 * import type { LineModeOptions } from "./line_mode.ts";
 * const print: LineModeOptions["print"] = (line) => console.log(line);
 * ```
 */
export interface LineModeOptions {
  /** The client, not yet started. */
  client: IrcClient;
  /** The input (normally Deno.stdin.readable). */
  input: ReadableStream<Uint8Array>;
  /** Writes one line of output (without newline). */
  print: (line: string) => void;
  /** The window lines go to before any /join or /query (normally the first channel). */
  initialTarget?: string;
  /** How long to wait for registration and joins before giving up, in ms (default 30000). */
  readyTimeoutMs?: number;
}

/**
 * Splits a byte stream into text lines (LF or CRLF), the last one even without LF.
 *
 * @example
 * ```ts
 * import { readLines } from "./line_mode.ts";
 * const input = new Blob(["a\r\nb"]).stream();
 * const lines: string[] = [];
 * for await (const l of readLines(input)) lines.push(l); // ["a", "b"]
 * ```
 */
export async function* readLines(input: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of input) {
    buf += decoder.decode(chunk, { stream: true });
    let nl = buf.indexOf("\n");
    while (nl !== -1) {
      yield buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
    }
  }
  buf += decoder.decode();
  if (buf !== "") yield buf.replace(/\r$/, "");
}

/**
 * Runs the line mode until the input ends (or /quit); resolves with the exit code: 0 when
 * every line was sent and the server confirmed it, 1 when the server could not be reached.
 *
 * @example
 * ```ts
 * import { runLineMode } from "./line_mode.ts";
 * import { IrcClient } from "./irc_client.ts";
 * const client = new IrcClient({
 *   target: { host: "127.0.0.1", port: 6667, tls: false },
 *   nick: "bot",
 *   channels: ["#lobby"],
 * });
 * // const code = await runLineMode({ client, input: Deno.stdin.readable, print: console.log });
 * ```
 */
export async function runLineMode(opts: LineModeOptions): Promise<number> {
  const { client, print } = opts;
  let current: string | undefined = opts.initialTarget;
  const windows: string[] = current ? [current] : [];
  const readyTimeout = opts.readyTimeoutMs ?? 30000;

  const addWindow = (w: string) => {
    if (!windows.some((x) => casefold(x) === casefold(w))) windows.push(w);
  };
  const show = (line: ChatLine) => {
    if (line.duplicate) return;
    const w = line.window;
    const other = w !== ACTIVE_WINDOW && w !== STATUS_WINDOW &&
      (current === undefined || casefold(w) !== casefold(current));
    print(formatPlain(line, other));
  };
  const note = (kind: "info" | "error", text: string) =>
    show({ time: new Date(), window: ACTIVE_WINDOW, kind, text });

  client.onEvent = (e) => {
    if (e.type === "line") show(e.line);
    else if (e.type === "search") {
      note(
        "info",
        `${e.lines.length} message${e.lines.length === 1 ? "" : "s"} found for “${e.query}”.`,
      );
      for (const l of e.lines) show({ ...l, window: ACTIVE_WINDOW });
    } else if (e.type === "open") {
      addWindow(e.window);
      if (e.focus) current = e.window;
    } else if (
      e.type === "rename" && current !== undefined && casefold(current) === casefold(e.from)
    ) {
      current = e.to; // keep talking to the same person
    }
  };
  client.start();

  const ensureReady = async (): Promise<boolean> => {
    if (client.connected) return true;
    return await client.ready(readyTimeout);
  };

  if (!await ensureReady()) {
    note("error", "Could not get connected to the server; giving up.");
    client.stop();
    await client.closed;
    return 1;
  }

  for await (const raw of readLines(opts.input)) {
    const action = parseModernCommand(raw, { target: current }) ??
      parseInput(raw, { target: current });
    switch (action.kind) {
      case "none":
        continue;
      case "error":
        note("error", action.text);
        continue;
      case "help":
        for (const l of modernHelpLines(action.topic) ?? helpLines(action.topic)) note("info", l);
        if (action.topic === undefined) { for (const l of modernHelpLines()!) note("info", l); }
        continue;
      case "clear":
      case "members":
        continue;
      case "ignore":
      case "unignore":
        note("error", `/${action.kind} is not available in the terminal client yet.`);
        continue;
      case "loginPrompt":
        // stdin is the message stream here: there is no way to ask for a hidden password
        note("error", "In line mode, log in at connect with --user NAME --password-file FILE.");
        continue;
      case "window": {
        const idx = windows.findIndex((w) =>
          current !== undefined && casefold(w) === casefold(current)
        );
        const count = Math.max(1, windows.length);
        const n = action.which === "next"
          ? (idx + 1) % count
          : action.which === "prev"
          ? (idx - 1 + count) % count
          : action.which - 1;
        const w = windows[n];
        if (w === undefined) note("error", `There is no window ${action.which}.`);
        else {
          current = w;
          note("info", `Now talking in ${w}.`);
        }
        continue;
      }
      case "delete":
      case "reply":
      case "reactTo":
        // they point at lines on screen, which line mode does not keep
        note("error", "/delete, /reply and /react work in the full-screen client only.");
        continue;
      case "notify":
        client.perform(action);
        if (action.op === "list") {
          const list = client.notifyList;
          note("info", `Notify list: ${list.map((e) => e.nick).join(", ") || "(empty)"}`);
        }
        continue;
      case "search": {
        const why = client.unsupported(action);
        if (why) {
          note("error", why);
          continue;
        }
        if (!await performWhenReady(action)) return 1;
        continue;
      }
      case "upload": {
        const url = client.uploadUrl();
        const credentials = client.credentials;
        if (typeof url !== "string") note("error", url.error);
        else if (!credentials) {
          note("error", "Uploads need an account: use --user and --password-file.");
        } else if (current === undefined) {
          note("error", "Join a channel first: the link is posted there.");
        } else {
          try {
            const link = await uploadFile({ url, path: action.path, credentials });
            if (!await performWhenReady({ kind: "say", target: current, text: link })) return 1;
          } catch (e) {
            note("error", (e as Error).message);
          }
        }
        continue;
      }
      case "query":
        addWindow(action.nick);
        current = action.nick;
        if (action.text !== undefined) {
          await performWhenReady({ kind: "say", target: action.nick, text: action.text });
        }
        continue;
      case "close":
        if (action.window && client.isChannel(action.window)) {
          await performWhenReady({
            kind: "send",
            messages: [{ tags: {}, command: "PART", params: [action.window] }],
          });
        }
        continue;
      case "join":
        // later lines go to the channel just joined; the server handles them in order
        addWindow(action.channels[0]);
        current = action.channels[0];
        if (!await performWhenReady(action)) return 1;
        continue;
      case "quit":
        await client.sync(5000);
        await client.quit(action.reason);
        return 0;
      default:
        if (!await performWhenReady(action)) return 1;
    }
  }

  async function performWhenReady(action: Parameters<IrcClient["perform"]>[0]) {
    for (let tries = 0; tries < 3; tries++) {
      if (!await ensureReady()) break;
      if (client.perform(action)) return true;
    }
    note("error", "Not connected: a line could not be sent; giving up.");
    client.stop();
    await client.closed;
    return false;
  }

  // end of input: make sure the server processed every line, then leave
  const synced = await client.sync(10000);
  await client.quit();
  return synced ? 0 : 1;
}
