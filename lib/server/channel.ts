/**
 * Channel state: members with their prefixes, topic, modes, key, limit, bans, invites. Read
 * freely; changed through its methods, which the `ChannelTable` (channels.ts) (membership, topics,
 * persistence, events) and the MODE handler call.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import { maskMatches } from "../protocol/masks.ts";
import type { User } from "./user.ts";

/** Member prefix bit: channel operator (@). */
export const PREFIX_OP = 1;
/** Member prefix bit: voice (+). */
export const PREFIX_VOICE = 2;

/** The mask lists of a channel: bans (+b), ban exceptions (+e), invite exceptions (+I). */
export type ListMode = "b" | "e" | "I";

/** A ban list entry (also of the exception and invite-exception lists). */
export interface BanEntry {
  mask: string;
  setBy: string;
  setAt: number;
}

/** A topic with who set it and when (seconds). */
export interface Topic {
  text: string;
  setBy: string;
  setAt: number;
}

/** A registered channel's founder and the accounts that get +o on join. */
export interface ChannelRegistration {
  founder: string;
  registeredAt: number;
  ops: Set<string>;
}

/** The boolean channel modes (CHANMODES type D). */
export interface ChannelFlags {
  i: boolean;
  m: boolean;
  n: boolean;
  s: boolean;
  t: boolean;
}

/**
 * One channel.
 *
 * @example
 * ```ts ignore
 * const chan = new Channel("#lobby");
 * chan.setMember(user, PREFIX_OP);
 * chan.prefixOf(user, false); // "@"
 * ```
 */
export class Channel {
  readonly name: string;
  readonly folded: string;
  /** When this incarnation of the channel was made (seconds; RPL_CREATIONTIME). */
  readonly createdAt: number;
  #historyFloor: number;
  readonly #members: Map<User, number> = new Map();
  #topic: Topic | undefined = undefined;
  readonly #flags: ChannelFlags = { i: false, m: false, n: true, s: false, t: true };
  #key: string | undefined = undefined;
  #limit: number | undefined = undefined;
  readonly #bans: BanEntry[] = [];
  /** +e: masks a ban does not apply to. */
  readonly #exceptions: BanEntry[] = [];
  /** +I: masks that may join past +i without an invitation. */
  readonly #inviteExceptions: BanEntry[] = [];
  /** Casefolded nicks invited past +i (cleared when they join), oldest first. */
  readonly #invited: Set<string> = new Set();
  #registration: ChannelRegistration | undefined = undefined;

  constructor(name: string, now: number = Date.now()) {
    this.name = name;
    this.folded = casefold(name);
    this.createdAt = Math.floor(now / 1000);
    this.#historyFloor = now;
  }

  /**
   * The time (ms) the channel's history starts: what was said before belongs to an earlier
   * channel of the same name and its members, not to whoever holds the name now. A new
   * channel starts with none (unless the last one of its name was public, see
   * `ChannelTable`); a registered one restored from the store keeps what was said since its
   * registration.
   */
  get historyFloor(): number {
    return this.#historyFloor;
  }

  /** Moves the start of the history (a registered channel restored from the store). */
  setHistoryFloor(ms: number): void {
    this.#historyFloor = ms;
  }

  /** Members and their prefix bits (changed through the `ChannelTable` (channels.ts)). */
  get members(): ReadonlyMap<User, number> {
    return this.#members;
  }

  get topic(): Topic | undefined {
    return this.#topic;
  }

  /** The boolean modes. */
  get flags(): Readonly<ChannelFlags> {
    return this.#flags;
  }

  get key(): string | undefined {
    return this.#key;
  }

  get limit(): number | undefined {
    return this.#limit;
  }

  get bans(): readonly BanEntry[] {
    return this.#bans;
  }

  /** Ban exceptions (+e). */
  get exceptions(): readonly BanEntry[] {
    return this.#exceptions;
  }

  /** Invite exceptions (+I). */
  get inviteExceptions(): readonly BanEntry[] {
    return this.#inviteExceptions;
  }

  /** One of the mask lists, by its mode letter. */
  list(mode: ListMode): readonly BanEntry[] {
    return mode === "b" ? this.#bans : mode === "e" ? this.#exceptions : this.#inviteExceptions;
  }

