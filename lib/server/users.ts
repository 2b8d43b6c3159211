/**
 * The user table: every user by casefolded nick (registered ones, and those that claimed a
 * nick while registering), renames, WHOWAS, the LUSERS counts, and the protection of
 * registered nicks (a user holding one without being logged in to it is warned, then renamed
 * when its grace period runs out). Changes other nodes must see go to the
 * {@link ServerEvents}.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import {
  type AccountRecord,
  type AlwaysOnState,
  type ChatStore,
  StoreUnavailableError,
} from "../store/store.ts";
import { NICKSERV, serviceMask } from "./accounts.ts";
import { toPeers, toUser } from "./delivery.ts";
import type { ServerEvents } from "./events.ts";
import type { Limits } from "./limits.ts";
import type { MonitorTable } from "./monitor.ts";
import { Outgoing } from "./outgoing.ts";
import type { ResponseBuffer } from "./response_buffer.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/** The away message of an always-on user while none of its devices is connected. */
export const NO_DEVICE_AWAY = "Not connected (always-on)";

/** What the store keeps of an always-on user to bring it back after a restart. */
export function alwaysOnState(user: User): AlwaysOnState {
  return {
    nick: user.nick,
    username: user.username,
    host: user.host,
    realname: user.realname,
    channels: [...user.channels].map((c) => c.name),
  };
}

/**
 * Saves an always-on user's state after its nick or channels changed (in the background: the
 * state in memory is what counts now). Users without always-on are skipped.
 *
 * @example
 * ```ts ignore
 * channels.join(channel, user, 0); // calls saveAlwaysOn(store, user)
 * ```
 */
export function saveAlwaysOn(store: ChatStore, user: User): void {
  if (!user.alwaysOn || user.account === undefined || !user.registered) return;
  store.setAlwaysOn(casefold(user.account), alwaysOnState(user)).catch((err) =>
    console.error(`saving always-on ${user.account} failed: ${(err as Error).message}`)
  );
}

/** A remembered nick for WHOWAS. */
export interface WhowasEntry {
  nick: string;
  folded: string;
  username: string;
  host: string;
  realname: string;
  at: number;
}

/** Registered users, invisible ones and operators, for LUSERS. */
export interface UserCounts {
  users: number;
  invisible: number;
  opers: number;
  /** The most registered users at once. */
  peak: number;
}

/**
 * Users by nick.
 *
 * @example
 * ```ts ignore
 * if (!users.holder("alice")) users.rename(user, "alice", ctx.rb);
 * users.find("alice"); // the user, once registered
 * ```
 */
export class UserTable {
  readonly #byNick: Map<string, User> = new Map();
  readonly #whowas: WhowasEntry[] = [];
  readonly #counts: UserCounts = { users: 0, invisible: 0, opers: 0, peak: 0 };
  /** Connections carrying registered users (one user may have several, or none). */
  #devices = 0;
  /** Orders away messages set by a user's devices (a clock may tick too coarsely). */
  #awaySeq = 0;
  /** Users holding a registered nick without being logged in to it. */
  readonly #deadlines: Set<User> = new Set();
  /** Registered nicks taken back from someone, kept for their owners until a time (ms). */
  readonly #held: Map<string, number> = new Map();
  readonly #limits: Limits;
  readonly #store: ChatStore;
  readonly #events: ServerEvents;
  /**
   * Set by a cluster node: claims a nick network-wide before it is granted (false: another
   * node's user holds it). Undefined on one node, where the table itself decides.
   */
  nickClaim: ((user: User, nick: string) => Promise<boolean>) | undefined = undefined;
  /** Set by a cluster node: a user that never completed registration gave its nick back. */
  nickDrop: ((user: User) => void) | undefined = undefined;
  /** Who watches which nick (MONITOR), told when a nick comes and goes. */
  readonly #monitors: MonitorTable | undefined;
  /** Users by casefolded account, registered or not (their other devices, read markers). */
  readonly #byAccount: Map<string, Set<User>> = new Map();
  readonly #stamp: () => Record<string, string>;

  /** `stamp` gives the tags (server-time, msgid) of a NICK or QUIT others see. */
  constructor(
    limits: Limits,
    store: ChatStore,
    events: ServerEvents,
    monitors?: MonitorTable,
    stamp: () => Record<string, string> = () => ({ time: new Date().toISOString() }),
  ) {
    this.#limits = limits;
    this.#store = store;
    this.#events = events;
    this.#monitors = monitors;
    this.#stamp = stamp;
  }

  /** How many connections carry registered users (the rest are still registering). */
  get devices(): number {
    return this.#devices;
  }

