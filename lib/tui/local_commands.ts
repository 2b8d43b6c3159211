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
import { type ModernAction, modernHelpLines } from "../shared/modern_commands.ts";
import type { LineEditor } from "./line_editor.ts";
import type { WindowList } from "./windows.ts";
import { uploadFile } from "../client/upload.ts";

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
  /** Shows an upload's progress in the status bar (undefined: none). */
  setUpload(text: string | undefined): void;
  /** Redraws the screen. */
  redraw(): void;
  /** Redraws the input line. */
  drawInput(): void;
  /** Asks for a password (masked) for an account; Enter logs in. */
  askSecret(account: string): void;
  /** Quits. */
  quit(reason?: string): void;
}

/** Every action a line can ask for: the common ones and the modern features'. */
type AnyAction = Action | ModernAction;

type Handlers = {
  [K in AnyAction["kind"]]?: (host: LocalHost, action: Extract<AnyAction, { kind: K }>) => void;
};

/** Keys shown after /help, one line. */
const KEYS_HELP =
  "Keys: Alt+1..9 or Ctrl+N/Ctrl+P switch windows, PgUp/PgDn scroll (PgUp at the top fetches older lines), Tab completes, Up/Down history, Ctrl+W/Ctrl+U delete, Ctrl+C quits. In /reply, /react and /delete, N counts messages from the newest (1 = the last).";

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
    const modern = modernHelpLines(a.topic);
    if (a.topic !== undefined && modern !== undefined) {
      for (const l of modern) h.note("info", l);
      return;
    }
    const lines = helpLines(a.topic);
    // the modern commands go in the list, before its closing sentence
    if (a.topic === undefined && modern) lines.splice(lines.length - 1, 0, ...modern);
    for (const l of lines) h.note("info", l);
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
  notify: (h, a) => {
    if (a.op !== "list") {
      const listed = new Set(h.client.notifyList.map((e) => casefold(e.nick)));
      // each nick once, as first typed
      const asked = [...new Map(a.nicks.map((n) => [casefold(n), n])).values()];
      const known = asked.filter((n) => listed.has(casefold(n)));
      const fresh = asked.filter((n) => !listed.has(casefold(n)));
      h.client.perform(a);
      if (a.op === "del") {
        if (fresh.length > 0) {
          h.note(
            "info",
            `${fresh.join(", ")} ${fresh.length === 1 ? "is" : "are"} not on your notify list.`,
          );
        }
        if (known.length > 0) h.note("info", `No longer watching ${known.join(", ")}.`);
        return;
      }
      if (known.length > 0) h.note("info", `You are already watching ${known.join(", ")}.`);
      if (fresh.length === 0) return;
      const nicks = fresh.join(", ");
      if (!h.client.connected) h.note("info", `Watching ${nicks} once connected.`);
      else if (!h.client.hasMonitor) {
        h.note(
          "info",
          `Watching ${nicks}. This server has no MONITOR, so the client asks (ISON) every 30 seconds.`,
        );
      } else h.note("info", `Watching ${nicks}.`);
      return;
    }
    const list = h.client.notifyList;
    if (list.length === 0) {
      h.note("info", "Your notify list is empty. Add someone with /notify add nick.");
      return;
    }
    const state = (o: boolean | undefined) =>
      o === undefined ? "not known yet" : o ? "online" : "offline";
    h.note("info", `Notify list: ${list.map((e) => `${e.nick} (${state(e.online)})`).join(", ")}`);
  },
  delete: (h, a) => {
    const w = h.windows.current;
    const why = h.client.unsupported(a);
    if (why) return h.note("error", why);
    const line = h.windows.nthMessage(w, a.n, true);
    if (!line) {
      return h.note(
        "error",
        a.n === 1
          ? "You have no message here to delete."
          : `You have no message number ${a.n} here (counting yours from the last).`,
      );
    }
    if (!line.msgid) {
      return h.note("error", "That message has no id from the server, so it cannot be deleted.");
    }
    if (!h.client.perform({ kind: "redact", target: w.name, msgid: line.msgid })) {
      h.note("error", "Not connected right now: nothing was deleted.");
    }
  },
  reply: (h, a) => {
    const w = h.windows.current;
    const why = h.client.unsupported(a);
    if (why) return h.note("error", why);
    const line = h.windows.nthMessage(w, a.n, false);
    if (!line?.msgid) {
      h.editor.setText(`/reply ${a.n} ${a.text}`);
      return h.note(
        "error",
        line
          ? "That message has no id from the server: it cannot be replied to."
          : `There is no message number ${a.n} here (1 is the last).`,
      );
    }
    if (
      !h.client.perform({ kind: "sayReply", target: w.name, text: a.text, replyTo: line.msgid })
    ) {
      h.editor.setText(`/reply ${a.n} ${a.text}`);
      h.note("error", "Not connected right now: your reply was kept.");
    }
  },
  reactTo: (h, a) => {
    const w = h.windows.current;
    const why = h.client.unsupported(a);
    if (why) return h.note("error", why);
    const line = h.windows.nthMessage(w, a.n, false);
    if (!line?.msgid) {
      return h.note(
        "error",
        line
          ? "That message has no id from the server: it cannot be reacted to."
          : `There is no message number ${a.n} here (1 is the last).`,
      );
    }
    if (
      !h.client.perform({ kind: "react", target: w.name, msgid: line.msgid, reaction: a.reaction })
    ) {
      h.note("error", "Not connected right now: no reaction was sent.");
    }
  },
  search: (h, a) => {
    const why = h.client.unsupported(a);
    if (why) return h.note("error", why);
    if (!h.client.perform(a)) return h.note("error", "Not connected right now: cannot search.");
    h.note("info", `Searching for “${a.text}”…`);
  },
  upload: (h, a) => {
    const w = h.windows.current;
    if (w.kind !== "channel" && w.kind !== "query") {
      return h.note("error", "Go to the channel or conversation the link is for, then /upload.");
    }
    if (!h.client.connected) return h.note("error", "Not connected right now: cannot upload.");
    const url = h.client.uploadUrl();
    if (typeof url !== "string") return h.note("error", url.error);
    const credentials = h.client.credentials;
    if (!credentials) {
      return h.note(
        "error",
        "Uploads need an account: log in with /login (or start with --user and --password-file).",
      );
    }
    const name = a.path.split(/[\\/]/).pop() ?? a.path;
    const target = w.name;
    h.setUpload(`${name} 0%`);
    uploadFile({
      url,
      path: a.path,
      credentials,
      onProgress: (sent, total) =>
        h.setUpload(`${name} ${total > 0 ? Math.floor((sent / total) * 100) : 100}%`),
    }).then((link) => {
      h.setUpload(undefined);
      if (!h.client.perform({ kind: "say", target, text: link })) {
        h.note("error", `Uploaded, but not connected to post the link: ${link}`);
      }
    }, (e) => {
      h.setUpload(undefined);
      h.note("error", (e as Error).message);
    });
  },
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
export function runLocal(host: LocalHost, action: Action | ModernAction): boolean {
  const handler = LOCAL_COMMANDS[action.kind] as
    | ((h: LocalHost, a: Action | ModernAction) => void)
    | undefined;
  if (!handler) return false;
  handler(host, action);
  return true;
}