  #list(mode: ListMode): BanEntry[] {
    return mode === "b" ? this.#bans : mode === "e" ? this.#exceptions : this.#inviteExceptions;
  }

  /** Adds an entry to a mask list. */
  addToList(mode: ListMode, entry: BanEntry): void {
    this.#list(mode).push(entry);
  }

  /** Removes the entry with this mask (casefolded compare) from a list; returns it, if any. */
  removeFromList(mode: ListMode, mask: string): BanEntry | undefined {
    const list = this.#list(mode);
    const f = casefold(mask);
    const i = list.findIndex((b) => casefold(b.mask) === f);
    return i === -1 ? undefined : list.splice(i, 1)[0];
  }

  /** Whether a mask (casefolded compare) is on a list. */
  hasInList(mode: ListMode, mask: string): boolean {
    const f = casefold(mask);
    return this.#list(mode).some((b) => casefold(b.mask) === f);
  }

  /** Set when the channel is registered: its founder and the accounts that get +o. */
  get registration(): Readonly<ChannelRegistration> | undefined {
    return this.#registration;
  }

  /** Adds or updates a member (the channel table's part of JOIN). */
  setMember(user: User, bits: number): void {
    this.#members.set(user, bits);
  }

  /** Removes a member; true when it was one. */
  deleteMember(user: User): boolean {
    return this.#members.delete(user);
  }

  setTopic(topic: Topic | undefined): void {
    this.#topic = topic;
  }

  setFlag(flag: keyof ChannelFlags, on: boolean): void {
    this.#flags[flag] = on;
  }

  setKey(key: string | undefined): void {
    this.#key = key;
  }

  setLimit(limit: number | undefined): void {
    this.#limit = limit;
  }

  addBan(ban: BanEntry): void {
    this.addToList("b", ban);
  }

  /** Removes the ban with this mask (casefolded compare); returns it, if there was one. */
  removeBan(mask: string): BanEntry | undefined {
    return this.removeFromList("b", mask);
  }

  /** Lets a user past +i once; the list is bounded, the oldest invitation goes first. */
  invite(user: User): void {
    this.#invited.add(user.folded);
    if (this.#invited.size > 100) this.#invited.delete(this.#invited.values().next().value!);
  }

  /** Uses up an invitation (on join). */
  clearInvite(user: User): void {
    this.#invited.delete(user.folded);
  }

  /** Registers the channel to an account (or, undefined, unregisters it). */
  setRegistration(registration: ChannelRegistration | undefined): void {
    this.#registration = registration;
  }

  /** In a registered channel, remembers (or forgets) an account as an operator. */
  rememberOp(account: string, on: boolean): void {
    const reg = this.#registration;
    if (!reg) return;
    if (on) reg.ops.add(account);
    else if (account !== reg.founder) reg.ops.delete(account);
  }

  /** The prefix characters of a member: all of them with multi-prefix, else the highest. */
  prefixOf(user: User, multi: boolean): string {
    const bits = this.#members.get(user) ?? 0;
    if (multi) return (bits & PREFIX_OP ? "@" : "") + (bits & PREFIX_VOICE ? "+" : "");
    return bits & PREFIX_OP ? "@" : bits & PREFIX_VOICE ? "+" : "";
  }

  isOp(user: User): boolean {
    return ((this.#members.get(user) ?? 0) & PREFIX_OP) !== 0;
  }

  /** Whether a member may speak under +m. */
  canSpeak(user: User): boolean {
    const bits = this.#members.get(user);
    if (bits === undefined) return !this.#flags.n && !this.#flags.m;
    return !this.#flags.m || bits !== 0;
  }

  /** Whether a ban matches the user and no ban exception (+e) does. */
  isBanned(user: User): boolean {
    if (this.#bans.length === 0) return false;
    const mask = user.hostmask;
    return this.#bans.some((b) => maskMatches(b.mask, mask)) &&
      !this.#exceptions.some((e) => maskMatches(e.mask, mask));
  }

  /** Whether an invite exception (+I) lets the user join past +i. */
  isInviteExempt(user: User): boolean {
    if (this.#inviteExceptions.length === 0) return false;
    const mask = user.hostmask;
    return this.#inviteExceptions.some((e) => maskMatches(e.mask, mask));
  }

  isInvited(user: User): boolean {
    return this.#invited.has(user.folded);
  }

  /** The mode string and its parameters for RPL_CHANNELMODEIS; the key only for members. */
  modeReply(showKey: boolean): string[] {
    let modes = "+";
    const params: string[] = [];
    for (const f of ["i", "m", "n", "s", "t"] as const) if (this.#flags[f]) modes += f;
    if (this.#key !== undefined) {
      modes += "k";
      params.push(showKey ? this.#key : "*");
    }
    if (this.#limit !== undefined) {
      modes += "l";
      params.push(String(this.#limit));
    }
    return [modes, ...params];
  }

  /** Whether a casefolded ban mask is already on the list. */
  hasBan(mask: string): boolean {
    return this.hasInList("b", mask);
  }
}
