/**
 * Channel state: members with their prefixes, topic, modes, key, limit, bans, invites.
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

/** A ban list entry. */
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
 * chan.members.set(user, PREFIX_OP);
 * chan.prefixOf(user, false); // "@"
 * ```
 */
export class Channel {
  readonly name: string;
  readonly folded: string;
  readonly createdAt: number = Math.floor(Date.now() / 1000);
  /** Members and their prefix bits. */
  readonly members: Map<User, number> = new Map();
  topic: Topic | undefined = undefined;
  readonly flags: ChannelFlags = { i: false, m: false, n: true, s: false, t: true };
  key: string | undefined = undefined;
  limit: number | undefined = undefined;
  readonly bans: BanEntry[] = [];
  /** Casefolded nicks invited past +i (cleared when they join). */
  readonly invited: Set<string> = new Set();
  /** Set when the channel is registered: its founder and the accounts that get +o. */
  registration: { founder: string; registeredAt: number; ops: Set<string> } | undefined = undefined;

  constructor(name: string) {
    this.name = name;
    this.folded = casefold(name);
  }

  /** The prefix characters of a member: all of them with multi-prefix, else the highest. */
  prefixOf(user: User, multi: boolean): string {
    const bits = this.members.get(user) ?? 0;
    if (multi) return (bits & PREFIX_OP ? "@" : "") + (bits & PREFIX_VOICE ? "+" : "");
    return bits & PREFIX_OP ? "@" : bits & PREFIX_VOICE ? "+" : "";
  }

  isOp(user: User): boolean {
    return ((this.members.get(user) ?? 0) & PREFIX_OP) !== 0;
  }

  /** Whether a member may speak under +m. */
  canSpeak(user: User): boolean {
    const bits = this.members.get(user);
    if (bits === undefined) return !this.flags.n && !this.flags.m;
    return !this.flags.m || bits !== 0;
  }

  isBanned(user: User): boolean {
    if (this.bans.length === 0) return false;
    const mask = user.hostmask;
    return this.bans.some((b) => maskMatches(b.mask, mask));
  }

  isInvited(user: User): boolean {
    return this.invited.has(user.folded);
  }

  /** The mode string and its parameters for RPL_CHANNELMODEIS; the key only for members. */
  modeReply(showKey: boolean): string[] {
    let modes = "+";
    const params: string[] = [];
    for (const f of ["i", "m", "n", "s", "t"] as const) if (this.flags[f]) modes += f;
    if (this.key !== undefined) {
      modes += "k";
      params.push(showKey ? this.key : "*");
    }
    if (this.limit !== undefined) {
      modes += "l";
      params.push(String(this.limit));
    }
    return [modes, ...params];
  }

  /** Whether a casefolded ban mask is already on the list. */
  hasBan(mask: string): boolean {
    const f = casefold(mask);
    return this.bans.some((b) => casefold(b.mask) === f);
  }
}
