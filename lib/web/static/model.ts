/**
 * The browser app's state: conversations ("buffers") with their lines, members, topic,
 * unread and mention counts and typing nicks, updated from IRC messages. No DOM and no I/O,
 * so it is unit-tested under Deno; the UI renders from it.
 *
 * @module
 */

import { actionText, fold, isChannel, type Msg } from "./irc.ts";
import { mentions, stripFormatting } from "./text.ts";

/** What a line in a conversation shows. */
export type LineType =
  | "message"
  | "action"
  | "notice"
  | "join"
  | "part"
  | "quit"
  | "kick"
  | "nick"
  | "topic"
  | "mode"
  | "info"
  | "error";

/** One line of a conversation. */
export interface Line {
  /** The server's msgid, or a local id; used to drop duplicates from history. */
  id: string;
  /** Milliseconds since the epoch (server-time when the server gave it). */
  time: number;
  type: LineType;
  /** Who said or did it ("" for server lines). */
  nick: string;
  /** Plain text: formatting codes removed, never HTML. */
  text: string;
  /** Sent by us. */
  self: boolean;
  /** Mentions us (or is a private message to us). */
  mention: boolean;
}

/** A channel member with its status prefixes (`@`, `+`, ...), highest first. */
export interface Member {
  nick: string;
  prefix: string;
}

/** What kind of conversation a buffer is. */
export type BufferKind = "server" | "channel" | "query";

/** One conversation: the server window, a channel, or a private query. */
export interface Buffer {
  /** Case-folded name; the server buffer's key is `*`. */
  key: string;
  name: string;
  kind: BufferKind;
  lines: Line[];
  unread: number;
  mentions: number;
  /** Members by folded nick (channels only). */
  members: Map<string, Member>;
  topic: string;
  /** We are in the channel now. */
  joined: boolean;
  /** Nick → when its typing notice expires (ms). */
  typing: Map<string, number>;
  /** Chathistory paging state. */
  history: { loading: boolean; exhausted: boolean };
  /** Msgids already shown, to merge history without duplicates. */
  seen: Set<string>;
}

/** Side effects the app acts on after a message was handled. */
export type Effect =
  | { kind: "mention"; buffer: Buffer; line: Line }
  | { kind: "joined"; buffer: Buffer }
  | { kind: "history"; buffer: Buffer; count: number }
  | { kind: "registered" }
  | { kind: "nick-in-use"; nick: string };

/** The key of the server buffer. */
export const SERVER_KEY = "*";
/** Lines kept per conversation; older ones are dropped from memory. */
export const MAX_LINES = 2000;
/** How long a `+typing=active` notice lasts without a refresh (IRCv3 says 6 seconds). */
export const TYPING_MS = 6000;

let localId = 0;

/**
 * The chat state.
 *
 * @example
 * ```ts
 * import { Chat } from "./model.ts";
 * import { parse } from "./irc.ts";
 * const chat = new Chat("me");
 * chat.handle(parse(":me!u@h JOIN #a")!);
 * chat.handle(parse(":bob!u@h PRIVMSG #a :hi me")!);
 * chat.buffer("#a")?.lines.at(-1)?.mention; // true
 * ```
 */
export class Chat {
  /** Our current nick. */
  me: string;
  /** Conversations by key, in the order they were opened. */
  readonly buffers: Map<string, Buffer> = new Map();
  /** The key of the conversation on screen. */
  active: string = SERVER_KEY;
  /** Whether the page is visible (lines in the active buffer count as unread while hidden). */
  visible = true;
  /** Status prefixes by mode letter, from ISUPPORT PREFIX (highest first). */
  prefixes: { mode: string; symbol: string }[] = [
    { mode: "o", symbol: "@" },
    { mode: "v", symbol: "+" },
  ];
  chanTypes = "#&";
  /** CHANMODES groups A, B, C (modes that take a parameter). */
  chanModes: [string, string, string] = ["beI", "k", "l"];
  #names: Map<string, Map<string, Member>> = new Map();
  #batches: Map<string, { type: string; target: string; msgs: Msg[] }> = new Map();

  constructor(me: string) {
    this.me = me;
    this.#open(SERVER_KEY, "server", "server");
  }

  /** A buffer by name (any case), or undefined. */
  buffer(name: string): Buffer | undefined {
    return this.buffers.get(name === SERVER_KEY ? SERVER_KEY : fold(name));
  }

  /** Opens (or returns) the conversation for `name`. */
  open(name: string): Buffer {
    return this.#open(fold(name), name, isChannel(name, this.chanTypes) ? "channel" : "query");
  }

