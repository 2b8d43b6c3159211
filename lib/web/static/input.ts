/// <reference lib="dom" />
/**
 * The composer and what typed lines do: Enter sends (Shift+Enter makes a new line), Up/Down
 * recall earlier lines, Tab completes nicks, `/commands` and `#channels`, typing notices go
 * out while typing, and a line becomes an action through the shared input-command parser
 * (lib/shared/input_commands.ts), so `/join`, `/msg`, `/me` mean what they mean in the
 * terminal client. Typed text is never thrown away: a line that could not be sent stays in
 * the box.
 *
 * @module
 */

import { casefold as fold } from "../../protocol/casemap.ts";
import {
  type Action,
  commandNames,
  helpLines,
  isSecretLine,
  parseInput,
} from "../../shared/input_commands.ts";
import { splitText } from "../../shared/message_text.ts";
import { fitsMultiline, multilineParts } from "../../shared/modern_chat.ts";
import { $ } from "./dom.ts";
import type { IrcConnection } from "./irc_socket.ts";
import { type Buffer, type Chat, isChannel, type LineType } from "./model.ts";
import { completions } from "./view_text.ts";

/** Minimum gap between two `+typing=active` notices we send. */
const TYPING_RESEND_MS = 3000;
/** A paste of more lines than this asks before sending them (as irssi and WeeChat do). */
export const PASTE_ASK_LINES = 3;
/** Bytes of message text per line: 512 minus the room the server's prefix needs. */
const TEXT_BYTES = 400;

/** What the input side needs from the app. */
export interface InputHost {
  readonly chat: Chat;
  readonly conn: IrcConnection | undefined;
  switchTo(key: string): void;
  openQuery(nick: string): Buffer;
  join(channels: string[], keys?: string): void;
  closeBuffer(b: Buffer): void;
  loginPrompt(account: string): void;
  register(password: string, email?: string): void;
  setIgnored(nick: string, on: boolean): void;
  ignoredList(): string[];
  quit(reason?: string): void;
  render(): void;
  /** Remembers a message to a nick, to give it back if the nick turns out to be offline. */
  sentTo(nick: string, text: string): void;
  /** Uploads a pasted or dropped file (soju.im/filehost) and posts its link. */
  upload(file: File): void;
}

/** The message being replied to (shown above the box until sent or cancelled). */
export interface ReplyTarget {
  /** The conversation's name. */
  target: string;
  msgid: string;
  /** How the bar describes it ("bob: lunch?"). */
  label: string;
}

let batchSeq = 0;

/** The composer: the text box, its keys and its history. */
export class Composer {
  #host: InputHost;
  #box: HTMLTextAreaElement;
  #history: string[] = [];
  #historyPos = 0;
  #draft = "";
  #tab: { start: number; options: string[]; index: number } | undefined;
  #typingSent = { target: "", at: 0 };
  #reply: ReplyTarget | undefined;

