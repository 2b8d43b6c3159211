/**
 * The browser app's state: conversations ("buffers") with their lines, members, topic,
 * unread and mention counts and typing nicks, updated from IRC messages. No DOM and no I/O,
 * so it is unit-tested under Deno; the UI renders from it.
 *
 * @module
 */

import type { IrcMessage } from "../../protocol/message.ts";
import { casefold as fold } from "../../protocol/casemap.ts";
import { actionText, mentions, sourceNick } from "../../shared/message_text.ts";
import { stripFormatting } from "../../shared/formatting.ts";
import { describeNumeric } from "../../shared/numeric_text.ts";
import * as N from "../../protocol/numerics.ts";
import { parseMarkreadParam } from "../../shared/markread.ts";
import { monitorNicks } from "../../shared/monitor.ts";
import { joinMultiline } from "../../shared/multiline_batch.ts";

/** Whether a target is a channel name, given the server's CHANTYPES. */
export function isChannel(name: string, types = "#&"): boolean {
  return name.length > 1 && types.includes(name[0]);
}

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
  /** The text with its IRC formatting codes, for a view that shows them (sanitised). */
  formatted?: string;
  /** A channel this line invites us to (a Join button). */
  invite?: string;
  /** Sent by us. */
  self: boolean;
  /** Mentions us (or is a private message to us). */
  mention: boolean;
  /** The msgid this message replies to (`+draft/reply`). */
  replyTo?: string;
  /** Reactions (`+draft/react`): emoji → the nicks who reacted, in order. */
  reactions?: Map<string, string[]>;
  /** Deleted by its sender or an operator (REDACT): the text is gone. */
  redacted?: boolean;
}

/** A channel member with its status prefixes (`@`, `+`, ...), highest first. */
export interface Member {
  nick: string;
  prefix: string;
}

/** Someone on the friends list (MONITOR) and whether the server says they are online. */
export interface Friend {
  nick: string;
  /** undefined until the server has answered. */
  online: boolean | undefined;
}

/** One search result (soju.im/search): the message and the conversation it is in. */
export interface SearchResult {
  /** The conversation's name (a channel, or the other nick of a private chat). */
  target: string;
  line: Line;
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
  /** We were kicked from (or banned in) this channel and are not back yet. */
  kicked: boolean;
  /** The last line shown when we last looked; the unread marker goes after it. */
  readUpTo: string;
  /** Where the unread marker is while the conversation is open ("" for none). */
  markerAfter: string;
  /**
   * The read marker (draft/read-marker) in ms: everything up to it was read on some device
   * of this account; undefined when the server keeps none.
   */
  readAt?: number;
}

/** Side effects the app acts on after a message was handled. */
export type Effect =
  | { kind: "mention"; buffer: Buffer; line: Line }
  | { kind: "joined"; buffer: Buffer }
  | { kind: "history"; buffer: Buffer; count: number }
  | { kind: "registered" }
  | { kind: "nick-in-use"; nick: string }
  | { kind: "nick"; nick: string }
  | { kind: "kicked"; buffer: Buffer }
  | { kind: "logged-in"; account: string }
  | { kind: "login-failed"; text: string }
  | { kind: "bad-server-password" }
  | { kind: "no-such-nick"; nick: string }
  | { kind: "join-failed"; channel: string; text: string }
  | { kind: "targets"; names: string[] }
  | { kind: "new-query"; buffer: Buffer }
  | { kind: "read"; buffer: Buffer }
  | { kind: "friend-online"; nick: string }
  | { kind: "search"; results: SearchResult[] }
  | { kind: "changed"; buffer: Buffer };

/** The key of the server buffer. */
export const SERVER_KEY = "*";
/** Lines kept per conversation; older ones are dropped from memory. */
export const MAX_LINES = 2000;
/** How long a `+typing=active` notice lasts without a refresh (IRCv3 says 6 seconds). */
export const TYPING_MS = 6000;

