/**
 * What the client knows about channels: the server's ISUPPORT rules for them (PREFIX,
 * CHANTYPES), the channels we are on with their topic and members (from NAMES, JOIN, PART,
 * KICK, QUIT, NICK, MODE and AWAY), and the channels we want to be on, which are joined
 * again after a reconnect. One owner: handlers change it only through these methods.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import { message, serializeMessage } from "../protocol/message.ts";
import { sourceNick as nickOf } from "../shared/message_text.ts";

/**
 * A member of a channel.
 *
 * @example
 * ```ts
 * import type { Member } from "./channel_state.ts";
 * const m: Member = { nick: "ann", prefixes: "@" };
 * ```
 */
export interface Member {
  /** Nick as the server spells it. */
  nick: string;
  /** Prefix symbols such as "@" or "@+". */
  prefixes: string;
  /** Marked away (away-notify or WHO). */
  away?: boolean;
}

/**
 * What the client knows about a channel it is on.
 *
 * @example
 * ```ts
 * import type { ChannelState } from "./channel_state.ts";
 * const c: ChannelState = { name: "#a", topic: "", members: new Map() };
 * ```
 */
export interface ChannelState {
  /** The name as the server spells it. */
  name: string;
  /** The topic, or "". */
  topic: string;
  /** Members by casefolded nick. */
  members: Map<string, Member>;
}

/** Channels joined per JOIN line (servers cap the targets of one command). */
const JOINS_PER_LINE = 10;

/** Mode letters that take an argument when set (and, except for l, when unset). */
const MODES_WITH_ARG = "bkeIlfjL";

/**
 * The channel table of one client.
 *
 * @example
 * ```ts
 * import { ChannelTable } from "./channel_state.ts";
 * import assert from "node:assert/strict";
 * const t = new ChannelTable(["#lobby"]);
 * t.joined("#lobby");
 * t.addNames("#lobby", "@ann bob");
 * t.endOfNames("#lobby");
 * assert.deepEqual(t.rankedMembers("#lobby").map((m) => m.nick), ["ann", "bob"]);
 * ```
 */
export class ChannelTable {
  /** Channels we are on, by casefolded name. */
  readonly channels = new Map<string, ChannelState>();
  #prefixModes = "ov";
  #prefixSymbols = "@+";
  #chanTypes = "#&";
  #network = "";
  /** Channels to be on (with their key), rejoined after a reconnect. */
  #wanted = new Map<string, { name: string; key?: string }>();
  /** Asked for and not yet joined or refused. */
  #pending = new Set<string>();
  /** Joins the user asked for, whose window is shown once joined. */
  #focus = new Set<string>();
  /** NAMES replies being collected. */
  #names = new Map<string, Member[]>();
  /** Channels with a WHO of ours (for away states) not yet answered. */
  #whoPending = new Set<string>();

  constructor(channels: string[] = []) {
    for (const c of channels) this.#wanted.set(casefold(c), { name: c });
    if (channels.length > 0) this.#focus.add(casefold(channels[0]));
  }

  /** The prefix symbols in rank order (e.g. "@+"). */
  get prefixSymbols(): string {
    return this.#prefixSymbols;
  }
  /** The network name from ISUPPORT NETWORK, or "". */
  get network(): string {
    return this.#network;
  }
  /** How many asked-for joins have no answer yet. */
  get pendingJoins(): number {
    return this.#pending.size;
  }

