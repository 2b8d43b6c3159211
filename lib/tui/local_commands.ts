/**
 * The commands the terminal UI carries out itself (no network needed, or not only): help,
 * windows, the member pane, the masked login prompt, clearing, closing and quitting. One
 * table entry per action kind; the app gives them a {@link LocalHost}.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { IrcClient } from "../client/irc_client.ts";
import { type Action, helpLines } from "../shared/input_commands.ts";
import type { LineEditor } from "./line_editor.ts";
import type { WindowList } from "./windows.ts";

/** The narrowest terminal that shows a channel's member pane (it takes up to 21 columns). */
export const MEMBER_PANE_COLS = 100;

/**
 * What a local command may use of the app.
 *
 * @example
 * ```ts
 * import type { LocalHost } from "./local_commands.ts";
 * function hello(h: LocalHost) { h.note("info", "hello"); }
 * ```
 */
export interface LocalHost {
  /** The client. */
  readonly client: IrcClient;
  /** The windows. */
  readonly windows: WindowList;
  /** The input line. */
  readonly editor: LineEditor;
  /** Whether the member pane is on screen now. */
  readonly paneShown: boolean;
  /** The member pane is wanted (toggled by /members). */
  membersWanted: boolean;
  /** Shows a line in the current window. */
  note(kind: "info" | "error", text: string): void;
  /** Redraws the screen. */
  redraw(): void;
  /** Redraws the input line. */
  drawInput(): void;
  /** Asks for a password (masked) for an account; Enter logs in. */
  askSecret(account: string): void;
  /** Quits. */
  quit(reason?: string): void;
}

type Handlers = {
  [K in Action["kind"]]?: (host: LocalHost, action: Extract<Action, { kind: K }>) => void;
};

/** Keys shown after /help, one line. */
const KEYS_HELP =
  "Keys: Alt+1..9 or Ctrl+N/Ctrl+P switch windows, PgUp/PgDn scroll (PgUp at the top fetches older lines), Tab completes, Up/Down history, Ctrl+W/Ctrl+U delete, Ctrl+C quits.";

/**
 * The local commands by action kind.
 *
 * @example
 * ```ts
 * import { LOCAL_COMMANDS } from "./local_commands.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof LOCAL_COMMANDS.help, "function");
 * ```
 */
export const LOCAL_COMMANDS: Readonly<Handlers> = {
  loginPrompt: (h, a) => h.askSecret(a.account ?? h.client.nick),
  error: (h, a) => h.note("error", a.text),
  help: (h, a) => {
    for (const l of helpLines(a.topic)) h.note("info", l);
    if (a.topic === undefined) h.note("info", KEYS_HELP);
  },
  members: (h) => {
    h.membersWanted = !h.membersWanted;
    h.redraw();
    if (h.membersWanted && !h.paneShown) {
      h.note(
        "info",
        `The member list shows beside channels when the terminal is ${MEMBER_PANE_COLS} columns or wider.`,
      );
    }
  },
  clear: (h) => {
    h.windows.current.lines.length = 0;
    h.windows.current.scroll = 0;
    h.redraw();
  },
  window: (h, a) => {
    if (a.which === "next") h.windows.next();
    else if (a.which === "prev") h.windows.prev();
    else if (!h.windows.focus(a.which)) {
      h.note("error", `There is no window ${a.which}.`);
      return;
    }
    h.redraw();
  },
  query: (h, a) => {
    h.windows.open(a.nick, "query", true);
    h.redraw();
    if (a.text === undefined) return;
    if (!h.client.perform({ kind: "say", target: a.nick, text: a.text })) {
      h.editor.setText(a.text);
      h.note("error", "Not connected right now: your text was kept.");
    }
  },
  close: (h) => {
    const w = h.windows.current;
    if (w.kind === "status") {
      h.note("error", "The status window cannot be closed.");
      return;
    }
    const parted = w.kind === "channel" && h.client.channels.has(casefold(w.name)) &&
      h.client.perform({
        kind: "send",
        messages: [{ tags: {}, command: "PART", params: [w.name] }],
      });
    // a PART closes the window when the server confirms it
    if (!parted) {
      h.windows.close(w.name);
      h.redraw();
    }
  },
  quit: (h, a) => h.quit(a.reason),
  // parsed by the shared parser for the web chat; the terminal does not filter lines yet,
  // so it says so rather than seem to obey
  ignore: (h) => h.note("error", "/ignore is not available in the terminal client yet."),
  unignore: (h) => h.note("error", "/unignore is not available in the terminal client yet."),
};

/**
 * Runs a local action; false when the kind is not a local one.
 *
 * @example
 * ```ts
 * import { runLocal, type LocalHost } from "./local_commands.ts";
 * const notes: string[] = [];
 * const host = { note: (_k: string, t: string) => notes.push(t) } as unknown as LocalHost;
 * runLocal(host, { kind: "error", text: "no" }); // true, notes is ["no"]
 * ```
 */
export function runLocal(host: LocalHost, action: Action): boolean {
  const handler = LOCAL_COMMANDS[action.kind] as
    | ((h: LocalHost, a: Action) => void)
    | undefined;
  if (!handler) return false;
  handler(host, action);
  return true;
}