let localId = 0;

/** Batches held until they end. */
const HELD_BATCHES = new Set([
  "chathistory",
  "draft/chathistory-targets",
  "draft/multiline",
  "soju.im/search",
]);

/** The WHOX query token of the app's own WHO on joining (its answers are not shown). */
const AWAY_WHO_TOKEN = "71";

/** Whether a line counts as unread (what people say, not joins and parts). */
function counts(l: Line): boolean {
  return l.type === "message" || l.type === "action" || l.type === "notice";
}

/**
 * The chat state.
 *
 * @example
 * ```ts
 * import { Chat } from "./model.ts";
 * import { parseMessage as parse } from "../../protocol/message.ts";
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
  /** Folded nicks whose messages are not shown (/ignore). */
  readonly ignored: Set<string> = new Set();
  /** CHANMODES groups A, B, C (modes that take a parameter). */
  chanModes: [string, string, string] = ["beI", "k", "l"];
  #names: Map<string, Map<string, Member>> = new Map();
  #namesAsked: Set<string> = new Set();
  /** Batches inside a held batch (a multiline message in history): child → outermost. */
  #nested: Map<string, string> = new Map();
  #batches: Map<string, { type: string; target: string; msgs: IrcMessage[]; open: IrcMessage }> =
    new Map();
  /** Away messages by folded nick (away-notify, 301); a nick not here is present. */
  readonly away: Map<string, string> = new Map();
  /** The friends list by folded nick (MONITOR). */
  readonly friends: Map<string, Friend> = new Map();
  /** The upload URL the server names (ISUPPORT `soju.im/FILEHOST`), "" for none. */
  filehost = "";
  /** Most nicks the server watches for us (ISUPPORT MONITOR); 0 when it has no MONITOR. */
  monitorLimit = 0;
  /** The server has WHOX (ISUPPORT): a WHO can ask for just the fields it needs. */
  whox = false;
  /**
   * The msgids counted in each conversation's unread badge since it was last looked at, so
   * that a message deleted before anyone read it comes off the count (without a read marker
   * to count from again).
   */
  #counted: WeakMap<Buffer, Set<string>> = new WeakMap();
  /** Folded channels whose WHO the app sent by itself (awayQuery): answered silently. */
  #quietWho: Set<string> = new Set();

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
        kicked: false,
        readUpTo: "",
        markerAfter: "",
      };
      this.buffers.set(key, b);
    }
    return b;
  }

  /**
   * Closes a conversation (not the server one). If it was on screen, its neighbour is
   * shown: the next one in the list, else the previous one.
   */
  close(key: string): void {
    if (key === SERVER_KEY || !this.buffers.has(key)) return;
    const keys = [...this.buffers.keys()];
    const i = keys.indexOf(key);
    this.buffers.delete(key);
    if (this.active === key) this.activate(keys[i + 1] ?? keys[i - 1] ?? SERVER_KEY);
  }

  /**
   * Shows a conversation: its unread and mention counts are cleared, and an unread marker
   * is placed after the last line seen there before (if anything came since).
   */
  activate(key: string): void {
    const b = this.buffers.get(key);
    if (!b) return;
    const prev = this.buffers.get(this.active);
    if (prev && prev !== b) prev.readUpTo = prev.lines.at(-1)?.id ?? "";
    if (prev !== b) {
      b.markerAfter = b.unread > 0
        ? (b.readAt !== undefined ? this.#lastReadId(b) : b.readUpTo)
        : "";
    }
    this.active = key;
    b.unread = 0;
    b.mentions = 0;
    this.#counted.delete(b);
  }

  /**
   * The read marker to send (MARKREAD `timestamp=`) for a conversation now on screen: the
   * time of its last line, when that is past the marker the server has; undefined when
   * there is nothing new to mark. The marker is moved here at once.
   */
  readMarkerToSend(b: Buffer): string | undefined {
    // a channel we are not in has no marker to keep (the server would refuse it)
    if (b.kind === "server" || (b.kind === "channel" && !b.joined)) return undefined;
    const last = b.lines.findLast((l) => !l.id.startsWith("local-"));
    if (!last || (b.readAt !== undefined && last.time <= b.readAt)) return undefined;
    b.readAt = last.time;
    return new Date(last.time).toISOString();
  }

  /** The last line at or before the read marker ("" when none is). */
  #lastReadId(b: Buffer): string {
    const at = b.readAt ?? 0;
    return b.lines.findLast((l) => l.time <= at)?.id ?? "";
  }

  /** Unread and mention counts from the read marker (lines after it, not ours). */
  #recount(b: Buffer): void {
    if (b.readAt === undefined) return;
    if (b.key === this.active && this.visible) {
      b.unread = 0;
      b.mentions = 0;
      return;
    }
    const at = b.readAt;
    const after = b.lines.filter((l) => l.time > at && !l.self && counts(l) && !l.redacted);
    b.unread = after.length;
    b.mentions = after.filter((l) => l.mention).length;
    b.readUpTo = this.#lastReadId(b);
  }

  /** A line by msgid in a conversation, or anywhere when the conversation is unknown. */
  findLine(id: string, b?: Buffer): { buffer: Buffer; line: Line } | undefined {
    for (const x of b ? [b] : this.buffers.values()) {
      if (!x.seen.has(id)) continue;
      const line = x.lines.find((l) => l.id === id);
      if (line) return { buffer: x, line };
    }
    return undefined;
  }

  /** Our status prefixes in a channel ("" when none or not a channel). */
  myPrefix(b: Buffer): string {
    return b.members.get(fold(this.me))?.prefix ?? "";
  }

  /** Adds a reaction to a line we show; false if the line is not loaded. */
  react(b: Buffer, msgid: string, emoji: string, nick: string): boolean {
    const found = this.findLine(msgid, b);
    if (!found || emoji === "") return false;
    const line = found.line;
    line.reactions ??= new Map();
    const nicks = line.reactions.get(emoji) ?? [];
    if (!nicks.some((n) => fold(n) === fold(nick))) nicks.push(nick);
    line.reactions.set(emoji, nicks);
    return true;
  }

  /**
   * The WHO parameters that tell who in a channel is away already: away-notify only reports
   * changes, so the app asks once on joining (as the away-notify specification suggests).
   * The answer updates {@link away} and is not shown.
   */
  awayQuery(channel: string): string[] {
    this.#quietWho.add(fold(channel));
    return this.whox ? [channel, `%tcnf,${AWAY_WHO_TOKEN}`] : [channel];
  }

  /** A member's away state from the flags of a WHO reply (`G`one or `H`ere). */
  #whoFlags(nick: string, flags: string): void {
    const key = fold(nick);
    if (flags.startsWith("G")) {
      // WHO carries no away message; one already known (away-notify, 301) is kept
      if (!this.away.has(key)) this.away.set(key, "");
    } else if (flags.startsWith("H")) this.away.delete(key);
  }

  /** The user asked for a channel's names (/names): the reply is shown, not only stored. */
  askedNames(channel: string): void {
    this.#namesAsked.add(fold(channel));
  }

  /** The conversations in list order, for Alt+↑/↓ and Alt+1…9. */
  keys(): string[] {
    return [...this.buffers.keys()];
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
  handle(msg: IrcMessage): Effect[] {
    const batchId = msg.tags["batch"];
    if (batchId !== undefined) {
      const root = this.#nested.get(batchId) ?? batchId;
      const batch = this.#batches.get(root);
      if (batch) {
        // a batch opened inside a held one is replayed with it, in order
        if (msg.command === "BATCH" && (msg.params[0] ?? "").startsWith("+")) {
          this.#nested.set(msg.params[0].slice(1), root);
        }
        batch.msgs.push(msg);
        return [];
      }
    }
    const effects: Effect[] = [];
    this.#dispatch(msg, effects, false);
    return effects;
  }

  #dispatch(msg: IrcMessage, effects: Effect[], history: boolean): void {
    // replaying a held batch: the lines of a multiline message inside it are gathered
    const inner = msg.tags["batch"] !== undefined
      ? this.#batches.get(msg.tags["batch"])
      : undefined;
    if (inner && msg.command !== "BATCH") {
      inner.msgs.push(msg);
      return;
    }
    const p = msg.params;
    const time = msg.tags["time"] ? Date.parse(msg.tags["time"]) || Date.now() : Date.now();
    const nick = sourceNick(msg.source);
    const fromMe = fold(nick) === fold(this.me);
    switch (msg.command) {
      case "001":
        this.me = p[0] ?? this.me;
        effects.push({ kind: "registered" });
        this.note(SERVER_KEY, "info", stripFormatting(p.at(-1) ?? ""));
        return;
      case "005":
        this.#isupport(p.slice(1, -1));
        return;
      case "433":
        effects.push({ kind: "nick-in-use", nick: p[1] ?? "" });
        break; // and the sentence below
      case "BATCH":
        this.#batch(msg, effects, history);
        return;
      case "MARKREAD": {
        const b = this.buffer(p[0] ?? "");
        const ts = parseMarkreadParam(p[1])?.getTime();
        if (!b || ts === undefined) return;
        if (b.readAt !== undefined && ts <= b.readAt) return;
        b.readAt = ts;
        this.#recount(b);
        effects.push({ kind: "read", buffer: b });
        return;
      }
      case "REDACT": {
        const target = p[0] ?? "";
        const where = this.buffer(target) ?? this.buffer(nick);
        const found = this.findLine(p[1] ?? "", where) ?? this.findLine(p[1] ?? "");
        if (!found) return;
        const l = found.line;
        const b = found.buffer;
        if (b.readAt === undefined && this.#counted.get(b)?.delete(l.id)) {
          b.unread = Math.max(0, b.unread - 1);
          if (l.mention) b.mentions = Math.max(0, b.mentions - 1);
        }
        l.redacted = true;
        l.text = "";
        l.formatted = undefined;
        l.reactions = undefined;
        l.mention = false;
        this.#recount(found.buffer);
        effects.push({ kind: "changed", buffer: found.buffer });
        return;
      }
      case "AWAY":
        if (p[0] !== undefined && p[0] !== "") this.away.set(fold(nick), stripFormatting(p[0]));
        else this.away.delete(fold(nick));
        return;
      case N.RPL_AWAY:
        this.away.set(fold(p[1] ?? ""), stripFormatting(p[2] ?? ""));
        break; // and shown
      case N.RPL_WHOREPLY:
        // <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
        if (!this.#quietWho.has(fold(p[1] ?? ""))) break;
        this.#whoFlags(p[5] ?? "", p[6] ?? "");
        return;
      case N.RPL_WHOSPCRPL:
        // <me> <token> <channel> <nick> <flags>: the reply to awayQuery's %tcnf
        if (p[1] !== AWAY_WHO_TOKEN || !this.#quietWho.has(fold(p[2] ?? ""))) break;
        this.#whoFlags(p[3] ?? "", p[4] ?? "");
        return;
      case N.RPL_ENDOFWHO:
        if (this.#quietWho.delete(fold(p[1] ?? ""))) return;
        break;
      case N.RPL_UNAWAY:
        this.away.delete(fold(this.me));
        break;
      case N.RPL_NOWAWAY:
        this.away.set(fold(this.me), "away");
        break;
      case "730":
      case "731": {
        const online = msg.command === "730";
        for (const n of monitorNicks(p.at(-1) ?? "")) {
          const f = this.friends.get(fold(n));
          if (!f) continue;
          if (online && f.online === false) effects.push({ kind: "friend-online", nick: n });
          f.online = online;
          f.nick = n;
          if (!online) this.away.delete(fold(n));
        }
        return;
      }
      case "732":
      case "733":
        return;
      case "JOIN": {
        const b = this.open(p[0]);
        if (fromMe) {
          b.joined = true;
          b.kicked = false;
          b.members.clear();
          effects.push({ kind: "joined", buffer: b });
        }
        b.members.set(fold(nick), { nick, prefix: "" });
        this.#push(
          b,
          this.#line(b, { type: "join", nick, text: "joined", time }),
          history,
        );
        return;
      }
      case "PART": {
        const b = this.buffer(p[0]);
        if (!b) return;
        b.members.delete(fold(nick));
        if (fromMe) b.joined = false;
        const text = p[1] ? `left (${stripFormatting(p[1])})` : "left";
        this.#push(b, this.#line(b, { type: "part", nick, text, time }), history);
        return;
      }
      case "KICK": {
        const b = this.buffer(p[0]);
        if (!b) return;
        b.members.delete(fold(p[1]));
        const reason = p[2] ? ` (${stripFormatting(p[2])})` : "";
        if (fold(p[1]) === fold(this.me) && !history) {
          b.joined = false;
          b.kicked = true;
          b.typing.clear();
          b.members.clear();
          const text = `You were kicked from ${b.name} by ${nick}${reason}.`;
          this.#push(b, this.#line(b, { type: "error", nick: "", text, time }), false);
          effects.push({ kind: "kicked", buffer: b });
          return;
        }
        const text = `kicked ${p[1]}${reason}`;
        this.#push(b, this.#line(b, { type: "kick", nick, text, time }), history);
        return;
      }
      case "QUIT": {
        const key = fold(nick);
        this.away.delete(key);
        const text = p[0] ? `quit (${stripFormatting(p[0])})` : "quit";
        for (const b of this.buffers.values()) {
          if (b.members.delete(key) || (b.kind === "query" && b.key === key)) {
            b.typing.delete(nick);
            this.#push(b, this.#line(b, { type: "quit", nick, text, time }), history);
          }
        }
        return;
      }
      case "NICK": {
        const to = p[0];
        const oldKey = fold(nick);
        if (fromMe) {
          this.me = to;
          if (!history) effects.push({ kind: "nick", nick: to });
        }
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
              nick,
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
        this.#push(b, this.#line(b, { type: "topic", nick, text, time }), history);
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
        if (this.#namesAsked.delete(chan)) {
          // an answer to /names: said in words, where the user asked
          const list = names ? [...names.values()].map((m) => m.prefix.slice(0, 1) + m.nick) : [];
          const where = b?.name ?? p[1] ?? "";
          this.note(
            b?.key ?? this.active,
            "info",
            list.length === 0
              ? `No one visible is on ${where}.`
              : `${list.length} on ${where}: ${list.join(", ")}`,
          );
        }
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
        const react = msg.tags["+draft/react"];
        const about = msg.tags["+draft/reply"];
        if (react !== undefined && about !== undefined && !this.ignored.has(fold(nick))) {
          const target = p[0] ?? "";
          const b = isChannel(target, this.chanTypes)
            ? this.buffer(target)
            : this.buffer(fromMe ? target : nick);
          if (b && this.react(b, about, react, nick)) effects.push({ kind: "changed", buffer: b });
          return;
        }
        const typing = msg.tags["+typing"];
        if (typing === undefined || fromMe || this.ignored.has(fold(nick))) return;
        const target = p[0] ?? "";
        const b = isChannel(target, this.chanTypes) ? this.buffer(target) : this.buffer(nick);
        if (!b) return;
        if (typing === "active") b.typing.set(nick, Date.now() + TYPING_MS);
        else b.typing.delete(nick);
        return;
      }
      case "INVITE": {
        const line = this.note(this.active, "info", `${nick} invites you to ${p[1]}.`);
        line.invite = p[1];
        return;
      }
      case "REGISTER":
        if ((p[0] ?? "").toUpperCase() === "SUCCESS") {
          this.note(
            this.active,
            "info",
            `The account ${p[1] ?? ""} is registered and you are logged in to it.`,
          );
          effects.push({ kind: "logged-in", account: p[1] ?? this.me });
        }
        return;
      case "FAIL":
        // a read marker is kept in the background: its refusal is nothing the user did
        if (p[0] === "MARKREAD") return;
      // falls through
      case "WARN":
      case "NOTE":
        // standard replies: the last parameter is the human description
        this.note(
          this.active,
          msg.command === "FAIL" ? "error" : "info",
          stripFormatting(p.at(-1) ?? ""),
        );
        return;
      case "ERROR":
        this.note(SERVER_KEY, "error", p[0] ?? "connection closed");
        return;
      case "PING":
      case "PONG":
      case "CAP":
      case "AUTHENTICATE":
      case "SETNAME":
      case "ACK":
      case N.RPL_CREATIONTIME:
      case N.RPL_TOPICWHOTIME:
        return;
    }
    if (/^\d{3}$/.test(msg.command)) this.#numeric(msg, effects);
  }

  /**
   * A numeric reply in the shared wording. Errors and answers to what the user asked go
   * where the user is looking (the channel they concern, when open); the welcome burst and
   * server statistics go to the Server window.
   */
  #numeric(msg: IrcMessage, effects: Effect[]): void {
    const p = msg.params;
    const code = msg.command;
    switch (code) {
      case N.RPL_LOGGEDIN:
        effects.push({ kind: "logged-in", account: p[2] ?? "" });
        this.note(this.active, "info", `You are logged in as ${p[2] ?? ""}.`);
        return;
      case N.RPL_SASLSUCCESS:
      case N.RPL_LOGGEDOUT:
      case N.RPL_SASLMECHS:
        return;
      case N.ERR_SASLFAIL:
      case N.ERR_SASLTOOLONG:
      case N.ERR_SASLABORTED: {
        const throttled = /too many/i.test(p.at(-1) ?? "");
        const text = throttled
          ? "Login refused: too many failed attempts. Wait a minute and try again."
          : "Wrong password for this account.";
        effects.push({ kind: "login-failed", text });
        this.note(this.active, "error", text);
        return;
      }
      case N.ERR_PASSWDMISMATCH:
        effects.push({ kind: "bad-server-password" });
        break;
      case N.ERR_NOSUCHNICK:
        if (!isChannel(p[1] ?? "", this.chanTypes)) {
          effects.push({ kind: "no-such-nick", nick: p[1] ?? "" });
        }
        break;
      case N.ERR_BANNEDFROMCHAN:
      case N.ERR_INVITEONLYCHAN:
      case N.ERR_BADCHANNELKEY:
      case N.ERR_CHANNELISFULL:
      case N.ERR_TOOMANYCHANNELS:
      case N.ERR_BADCHANMASK:
      case N.ERR_NOSUCHCHANNEL: {
        const d = describeNumeric(msg);
        const b = this.buffer(p[1] ?? "");
        if (b && b.kind === "channel" && code === N.ERR_BANNEDFROMCHAN) b.kicked = true;
        effects.push({ kind: "join-failed", channel: p[1] ?? "", text: d?.text ?? "" });
        break;
      }
    }
    const d = describeNumeric(msg);
    if (!d) return;
    const n = Number(code);
    const burst = n < 300 || (n >= 372 && n <= 376) || code === N.ERR_NOMOTD;
    let key = SERVER_KEY;
    if (!burst || d.kind === "error") {
      // a reply about someone goes to the private chat with them when it is open
      const about = d.channel ?? p[1] ?? "";
      key = this.buffer(about)?.key ?? this.active;
    }
    this.note(key, d.kind === "error" ? "error" : "info", stripFormatting(d.text));
  }

  #message(msg: IrcMessage, time: number, history: boolean, effects: Effect[]): void {
    const target = msg.params[0] ?? "";
    let body = msg.params[1] ?? "";
    const notice = msg.command === "NOTICE";
    const nick = sourceNick(msg.source);
    const fromMe = fold(nick) === fold(this.me);
    if (!fromMe && this.ignored.has(fold(nick))) return;
    const bare = target.replace(/^[~&@%+]+(?=[#&])/, ""); // @#chan: a statusmsg
    let b: Buffer;
    if (isChannel(bare, this.chanTypes)) b = this.open(bare);
    else if (!(msg.source ?? "").includes("!") || nick === "") {
      b = this.buffers.get(SERVER_KEY)!; // a server notice
    } else if (fromMe) b = this.open(target);
    // a notice from someone we have no chat with (NickServ...) shows where the user looks
    else if (notice && !this.buffer(nick)) b = this.buffers.get(this.active)!;
    else {
      const isNew = !this.buffer(nick);
      b = this.open(nick);
      if (isNew && !history) effects.push({ kind: "new-query", buffer: b });
    }
    let type: LineType = notice ? "notice" : "message";
    const action = actionText(body);
    if (action !== undefined) {
      type = "action";
      body = action;
    } else if (body.startsWith("\x01")) return; // other CTCP: nothing to show
    const text = stripFormatting(body);
    const formatted = text === body ? undefined : body;
    const mention = !fromMe && b.kind !== "server" &&
      (b.kind === "query" || mentions(text, this.me));
    b.typing.delete(nick);
    const line = this.#line(b, {
      type,
      nick,
      text,
      formatted,
      time,
      self: fromMe,
      mention,
      id: msg.tags["msgid"],
    });
    if (msg.tags["+draft/reply"]) line.replyTo = msg.tags["+draft/reply"];
    const added = this.#push(b, line, history);
    if (added && mention && !history) effects.push({ kind: "mention", buffer: b, line });
  }

  #mode(msg: IrcMessage, time: number, history: boolean): void {
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
    this.#push(
      b,
      this.#line(b, { type: "mode", nick: sourceNick(msg.source), text, time }),
      history,
    );
  }

  #batch(msg: IrcMessage, effects: Effect[], history: boolean): void {
    const ref = msg.params[0] ?? "";
    const id = ref.slice(1);
    if (ref.startsWith("+")) {
      const type = msg.params[1] ?? "";
      // history is held back (to merge it in order), a multiline message until it is whole,
      // search results to list them; other batches flow as they come
      if (HELD_BATCHES.has(type)) {
        this.#batches.set(id, { type, target: msg.params[2] ?? "", msgs: [], open: msg });
      }
      return;
    }
    const batch = this.#batches.get(id);
    if (!batch) return;
    this.#batches.delete(id);
    for (const [child, root] of this.#nested) if (root === id) this.#nested.delete(child);
    if (batch.type === "draft/multiline") {
      const msgs = batch.msgs.filter((m) => m.command === "PRIVMSG" || m.command === "NOTICE");
      if (msgs.length === 0) return;
      const text = joinMultiline(msgs.map((m) => ({
        text: m.params[1] ?? "",
        concat: m.tags["draft/multiline-concat"] !== undefined,
      })));
      const tags = { ...batch.open.tags };
      delete tags["batch"];
      this.#dispatch(
        {
          tags,
          source: batch.open.source ?? msgs[0].source,
          command: msgs[0].command,
          params: [batch.target, text],
        },
        effects,
        history,
      );
      return;
    }
    if (batch.type === "soju.im/search") {
      effects.push({ kind: "search", results: this.#results(batch.msgs) });
      return;
    }
    if (batch.type === "draft/chathistory-targets") {
      const names = batch.msgs.filter((m) => m.command === "CHATHISTORY" && m.params[1])
        .map((m) => m.params[1]);
      effects.push({ kind: "targets", names });
      return;
    }
    const b = this.open(batch.target);
    const before = b.lines.length;
    for (const m of batch.msgs) this.#dispatch(m, effects, true);
    b.history.loading = false;
    this.#recount(b);
    effects.push({ kind: "history", buffer: b, count: batch.msgs.length });
    if (b.lines.length === before && batch.msgs.length === 0) b.history.exhausted = true;
  }

  /** Search results as lines, each with its conversation; not added to any conversation. */
  #results(msgs: IrcMessage[]): SearchResult[] {
    const out: SearchResult[] = [];
    for (const m of msgs) {
      if (m.command !== "PRIVMSG" && m.command !== "NOTICE") continue;
      const nick = sourceNick(m.source);
      const fromMe = fold(nick) === fold(this.me);
      const to = m.params[0] ?? "";
      const target = isChannel(to, this.chanTypes) || fromMe ? to : nick;
      let body = m.params[1] ?? "";
      const action = actionText(body);
      if (action !== undefined) body = action;
      const time = m.tags["time"] ? Date.parse(m.tags["time"]) || Date.now() : Date.now();
      const line = this.#line(this.buffers.get(SERVER_KEY)!, {
        type: action !== undefined ? "action" : m.command === "NOTICE" ? "notice" : "message",
        nick,
        text: stripFormatting(body),
        time,
        self: fromMe,
        id: m.tags["msgid"],
      });
      out.push({ target, line });
    }
    return out;
  }

  #isupport(tokens: string[]): void {
    for (const t of tokens) {
      const eq = t.indexOf("=");
      const name = eq === -1 ? t : t.slice(0, eq);
      // ISUPPORT values escape characters as \xHH (a space, '=', a backslash)
      const value = eq === -1
        ? ""
        : t.slice(eq + 1).replace(/\\x([0-9a-fA-F]{2})/g, (_, h) =>
          String.fromCharCode(parseInt(h, 16)));
      if (name === "soju.im/FILEHOST" || name === "draft/FILEHOST") this.filehost = value;
      else if (name === "MONITOR") this.monitorLimit = Number(value) || 100;
      else if (name === "-MONITOR") this.monitorLimit = 0;
      else if (name === "WHOX" || name === "-WHOX") this.whox = name === "WHOX";
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
      formatted: l.formatted,
      invite: l.invite,
      self: l.self ?? false,
      mention: l.mention ?? false,
    };
  }

  /** Adds someone to the friends list (the app sends MONITOR +). */
  addFriend(nick: string): Friend {
    const key = fold(nick);
    let f = this.friends.get(key);
    if (!f) this.friends.set(key, f = { nick, online: undefined });
    return f;
  }

  /** Removes someone from the friends list (the app sends MONITOR -). */
  removeFriend(nick: string): void {
    this.friends.delete(fold(nick));
  }

  /** Adds a line in time order (history may be older); false if it was a duplicate. */
  #push(b: Buffer, line: Line, history: boolean): boolean {
    if (!line.id.startsWith("local-")) {
      if (b.seen.has(line.id)) return false;
      b.seen.add(line.id);
    }
    const lines = b.lines;
    // live lines go at the end, in the order they came: a JOIN without a server time must
    // never be sorted after the message that followed it; only history is merged by time
    if (!history || lines.length === 0 || lines[lines.length - 1].time <= line.time) {
      lines.push(line);
    } else {
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
    if (!history && counts(line) && !line.self && (b.key !== this.active || !this.visible)) {
      b.unread++;
      if (line.mention) b.mentions++;
      if (!line.id.startsWith("local-")) {
        let ids = this.#counted.get(b);
        if (!ids) this.#counted.set(b, ids = new Set());
        ids.add(line.id);
        // as bounded as the lines kept
        if (ids.size > MAX_LINES) ids.delete(ids.values().next().value!);
      }
    }
    return true;
  }
}