  #open(key: string, name: string, kind: BufferKind): Buffer {
    let b = this.buffers.get(key);
    if (!b) {
      b = {
        key,
        name,
        kind,
        lines: [],
        unread: 0,
        mentions: 0,
        members: new Map(),
        topic: "",
        joined: false,
        typing: new Map(),
        history: { loading: false, exhausted: false },
        seen: new Set(),
      };
      this.buffers.set(key, b);
    }
    return b;
  }

  /** Closes a conversation (not the server one). */
  close(key: string): void {
    if (key === SERVER_KEY) return;
    this.buffers.delete(key);
    if (this.active === key) this.active = SERVER_KEY;
  }

  /** Shows a conversation: its unread and mention counts are cleared. */
  activate(key: string): void {
    const b = this.buffers.get(key);
    if (!b) return;
    this.active = key;
    b.unread = 0;
    b.mentions = 0;
  }

  /** Nicks typing in a buffer now (expired notices are dropped). */
  typingIn(b: Buffer, now = Date.now()): string[] {
    for (const [nick, until] of b.typing) if (until <= now) b.typing.delete(nick);
    return [...b.typing.keys()];
  }

  /** Members sorted by rank, then name. */
  sortedMembers(b: Buffer): Member[] {
    const rank = (m: Member) => {
      const i = this.prefixes.findIndex((p) => p.symbol === m.prefix[0]);
      return i === -1 ? this.prefixes.length : i;
    };
    return [...b.members.values()].sort((x, y) =>
      rank(x) - rank(y) || x.nick.toLowerCase().localeCompare(y.nick.toLowerCase())
    );
  }

  /** Adds a local line (our own message without echo-message, errors, notes). */
  note(key: string, type: LineType, text: string, nick = "", self = false): Line {
    const b = this.buffers.get(key) ?? this.buffers.get(SERVER_KEY)!;
    const line = this.#line(b, { type, text, nick, self, time: Date.now() });
    this.#push(b, line, false);
    return line;
  }

  /** Updates the state from one message; returns what the app should do about it. */
  handle(msg: Msg): Effect[] {
    const batchId = msg.tags["batch"];
    if (batchId !== undefined) {
      const batch = this.#batches.get(batchId);
      if (batch) {
        batch.msgs.push(msg);
        return [];
      }
    }
    const effects: Effect[] = [];
    this.#dispatch(msg, effects, false);
    return effects;
  }

  #dispatch(msg: Msg, effects: Effect[], history: boolean): void {
    const p = msg.params;
    const time = msg.tags["time"] ? Date.parse(msg.tags["time"]) || Date.now() : Date.now();
    const fromMe = fold(msg.nick) === fold(this.me);
    switch (msg.command) {
      case "001":
        this.me = p[0] ?? this.me;
        effects.push({ kind: "registered" });
        this.note(SERVER_KEY, "info", p.slice(1).join(" "));
        return;
      case "005":
        this.#isupport(p.slice(1, -1));
        return;
      case "433":
        effects.push({ kind: "nick-in-use", nick: p[1] ?? "" });
        this.note(this.active, "error", `${p[1]}: nickname is already in use`);
        return;
      case "BATCH":
        this.#batch(msg, effects);
        return;
      case "JOIN": {
        const b = this.open(p[0]);
        if (fromMe) {
          b.joined = true;
          b.members.clear();
          effects.push({ kind: "joined", buffer: b });
        }
        b.members.set(fold(msg.nick), { nick: msg.nick, prefix: "" });
        this.#push(
          b,
          this.#line(b, { type: "join", nick: msg.nick, text: "joined", time }),
          history,
        );
        return;
      }
      case "PART": {
        const b = this.buffer(p[0]);
        if (!b) return;
        b.members.delete(fold(msg.nick));
        if (fromMe) b.joined = false;
        const text = p[1] ? `left (${stripFormatting(p[1])})` : "left";
        this.#push(b, this.#line(b, { type: "part", nick: msg.nick, text, time }), history);
        return;
      }
      case "KICK": {
        const b = this.buffer(p[0]);
        if (!b) return;
        b.members.delete(fold(p[1]));
        if (fold(p[1]) === fold(this.me)) b.joined = false;
        const text = `kicked ${p[1]}${p[2] ? ` (${stripFormatting(p[2])})` : ""}`;
        this.#push(b, this.#line(b, { type: "kick", nick: msg.nick, text, time }), history);
        return;
      }
      case "QUIT": {
        const key = fold(msg.nick);
        const text = p[0] ? `quit (${stripFormatting(p[0])})` : "quit";
        for (const b of this.buffers.values()) {
          if (b.members.delete(key) || (b.kind === "query" && b.key === key)) {
            b.typing.delete(msg.nick);
            this.#push(b, this.#line(b, { type: "quit", nick: msg.nick, text, time }), history);
          }
        }
        return;
      }
      case "NICK": {
        const to = p[0];
        const oldKey = fold(msg.nick);
        if (fromMe) this.me = to;
        for (const b of [...this.buffers.values()]) {
          const m = b.members.get(oldKey);
          const isQuery = b.kind === "query" && b.key === oldKey;
          if (!m && !isQuery && !fromMe) continue;
          if (m) {
            b.members.delete(oldKey);
            b.members.set(fold(to), { nick: to, prefix: m.prefix });
          }
          if (isQuery) this.#rekey(b, to);
          if (m || isQuery) {
            const line = this.#line(b, {
              type: "nick",
              nick: msg.nick,
              text: `is now ${to}`,
              time,
            });
            this.#push(b, line, history);
          }
        }
        return;
      }
      case "TOPIC": {
        const b = this.buffer(p[0]);
        if (!b) return;
        b.topic = stripFormatting(p[1] ?? "");
        const text = b.topic === "" ? "cleared the topic" : `set the topic: ${b.topic}`;
        this.#push(b, this.#line(b, { type: "topic", nick: msg.nick, text, time }), history);
        return;
      }
      case "332": {
        const b = this.buffer(p[1]);
        if (b) b.topic = stripFormatting(p[2] ?? "");
        return;
      }
      case "331": {
        const b = this.buffer(p[1]);
        if (b) b.topic = "";
        return;
      }
      case "353": {
        const chan = fold(p[2] ?? "");
        let names = this.#names.get(chan);
        if (!names) this.#names.set(chan, names = new Map());
        for (const entry of (p[3] ?? "").split(" ")) {
          if (entry === "") continue;
          let i = 0;
          while (i < entry.length && this.prefixes.some((x) => x.symbol === entry[i])) i++;
          const nick = entry.slice(i).split("!")[0];
          names.set(fold(nick), { nick, prefix: entry.slice(0, i) });
        }
        return;
      }
      case "366": {
        const chan = fold(p[1] ?? "");
        const b = this.buffers.get(chan);
        const names = this.#names.get(chan);
        this.#names.delete(chan);
        if (b && names) b.members = names;
        return;
      }
      case "MODE":
        this.#mode(msg, time, history);
        return;
      case "PRIVMSG":
      case "NOTICE":
        this.#message(msg, time, history, effects);
        return;
      case "TAGMSG": {
        const typing = msg.tags["+typing"];
        if (typing === undefined || fromMe) return;
        const target = p[0] ?? "";
        const b = isChannel(target, this.chanTypes) ? this.buffer(target) : this.buffer(msg.nick);
        if (!b) return;
        if (typing === "active") b.typing.set(msg.nick, Date.now() + TYPING_MS);
        else b.typing.delete(msg.nick);
        return;
      }
      case "INVITE":
        this.note(this.active, "info", `${msg.nick} invites you to ${p[1]}`);
        return;
      case "ERROR":
        this.note(SERVER_KEY, "error", p[0] ?? "connection closed");
        return;
      case "PING":
      case "PONG":
      case "CAP":
      case "AUTHENTICATE":
      case "AWAY":
      case "SETNAME":
      case "ACK":
      case "324":
      case "329":
      case "333":
        return;
    }
    if (/^\d{3}$/.test(msg.command)) {
      const n = Number(msg.command);
      const text = stripFormatting(p.slice(1).join(" "));
      // errors belong where the user is looking; replies and MOTD to the server window
      if (n >= 400 && n < 600 && n !== 422) this.note(this.active, "error", text);
      else this.note(SERVER_KEY, "info", text);
    }
  }

  #message(msg: Msg, time: number, history: boolean, effects: Effect[]): void {
    const target = msg.params[0] ?? "";
    let body = msg.params[1] ?? "";
    const notice = msg.command === "NOTICE";
    const fromMe = fold(msg.nick) === fold(this.me);
    const bare = target.replace(/^[~&@%+]+(?=[#&])/, ""); // @#chan: a statusmsg
    let b: Buffer;
    if (isChannel(bare, this.chanTypes)) b = this.open(bare);
    else if (!msg.source.includes("!") || msg.nick === "") {
      b = this.buffers.get(SERVER_KEY)!; // a server notice
    } else if (fromMe) b = this.open(target);
    else if (notice && !this.buffer(msg.nick)) b = this.buffers.get(SERVER_KEY)!;
    else b = this.open(msg.nick);
    let type: LineType = notice ? "notice" : "message";
    const action = actionText(body);
    if (action !== undefined) {
      type = "action";
      body = action;
    } else if (body.startsWith("\x01")) return; // other CTCP: nothing to show
    const text = stripFormatting(body);
    const mention = !fromMe && b.kind !== "server" &&
      (b.kind === "query" || mentions(text, this.me));
    b.typing.delete(msg.nick);
    const line = this.#line(b, {
      type,
      nick: msg.nick,
      text,
      time,
      self: fromMe,
      mention,
      id: msg.tags["msgid"],
    });
    const added = this.#push(b, line, history);
    if (added && mention && !history) effects.push({ kind: "mention", buffer: b, line });
  }

  #mode(msg: Msg, time: number, history: boolean): void {
    const [target, modes = "", ...args] = msg.params;
    const b = this.buffer(target ?? "");
    if (!b || b.kind !== "channel") return;
    let sign = "+";
    let ai = 0;
    const [a, bb, c] = this.chanModes;
    for (const ch of modes) {
      if (ch === "+" || ch === "-") {
        sign = ch;
        continue;
      }
      const status = this.prefixes.find((x) => x.mode === ch);
      const takesArg = status || a.includes(ch) || bb.includes(ch) ||
        (c.includes(ch) && sign === "+");
      const arg = takesArg ? args[ai++] : undefined;
      if (!status || arg === undefined) continue;
      const m = b.members.get(fold(arg));
      if (!m) continue;
      const symbols = new Set(m.prefix);
      if (sign === "+") symbols.add(status.symbol);
      else symbols.delete(status.symbol);
      m.prefix = this.prefixes.map((x) => x.symbol).filter((s) => symbols.has(s)).join("");
    }
    const text = `sets mode ${[modes, ...args].join(" ")}`;
    this.#push(b, this.#line(b, { type: "mode", nick: msg.nick, text, time }), history);
  }

  #batch(msg: Msg, effects: Effect[]): void {
    const ref = msg.params[0] ?? "";
    const id = ref.slice(1);
    if (ref.startsWith("+")) {
      const type = msg.params[1] ?? "";
      // only history is held back (to merge it in order); other batches flow as they come
      if (type === "chathistory") {
        this.#batches.set(id, { type, target: msg.params[2] ?? "", msgs: [] });
      }
      return;
    }
    const batch = this.#batches.get(id);
    if (!batch) return;
    this.#batches.delete(id);
    const b = this.open(batch.target);
    const before = b.lines.length;
    for (const m of batch.msgs) this.#dispatch(m, effects, true);
    b.history.loading = false;
    effects.push({ kind: "history", buffer: b, count: batch.msgs.length });
    if (b.lines.length === before && batch.msgs.length === 0) b.history.exhausted = true;
  }

  #isupport(tokens: string[]): void {
    for (const t of tokens) {
      const [k, v = ""] = t.split("=", 2);
      if (k === "PREFIX") {
        const m = /^\(([^)]*)\)(.*)$/.exec(v);
        if (m && m[1].length === m[2].length) {
          this.prefixes = [...m[1]].map((mode, i) => ({ mode, symbol: m[2][i] }));
        }
      } else if (k === "CHANTYPES" && v !== "") this.chanTypes = v;
      else if (k === "CHANMODES") {
        const g = v.split(",");
        this.chanModes = [g[0] ?? "", g[1] ?? "", g[2] ?? ""];
      }
    }
  }

  #rekey(b: Buffer, name: string): void {
    const key = fold(name);
    if (this.buffers.has(key)) return;
    const entries = [...this.buffers.entries()].map(([k, v]) => (k === b.key ? [key, v] : [k, v]));
    if (this.active === b.key) this.active = key;
    b.key = key;
    b.name = name;
    this.buffers.clear();
    for (const [k, v] of entries as [string, Buffer][]) this.buffers.set(k, v);
  }

  #line(
    _b: Buffer,
    l: Partial<Line> & Pick<Line, "type" | "text" | "time">,
  ): Line {
    return {
      id: l.id ?? `local-${++localId}`,
      time: l.time,
      type: l.type,
      nick: l.nick ?? "",
      text: l.text,
      self: l.self ?? false,
      mention: l.mention ?? false,
    };
  }

  /** Adds a line in time order (history may be older); false if it was a duplicate. */
  #push(b: Buffer, line: Line, history: boolean): boolean {
    if (!line.id.startsWith("local-")) {
      if (b.seen.has(line.id)) return false;
      b.seen.add(line.id);
    }
    const lines = b.lines;
    if (lines.length === 0 || lines[lines.length - 1].time <= line.time) lines.push(line);
    else {
      let lo = 0;
      let hi = lines.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (lines[mid].time <= line.time) lo = mid + 1;
        else hi = mid;
      }
      lines.splice(lo, 0, line);
    }
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
    const counts = line.type === "message" || line.type === "action" || line.type === "notice";
    if (!history && counts && !line.self && (b.key !== this.active || !this.visible)) {
      b.unread++;
      if (line.mention) b.mentions++;
    }
    return true;
  }
}