  constructor(host: InputHost) {
    this.#host = host;
    this.#box = $("input") as HTMLTextAreaElement;
    this.#box.addEventListener("keydown", (ev) => this.#key(ev));
    this.#box.addEventListener("input", () => {
      this.#fit();
      this.#typed();
    });
    $("input-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
    // a pasted screenshot or file is uploaded (when the server takes uploads)
    this.#box.addEventListener("paste", (ev) => {
      const files = [...(ev.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      ev.preventDefault();
      for (const f of files) this.#host.upload(f);
    });
    $("reply-cancel").addEventListener("click", () => {
      this.replyTo(undefined);
      this.focus();
    });
  }

  /** Starts (or, with undefined, cancels) a reply to a message. */
  replyTo(reply: ReplyTarget | undefined): void {
    this.#reply = reply;
    $("reply-bar").hidden = reply === undefined;
    $("reply-text").textContent = reply ? `Replying to ${reply.label}` : "";
    if (reply) this.focus();
  }

  /** The reply tags for a message to `target` (the reply ends once used). */
  #replyTags(target: string): Record<string, string> {
    const r = this.#reply;
    if (!r || fold(r.target) !== fold(target) || !this.#host.conn?.has("message-tags")) return {};
    this.replyTo(undefined);
    return { "+draft/reply": r.msgid };
  }

  /** Sends a message to a conversation as if typed (an uploaded file's link). */
  say(target: string, text: string): boolean {
    return this.#say("say", target, text);
  }

  /** The box's text. */
  get text(): string {
    return this.#box.value;
  }

  /** Puts text in the box (kept typing, or given back after a failure). */
  set text(value: string) {
    this.#box.value = value;
    this.#fit();
  }

  focus(): void {
    this.#box.focus();
  }

  /** Shows whether the box can be used in this conversation (not after a kick). */
  setEnabled(enabled: boolean, placeholder: string): void {
    this.#box.disabled = !enabled;
    ($("send-button") as HTMLButtonElement).disabled = !enabled;
    this.#box.placeholder = placeholder;
  }

  /**
   * Enter: runs each line of the box in turn (a paste of N lines is N messages; more than a
   * few asks first). Whatever could not be sent stays in the box.
   */
  submit(): void {
    const value = this.#box.value;
    const lines = value.split(/\r?\n/).filter((l) => l.trim() !== "");
    if (lines.length === 0) return;
    // several lines, or one too long for a single message: one multiline message if it can
    const long = lines.length === 1 && new TextEncoder().encode(lines[0]).length > TEXT_BYTES;
    if ((lines.length > 1 || long) && this.#multiline(value)) {
      this.#typingSent = { target: "", at: 0 };
      this.#remember(lines[0]);
      this.text = "";
      this.#host.render();
      return;
    }
    if (
      lines.length > PASTE_ASK_LINES &&
      !globalThis.confirm(`Send these ${lines.length} lines as ${lines.length} messages?`)
    ) return;
    this.#typingSent = { target: "", at: 0 };
    for (let i = 0; i < lines.length; i++) {
      if (!this.run(lines[i])) {
        this.text = lines.slice(i).join("\n");
        this.#host.render();
        return;
      }
      if (!isSecretLine(lines[i])) this.#remember(lines[i]);
    }
    this.text = "";
    this.#host.render();
  }

  /**
   * Sends several lines as one draft/multiline batch when the server takes it and the text
   * fits its limits; false (nothing sent) otherwise, and the lines go one by one.
   */
  #multiline(value: string): boolean {
    const host = this.#host;
    const conn = host.conn;
    const limits = conn?.registered ? conn.multiline : undefined;
    const chat = host.chat;
    const b = chat.buffers.get(chat.active)!;
    if (!conn || !limits || b.kind === "server" || value.trimStart().startsWith("/")) return false;
    if (b.kind === "channel" && !b.joined) return false; // the usual path says why
    const text = value.replace(/^(\s*\r?\n)+/, "").replace(/(\r?\n\s*)+$/, "");
    const parts = multilineParts(text, TEXT_BYTES);
    if (!fitsMultiline(parts, limits)) return false;
    const id = `ml${Date.now().toString(36)}${++batchSeq}`;
    conn.send("BATCH", [`+${id}`, "draft/multiline", b.name], this.#replyTags(b.name));
    for (const p of parts) {
      const tags: Record<string, string> = { batch: id };
      if (p.concat) tags["draft/multiline-concat"] = "";
      conn.send("PRIVMSG", [b.name, p.text], tags);
    }
    conn.send("BATCH", [`-${id}`]);
    if (!conn.has("echo-message")) chat.note(b.key, "message", text, conn.nick, true);
    return true;
  }

  #remember(line: string): void {
    this.#history.push(line);
    if (this.#history.length > 100) this.#history.shift();
    this.#historyPos = this.#history.length;
  }

  /** Runs one line; false if it could not be carried out now (then it is kept). */
  run(line: string): boolean {
    const chat = this.#host.chat;
    const b = chat.buffers.get(chat.active)!;
    const action = parseInput(line, { target: b.kind === "server" ? undefined : b.name });
    return this.#perform(action, b);
  }

  #note(type: LineType, text: string): void {
    this.#host.chat.note(this.#host.chat.active, type, text);
  }

  #notConnected(): false {
    this.#note(
      "error",
      "Not connected right now: your text is kept. Press Enter once reconnected.",
    );
    return false;
  }

  #perform(action: Action, b: Buffer): boolean {
    const host = this.#host;
    const conn = host.conn;
    const online = conn?.registered === true;
    switch (action.kind) {
      case "none":
        return true;
      case "error":
        this.#note("error", action.text);
        return false; // the line stays, to be corrected
      case "say":
      case "action":
      case "notice":
        return this.#say(action.kind, action.target, action.text);
      case "query": {
        const q = host.openQuery(action.nick);
        host.switchTo(q.key);
        return action.text === undefined || this.#say("say", action.nick, action.text);
      }
      case "send":
        if (!online) return this.#notConnected();
        for (const m of action.messages) {
          if (m.command === "NAMES" && m.params[0]) host.chat.askedNames(m.params[0]);
          conn!.send(m.command, m.params, m.tags);
        }
        return true;
      case "raw":
        if (!online) return this.#notConnected();
        conn!.sendRaw(action.line);
        return true;
      case "nick":
        if (!online) return this.#notConnected();
        // the session keeps the nick only once the server grants it (its NICK reply)
        conn!.send("NICK", [action.nick]);
        return true;
      case "join":
        if (!online) return this.#notConnected();
        host.join(action.channels, action.keys);
        return true;
      case "register":
        if (!online) return this.#notConnected();
        host.register(action.password, action.email);
        return true;
      case "login":
      case "loginPrompt":
        if (!online) return this.#notConnected();
        host.loginPrompt(action.account ?? host.chat.me);
        return true;
      case "ignore":
        if (action.nick === undefined) {
          const list = host.ignoredList();
          this.#note(
            "info",
            list.length === 0 ? "You ignore no one." : `Ignored: ${list.join(", ")}`,
          );
        } else {
          host.setIgnored(action.nick, true);
          this.#note(
            "info",
            `You no longer see messages from ${action.nick} (/unignore ${action.nick} undoes it).`,
          );
        }
        return true;
      case "unignore":
        host.setIgnored(action.nick, false);
        this.#note("info", `You see messages from ${action.nick} again.`);
        return true;
      case "clear":
        b.lines.length = 0;
        b.markerAfter = "";
        return true;
      case "members":
        $("chat").classList.toggle("hide-members");
        return true;
      case "close":
        host.closeBuffer(b);
        return true;
      case "window": {
        const keys = host.chat.keys();
        const i = keys.indexOf(host.chat.active);
        const to = action.which === "next"
          ? keys[(i + 1) % keys.length]
          : action.which === "prev"
          ? keys[(i - 1 + keys.length) % keys.length]
          : keys[action.which - 1];
        if (to === undefined) {
          this.#note("error", `There is no conversation ${action.which}.`);
          return false;
        }
        host.switchTo(to);
        return true;
      }
      case "help":
        for (const l of helpLines(action.topic)) this.#note("info", l);
        if (action.topic === undefined) {
          this.#note(
            "info",
            "Keys: Enter sends, Shift+Enter starts a new line, Alt+↑/↓ or Alt+1…9 switch conversations, Ctrl+K jumps to one, Tab completes, ↑/↓ recall earlier lines.",
          );
        }
        return true;
      case "quit":
        host.quit(action.reason);
        return true;
    }
  }

  #say(kind: "say" | "action" | "notice", target: string, text: string): boolean {
    const host = this.#host;
    const conn = host.conn;
    if (!conn?.registered) return this.#notConnected();
    const b = host.chat.buffer(target);
    if (b?.kind === "channel" && !b.joined) {
      this.#note(
        "error",
        b.kicked
          ? `You are not in ${b.name} any more: rejoin it first. Your text is kept.`
          : `You are not in ${b.name}: /join ${b.name} first. Your text is kept.`,
      );
      return false;
    }
    const verb = kind === "notice" ? "NOTICE" : "PRIVMSG";
    const reply = this.#replyTags(target);
    for (const part of splitText(text, TEXT_BYTES)) {
      const body = kind === "action" ? `\x01ACTION ${part}\x01` : part;
      conn.send(verb, [target, body], reply);
      if (!conn.has("echo-message")) {
        const type = kind === "say" ? "message" : kind;
        host.chat.note(fold(target), type, part, conn.nick, true);
      }
    }
    if (!isChannel(target, host.chat.chanTypes)) host.sentTo(target, text);
    return true;
  }

  /** Grows the box with its lines (Shift+Enter, a paste), up to its CSS max-height. */
  #fit(): void {
    const box = this.#box;
    box.style.height = "auto";
    box.style.height = `${box.scrollHeight}px`;
  }

  #key(ev: KeyboardEvent): void {
    const box = this.#box;
    if (ev.key !== "Tab") this.#tab = undefined;
    const oneLine = !box.value.includes("\n");
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      this.submit();
    } else if (ev.key === "ArrowUp" && !ev.shiftKey && !ev.altKey && oneLine) {
      if (this.#historyPos === 0) return;
      if (this.#historyPos === this.#history.length) this.#draft = box.value;
      this.#historyPos--;
      this.text = this.#history[this.#historyPos];
      ev.preventDefault();
    } else if (ev.key === "ArrowDown" && !ev.shiftKey && !ev.altKey && oneLine) {
      if (this.#historyPos >= this.#history.length) return;
      this.#historyPos++;
      this.text = this.#historyPos === this.#history.length
        ? this.#draft
        : this.#history[this.#historyPos];
      ev.preventDefault();
    } else if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey && !ev.shiftKey) {
      ev.preventDefault();
      this.#complete();
    }
  }

  /** Tab: a command at the start of the line, a channel after '#', else a nick. */
  #complete(): void {
    const chat = this.#host.chat;
    const b = chat.buffers.get(chat.active);
    const box = this.#box;
    if (!b) return;
    if (!this.#tab) {
      const caret = box.selectionStart ?? box.value.length;
      const before = box.value.slice(0, caret);
      const start = before.search(/\S*$/);
      const prefix = before.slice(start);
      if (prefix === "") return;
      let candidates: string[];
      if (start === 0 && prefix.startsWith("/")) candidates = commandNames();
      else if (isChannel(prefix, chat.chanTypes) || prefix === "#") {
        candidates = [...chat.buffers.values()].filter((x) => x.kind === "channel").map((x) =>
          x.name
        );
      } else {
        candidates = (b.kind === "query" ? [b.name] : [...b.members.values()].map((m) => m.nick))
          .filter((n) => fold(n) !== fold(chat.me));
      }
      const options = completions(prefix, candidates);
      if (options.length === 0) return;
      this.#tab = { start, options, index: -1 };
    }
    const t = this.#tab;
    t.index = (t.index + 1) % t.options.length;
    const word = t.options[t.index];
    const nickAtStart = t.start === 0 && !word.startsWith("/") && !isChannel(word, chat.chanTypes);
    const suffix = nickAtStart ? ": " : " ";
    const after = box.value.slice(box.selectionStart ?? box.value.length);
    const head = box.value.slice(0, t.start) + word + suffix;
    this.text = head + after.replace(/^(: | )/, "");
    box.setSelectionRange(head.length, head.length);
  }

  /** Sends `+typing` notices: `active` at most every 3 s while typing, `done` when cleared. */
  #typed(): void {
    const chat = this.#host.chat;
    const conn = this.#host.conn;
    const b = chat.buffers.get(chat.active);
    if (!conn?.registered || !conn.has("message-tags") || !b || b.kind === "server") return;
    // not in the channel (kicked, parted): nobody there to tell
    if (b.kind === "channel" && !b.joined) return;
    const value = this.#box.value;
    const now = Date.now();
    if (value === "" || value.startsWith("/")) {
      if (this.#typingSent.target === b.name) {
        conn.send("TAGMSG", [b.name], { "+typing": "done" });
        this.#typingSent = { target: "", at: 0 };
      }
      return;
    }
    if (this.#typingSent.target === b.name && now - this.#typingSent.at < TYPING_RESEND_MS) {
      return;
    }
    conn.send("TAGMSG", [b.name], { "+typing": "active" });
    this.#typingSent = { target: b.name, at: now };
  }
}
