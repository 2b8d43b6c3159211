/**
 * A user's identity on the server (nick, user name, host, real name, modes, channels),
 * kept apart from the connection(s) that carry it so that several devices, reconnection
 * and other server nodes can be added later without touching the handlers.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { Channel } from "./channel.ts";
import type { Session } from "./session.ts";

/** The channels of a user in none (most idle users): one empty set for all of them. */
const NO_CHANNELS: ReadonlySet<Channel> = new Set();

/**
 * One registered (or registering) user.
 *
 * @example
 * ```ts ignore
 * const user = new User("alice", "~alice", "10.0.0.2", "Alice");
 * user.hostmask; // "alice!~alice@10.0.0.2"
 * ```
 */
export class User {
  #nick: string;
  #folded: string;
  username: string;
  readonly host: string;
  realname: string;
  /** Account name once logged in (the accounts issue fills it). */
  account: string | undefined = undefined;
  away: string | undefined = undefined;
  /** Set once NICK, USER (and CAP END, PASS) completed registration. */
  registered = false;
  invisible = false;
  oper = false;
  /** User mode +w: receives WALLOPS. */
  wallops = false;
  /** User mode +B: a bot (IRCv3 bot-mode: the `bot` tag, WHO flag B, RPL_WHOISBOT). */
  bot = false;
  /** When a registered nick held without logging in is taken back (ms; 0 = never). */
  nickDeadline = 0;
  /** Made at the first join: an empty set costs about 170 bytes per user. */
  #channels: Set<Channel> | undefined = undefined;
  /** The connections (devices) carrying this user: several when logged in more than once. */
  readonly sessions: Session[] = [];
  /** Stays online, in its channels, while no device is connected (NickServ SET always-on). */
  alwaysOn = false;
  /** When the last device left an always-on user (ms; 0 while one is connected). */
  detachedAt = 0;
  /**
   * A user of another node of a cluster, seen here through the bus: it has no sessions here
   * and a device logging in to its account here never attaches to it (lib/cluster/apply.ts).
   */
  remote = false;
  readonly signonAt: number = Math.floor(Date.now() / 1000);
  /** Last PRIVMSG/NOTICE time, for WHOIS idle. */
  lastSpokeAt: number = Date.now();
  #hostmask: string | undefined;
  /** Msgids of the stored messages this user sent as a guest, oldest first (see sentByMe). */
  #sent: Set<string> | undefined;

  constructor(nick: string, username: string, host: string, realname: string) {
    this.#nick = nick;
    this.#folded = casefold(nick);
    this.username = username;
    this.host = host;
    this.realname = realname;
  }

  get nick(): string {
    return this.#nick;
  }

  /** The channels this user is in; changed only by the channel table (see {@link joined}). */
  get channels(): ReadonlySet<Channel> {
    return this.#channels ?? NO_CHANNELS;
  }

  /** For the channel table: the user is now in `channel`. */
  joined(channel: Channel): void {
    (this.#channels ??= new Set()).add(channel);
  }

  /** For the channel table: the user left `channel` (or, with none, every channel). */
  left(channel?: Channel): void {
    if (channel === undefined) this.#channels = undefined;
    else this.#channels?.delete(channel);
  }

  /** The casefolded nick, the key in the server's user table. */
  get folded(): string {
    return this.#folded;
  }

  /** `nick!user@host`, the source of everything this user sends. */
  get hostmask(): string {
    return this.#hostmask ??= `${this.#nick}!${this.username}@${this.host}`;
  }

  /** Renames; the server's table is updated by the caller. */
  setNick(nick: string): void {
    this.#nick = nick;
    this.#folded = casefold(nick);
    this.#hostmask = undefined;
  }

  /** User mode string for RPL_UMODEIS. */
  get modeString(): string {
    return "+" + (this.bot ? "B" : "") + (this.invisible ? "i" : "") + (this.oper ? "o" : "") +
      (this.wallops ? "w" : "");
  }

  /**
   * Remembers a stored message this user sent without an account, so it may redact it: a
   * guest's messages carry no account to recognise them by, and a nick can change hands.
   * Only the last `max` are kept.
   */
  rememberSent(msgid: string, max: number): void {
    const sent = this.#sent ??= new Set();
    sent.add(msgid);
    if (sent.size > max) sent.delete(sent.values().next().value!);
  }

  /** Whether this user sent the message with this msgid as a guest (see rememberSent). */
  sentByMe(msgid: string): boolean {
    return this.#sent?.has(msgid) ?? false;
  }
}