  /** Applies ISUPPORT tokens (PREFIX, CHANTYPES, NETWORK). */
  isupport(tokens: string[]): void {
    for (const t of tokens) {
      const [k, v = ""] = t.split("=", 2);
      if (k === "PREFIX") {
        const m = /^\(([^)]*)\)(.*)$/.exec(v);
        if (m && m[1].length === m[2].length) {
          this.#prefixModes = m[1];
          this.#prefixSymbols = m[2];
        }
      } else if (k === "CHANTYPES" && v !== "") {
        this.#chanTypes = v;
      } else if (k === "NETWORK" && v !== "") {
        this.#network = v;
      }
    }
  }

  /** Whether a name is a channel by this server's channel types. */
  isChannel(name: string): boolean {
    return name !== "" && this.#chanTypes.includes(name[0]);
  }

  /** A channel we are on. */
  get(name: string): ChannelState | undefined {
    return this.channels.get(casefold(name));
  }

  /** The window name of a channel: as the server spells it when we are on it. */
  windowOf(name: string): string {
    return this.get(name)?.name ?? name;
  }

  /** A STATUSMSG target such as `@#chan` without its prefix. */
  stripStatusPrefix(target: string): string {
    while (
      target.length > 1 && this.#prefixSymbols.includes(target[0]) &&
      this.isChannel(target.slice(1))
    ) {
      target = target.slice(1);
    }
    return target;
  }

  /** The user asked to join: remember it (and show the window once joined). */
  want(channels: string[], key?: string): void {
    for (const c of channels) {
      this.#wanted.set(casefold(c), { name: c, key });
      this.#focus.add(casefold(c));
    }
  }

  /** The JOIN lines for every wanted channel, at registration; marks them pending. */
  joinLines(): string[] {
    this.#pending.clear();
    const all = [...this.#wanted.values()];
    for (const w of all) this.#pending.add(casefold(w.name));
    const out: string[] = [];
    const noKey = all.filter((w) => !w.key);
    for (let i = 0; i < noKey.length; i += JOINS_PER_LINE) {
      const names = noKey.slice(i, i + JOINS_PER_LINE).map((w) => w.name).join(",");
      out.push(serializeMessage(message("JOIN", [names])));
    }
    for (const w of all) if (w.key) out.push(serializeMessage(message("JOIN", [w.name, w.key])));
    return out;
  }

  /** A join was refused (a 4xx for a channel): no longer wanted. True if it was pending. */
  refused(name: string): boolean {
    const key = casefold(name);
    if (!this.#pending.delete(key)) return false;
    this.#wanted.delete(key);
    this.#focus.delete(key);
    return true;
  }

  /** We joined a channel; returns whether its window should be shown. */
  joined(name: string): boolean {
    const key = casefold(name);
    this.channels.set(key, { name, topic: "", members: new Map() });
    this.#wanted.set(key, { name, key: this.#wanted.get(key)?.key });
    this.#pending.delete(key);
    return this.#focus.delete(key);
  }

  /** We left a channel (PART or KICK): it is no longer wanted. */
  left(name: string): ChannelState | undefined {
    const key = casefold(name);
    const ch = this.channels.get(key);
    this.channels.delete(key);
    this.#wanted.delete(key);
    return ch;
  }

  /** Someone else joined. */
  addMember(channel: string, nick: string): ChannelState | undefined {
    const ch = this.get(channel);
    ch?.members.set(casefold(nick), { nick, prefixes: "" });
    return ch;
  }

  /** Someone else left (PART or KICK). */
  removeMember(channel: string, nick: string): ChannelState | undefined {
    const ch = this.get(channel);
    ch?.members.delete(casefold(nick));
    return ch;
  }

  /** Someone quit: the channels they were removed from. */
  quit(nick: string): ChannelState[] {
    const key = casefold(nick);
    return [...this.channels.values()].filter((ch) => ch.members.delete(key));
  }

  /** Someone changed nick: the channels they are on. */
  rename(from: string, to: string): ChannelState[] {
    const out: ChannelState[] = [];
    for (const ch of this.channels.values()) {
      const m = ch.members.get(casefold(from));
      if (!m) continue;
      ch.members.delete(casefold(from));
      ch.members.set(casefold(to), { ...m, nick: to });
      out.push(ch);
    }
    return out;
  }

  /** Someone went away or came back; true if we share a channel with them. */
  setAway(nick: string, away: boolean): boolean {
    let seen = false;
    for (const ch of this.channels.values()) {
      const m = ch.members.get(casefold(nick));
      if (!m) continue;
      m.away = away;
      seen = true;
    }
    return seen;
  }

  /** We asked WHO for a channel's away states; its replies are ours, not the user's. */
  whoAsked(channel: string): void {
    this.#whoPending.add(casefold(channel));
  }

  /**
   * A WHO reply (352): when it answers our WHO, records the member's away state (flag G)
   * and returns true; false when the user asked (it is to be shown).
   */
  whoReply(channel: string, nick: string, flags: string): boolean {
    if (!this.#whoPending.has(casefold(channel))) return false;
    const m = this.get(channel)?.members.get(casefold(nick));
    if (m) m.away = flags.startsWith("G");
    return true;
  }

  /** End of WHO (315): true when it ends ours. */
  whoEnd(channel: string): boolean {
    return this.#whoPending.delete(casefold(channel));
  }

  /** Sets a channel's topic. */
  setTopic(channel: string, topic: string): ChannelState | undefined {
    const ch = this.get(channel);
    if (ch) ch.topic = topic;
    return ch;
  }

  /** Collects one RPL_NAMREPLY's entries. */
  addNames(channel: string, entries: string): void {
    const key = casefold(channel);
    const list = this.#names.get(key) ?? [];
    for (const e of entries.split(" ")) if (e !== "") list.push(this.#parseMember(e));
    this.#names.set(key, list);
  }

  /** RPL_ENDOFNAMES: the collected list replaces the channel's members; returns it. */
  endOfNames(channel: string): { channel: ChannelState | undefined; list: Member[] } {
    const key = casefold(channel);
    const list = this.#names.get(key) ?? [];
    this.#names.delete(key);
    const ch = this.channels.get(key);
    if (ch) {
      const before = ch.members;
      ch.members = new Map();
      for (const m of list) {
        const k = casefold(m.nick);
        // NAMES says nothing of away: keep what we knew
        ch.members.set(k, before.get(k)?.away ? { ...m, away: true } : m);
      }
    }
    return { channel: ch, list };
  }

  /** Applies a channel MODE change to members' prefixes (+o, +v, …). */
  applyModes(channel: string, changes: string[]): ChannelState | undefined {
    const ch = this.get(channel);
    if (!ch) return undefined;
    let sign = "+";
    let arg = 1;
    for (const c of changes[0] ?? "") {
      if (c === "+" || c === "-") {
        sign = c;
        continue;
      }
      const idx = this.#prefixModes.indexOf(c);
      if (idx !== -1) {
        const who = changes[arg++];
        const m = who ? ch.members.get(casefold(who)) : undefined;
        if (m) {
          const sym = this.#prefixSymbols[idx];
          const set = new Set(m.prefixes.replace(sym, ""));
          if (sign === "+") set.add(sym);
          m.prefixes = [...this.#prefixSymbols].filter((s) => set.has(s)).join("");
        }
      } else if (MODES_WITH_ARG.includes(c) && (sign === "+" || c !== "l")) {
        arg++;
      }
    }
    return ch;
  }

  /** The connection is gone: keep the channels we were on as wanted, forget the rest. */
  disconnected(): void {
    for (const [key, ch] of this.channels) {
      if (!this.#wanted.has(key)) this.#wanted.set(key, { name: ch.name });
    }
    this.channels.clear();
    this.#names.clear();
    this.#whoPending.clear();
  }

  /** The nicks on a channel (empty for unknown channels), sorted case-insensitively. */
  nicksIn(channel: string): string[] {
    const ch = this.get(channel);
    if (!ch) return [];
    return [...ch.members.values()].map((m) => m.nick).sort((a, b) =>
      casefold(a) < casefold(b) ? -1 : 1
    );
  }

  /**
   * A channel's members as a member list shows them: highest status first (in the order of
   * the server's PREFIX), then by nick, case-insensitively.
   */
  rankedMembers(channel: string): Member[] {
    const ch = this.get(channel);
    if (!ch) return [];
    const symbols = this.#prefixSymbols;
    const rank = (m: Member) => m.prefixes === "" ? symbols.length : symbols.indexOf(m.prefixes[0]);
    return [...ch.members.values()].sort((a, b) =>
      rank(a) - rank(b) || (casefold(a.nick) < casefold(b.nick) ? -1 : 1)
    );
  }

  #parseMember(entry: string): Member {
    let i = 0;
    while (i < entry.length && this.#prefixSymbols.includes(entry[i])) i++;
    return { prefixes: entry.slice(0, i), nick: nickOf(entry.slice(i)) };
  }
}