  /** The LUSERS counts. */
  get counts(): Readonly<UserCounts> {
    return this.#counts;
  }

  /** A registered user by nick, or undefined. */
  find(nick: string): User | undefined {
    const u = this.#byNick.get(casefold(nick));
    return u?.registered ? u : undefined;
  }

  /** Whoever holds a nick, registered or still registering. */
  holder(nick: string): User | undefined {
    return this.#byNick.get(casefold(nick));
  }

  /**
   * The registered user logged in to an account, or undefined. Every connection logged in to
   * the account is one of its sessions (`user.sessions`): there is never a second user.
   */
  findAccount(account: string): User | undefined {
    const set = this.#byAccount.get(casefold(account));
    if (set === undefined) return undefined;
    // the others (if any) are connections still registering, not yet attached
    for (const user of set) if (user.registered) return user;
    return undefined;
  }

  /**
   * Every connection (device) logged in to an account, for what goes to all of them (a read
   * marker, say); empty when the account is not online or is always-on without a device.
   *
   * @example
   * ```ts ignore
   * for (const s of users.sessionsOf("alice")) if (s !== ctx.session) s.send(marker);
   * ```
   */
  sessionsOf(account: string): readonly Session[] {
    return this.findAccount(account)?.sessions ?? [];
  }

  /**
   * Moves a connection that logged in to an account already online onto that account's user
   * (multiclient): it leaves the placeholder user it registered with (which must have no
   * channels and no other session: unregistered, or already removed) and becomes one more
   * session of `target`. Nobody else sees anything; the caller sends the new session its
   * burst. Fails (false) at the `sessionsPerAccount` limit.
   */
  attach(session: Session, target: User): boolean {
    if (target.sessions.length >= this.#limits.sessionsPerAccount) return false;
    const old = session.user;
    if (old === target) return true;
    const i = old.sessions.indexOf(session);
    if (i !== -1) old.sessions.splice(i, 1);
    this.#deadlines.delete(old);
    if (this.#byNick.get(old.folded) === old) this.#byNick.delete(old.folded);
    if (old.account !== undefined) this.#unindexAccount(old);
    session.user = target;
    target.sessions.push(session);
    if (target.registered) this.#devices++;
    target.detachedAt = 0;
    this.refreshAway(target);
    return true;
  }

  /**
   * A connection has ended: it no longer carries its user. Returns how many devices the user
   * has left (the caller removes a user left with none, unless it is always-on).
   */
  detach(session: Session): number {
    const user = session.user;
    const i = user.sessions.indexOf(session);
    if (i === -1) return user.sessions.length;
    user.sessions.splice(i, 1);
    if (user.registered) {
      this.#devices--;
      if (user.sessions.length === 0) user.detachedAt = Date.now();
      else this.refreshAway(user);
    }
    return user.sessions.length;
  }

  /**
   * Sets (or, undefined, clears) one device's away message. The user is away only while
   * every device is (the newest message shows); away-notify peers hear of a change of that.
   * Returns whether the user's away state changed.
   */
  setSessionAway(session: Session, text: string | undefined): boolean {
    session.away = text;
    session.awayAt = ++this.#awaySeq;
    return this.refreshAway(session.user);
  }

  /**
   * Recomputes a user's away state from its devices (after one set AWAY, attached or
   * left) and tells away-notify peers when it changed. Always-on without a device is away.
   */
  refreshAway(user: User): boolean {
    const sessions = user.sessions;
    let away: string | undefined;
    if (sessions.length === 0) away = user.alwaysOn ? NO_DEVICE_AWAY : user.away;
    else if (sessions.length === 1) away = sessions[0].away;
    else {
      let at = -1;
      for (const s of sessions) {
        if (s.away === undefined) {
          away = undefined;
          break;
        }
        if (s.awayAt > at) {
          at = s.awayAt;
          away = s.away;
        }
      }
    }
    if (away === user.away) return false;
    this.setAway(user, away);
    if (user.registered) {
      const notice = new Outgoing(user.hostmask, "AWAY", away === undefined ? [] : [away]);
      const pick = (s: Session) => (s.caps.has("away-notify") ? notice : undefined);
      toPeers(user, pick, false, undefined, this.#monitors?.watchersOf(user));
    }
    return true;
  }

  /** The registered users logged in to an account (casefolded name), any nick. */
  withAccount(folded: string): User[] {
    const set = this.#byAccount.get(folded);
    return set === undefined ? [] : [...set].filter((u) => u.registered);
  }

  /** Every user in the table (registering ones too: check `registered`). */
  values(): IterableIterator<User> {
    return this.#byNick.values();
  }

  /** The WHOWAS entries, oldest first. */
  get whowas(): readonly WhowasEntry[] {
    return this.#whowas;
  }

  /**
   * Gives a user a nick: peers and the user see NICK (the user's copy a reply of the `origin`
   * command, when a command of theirs did it), WHOWAS remembers the old nick. The caller has
   * checked that the new nick is valid and free.
   */
  rename(user: User, nick: string, origin?: ResponseBuffer): void {
    const old = user.nick;
    if (user.registered) {
      const change = new Outgoing(user.hostmask, "NICK", [nick], this.#stamp());
      this.#remember(user);
      toPeers(user, () => change, true, origin);
    }
    if (this.#byNick.get(user.folded) === user) this.#byNick.delete(user.folded);
    const oldFolded = user.folded;
    user.setNick(nick);
    this.#byNick.set(user.folded, user);
    // a nick kept for its owner is released once someone may have it (the owner, or a guest
    // nick that happened to be free)
    if (this.#held.size > 0) this.#held.delete(user.folded);
    if (user.registered) {
      this.#events.nickChanged(user, old);
      // a change of case only keeps the same nick online
      if (oldFolded !== user.folded) this.#monitors?.offline(old, user);
      this.#monitors?.online(user);
      saveAlwaysOn(this.#store, user);
    }
  }

  /** Marks a user registered and counts it. */
  markRegistered(user: User): void {
    user.registered = true;
    const c = this.#counts;
    c.users++;
    if (user.invisible) c.invisible++;
    if (user.oper) c.opers++;
    c.peak = Math.max(c.peak, c.users);
    this.#devices += user.sessions.length;
    this.#events.registered(user);
    this.#monitors?.online(user);
  }

  /** Sets or clears a user's +i. */
  setInvisible(user: User, on: boolean): void {
    if (user.invisible === on) return;
    user.invisible = on;
    if (user.registered) {
      this.#counts.invisible += on ? 1 : -1;
      this.#events.userChanged(user, "modes");
    }
  }

  /** Grants or drops operator status. */
  setOper(user: User, on: boolean): void {
    if (user.oper === on) return;
    user.oper = on;
    if (user.registered) {
      this.#counts.opers += on ? 1 : -1;
      this.#events.userChanged(user, "modes");
    }
  }

  /** Sets or clears a user's +w (receives WALLOPS). */
  setWallops(user: User, on: boolean): void {
    if (user.wallops === on) return;
    user.wallops = on;
    if (user.registered) this.#events.userChanged(user, "modes");
  }

  /** Sets or clears a user's +B (marks it a bot). */
  setBot(user: User, on: boolean): void {
    if (user.bot === on) return;
    user.bot = on;
    if (user.registered) this.#events.userChanged(user, "modes");
  }

  /** Sets (or, undefined, clears) a user's away message. */
  setAway(user: User, text: string | undefined): void {
    user.away = text;
    if (user.registered) this.#events.userChanged(user, "away");
  }

  /** Changes a user's real name. */
  setRealname(user: User, text: string): void {
    user.realname = text;
    if (user.registered) this.#events.userChanged(user, "realname");
  }

  /** Logs a user in to an account (or, undefined, out). */
  setAccount(user: User, account: string | undefined): void {
    if (user.account !== undefined) this.#unindexAccount(user);
    user.account = account;
    if (account !== undefined) {
      const folded = casefold(account);
      let set = this.#byAccount.get(folded);
      if (set === undefined) this.#byAccount.set(folded, set = new Set());
      set.add(user);
    }
    if (user.registered) this.#events.userChanged(user, "account");
  }

  /**
   * Removes a user that has no session left: peers see QUIT, WHOWAS remembers it. The caller
   * has taken it out of its channels' member lists only after this (peers are found there).
   */
  remove(user: User, quitMessage: string): void {
    if (user.account !== undefined) this.#unindexAccount(user);
    if (user.registered) {
      const quit = new Outgoing(user.hostmask, "QUIT", [quitMessage], this.#stamp());
      toPeers(user, () => quit, false);
      this.#remember(user);
      this.#monitors?.offline(user.nick, user);
    }
    this.#deadlines.delete(user);
    if (this.#byNick.get(user.folded) === user) this.#byNick.delete(user.folded);
    if (user.registered) {
      this.#devices -= user.sessions.length;
      const c = this.#counts;
      c.users--;
      if (user.invisible) c.invisible--;
      if (user.oper) c.opers--;
      this.#events.quit(user, quitMessage);
    } else if (this.nickDrop !== undefined) this.nickDrop(user);
    user.registered = false;
  }

  #unindexAccount(user: User): void {
    const folded = casefold(user.account!);
    const set = this.#byAccount.get(folded);
    if (set === undefined) return;
    set.delete(user);
    if (set.size === 0) this.#byAccount.delete(folded);
  }

  #remember(user: User): void {
    const list = this.#whowas;
    list.push({
      nick: user.nick,
      folded: user.folded,
      username: user.username,
      host: user.host,
      realname: user.realname,
      at: Date.now(),
    });
    const max = this.#limits.whowasSize;
    if (list.length > max) list.splice(0, list.length - max);
  }

  /**
   * If a user holds a registered nick without being logged in to it, warns it (a reply of
   * the `origin` command) and starts the grace period after which it is renamed. One still
   * registering gets the same grace, silently (it may be about to log in with SASL), and a
   * grace already running is not extended.
   */
  async checkReservation(user: User, origin?: ResponseBuffer): Promise<void> {
    const folded = user.folded;
    let owner: AccountRecord | undefined;
    try {
      owner = await this.#store.getAccount(folded);
    } catch (err) {
      // whose the nick is cannot be told now: it is not enforced while the store is away
      if (err instanceof StoreUnavailableError) return;
      throw err;
    }
    // a later nick change runs its own check
    if (user.folded !== folded || user.sessions.length === 0) return;
    if (!owner || (user.account && casefold(user.account) === owner.folded)) {
      this.clearReservation(user);
      return;
    }
    const now = Date.now();
    if (user.nickDeadline === 0) {
      user.nickDeadline = now + this.#limits.nickGrace * 1000;
      this.#deadlines.add(user);
    }
    if (!user.registered) return;
    const left = Math.max(1, Math.ceil((user.nickDeadline - now) / 1000));
    toUser(
      user,
      new Outgoing(serviceMask(NICKSERV), "NOTICE", [
        user.nick,
        `The nickname ${user.nick} is registered. Log in within ${left} seconds ` +
        `(/msg NickServ IDENTIFY <password>) or you will be renamed.`,
      ]),
      origin,
    );
  }

  /**
   * Whether `nick` is kept for its owner (taken back from someone a short while ago) and
   * `user` is not logged in to it.
   */
  isHeldFrom(nick: string, user: User): boolean {
    if (this.#held.size === 0) return false;
    const folded = casefold(nick);
    const until = this.#held.get(folded);
    if (until === undefined) return false;
    if (until <= Date.now()) {
      this.#held.delete(folded);
      return false;
    }
    return !(user.account !== undefined && casefold(user.account) === folded);
  }

  /**
   * Takes a registered nick from whoever holds it for its logged-in owner: the holder is
   * renamed to a guest nick (and told why). The caller then renames the owner.
   */
  reclaim(holder: User, by: string): void {
    const nick = holder.nick;
    this.clearReservation(holder);
    this.#renameToGuest(holder, `${nick} was taken back by its owner (${by})`);
  }

  /** Ends a user's grace period: it logged in to its nick's account. */
  clearReservation(user: User): void {
    user.nickDeadline = 0;
    this.#deadlines.delete(user);
  }

  /**
   * Renames users whose grace period on a registered nick has run out, and keeps each such
   * nick for its owner for `nickHold` seconds, so the impostor cannot take it straight back.
   */
  enforceReservations(now: number): void {
    for (const [nick, until] of this.#held) if (until <= now) this.#held.delete(nick);
    if (this.#deadlines.size === 0) return;
    for (const user of this.#deadlines) {
      if (user.nickDeadline > now) continue;
      this.#deadlines.delete(user);
      if (user.nickDeadline === 0 || user.sessions.length === 0) continue;
      user.nickDeadline = 0;
      const nick = user.nick;
      this.#held.set(user.folded, now + this.#limits.nickHold * 1000);
      this.#renameToGuest(user, `You did not log in to the registered nickname ${nick}`);
    }
  }

  #renameToGuest(user: User, why: string): void {
    const guest = this.#freeGuestNick();
    toUser(
      user,
      new Outgoing(serviceMask(NICKSERV), "NOTICE", [user.nick, `${why}; you are now ${guest}.`]),
    );
    this.rename(user, guest);
  }

  #freeGuestNick(): string {
    let guest = "";
    for (let i = 0; i < 20; i++) {
      guest = `Guest${Math.floor(10000 + Math.random() * 90000)}`;
      if (!this.#byNick.has(casefold(guest))) break;
    }
    return guest;
  }
}
