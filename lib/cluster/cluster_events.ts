/**
 * The {@link ServerEvents} of a cluster node: every change the tables applied for a LOCAL
 * user goes out on the bus (a channel's events to the channel's shard, a user's to the
 * user's), in the order the tables applied them. Changes this node is itself applying from
 * other nodes (see apply.ts) are not sent again: `applying` is set around them.
 *
 * Users are named on the bus by a global id, `NODE/INCARNATION/N`, the same owner token the
 * nick claims in Redis carry, so a user keeps its id across nick changes.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ModeChange } from "../protocol/modes.ts";
import {
  type Channel,
  type ChannelRegistration,
  PREFIX_OP,
  type Topic,
} from "../server/channel.ts";
import type { ServerEvents, UserChange } from "../server/events.ts";
import type { Outgoing } from "../server/outgoing.ts";
import type { HistoryMessage } from "../store/store.ts";
import type { User } from "../server/user.ts";
import { type BusEvent, ClaimError, type RedisBus } from "./redis_bus.ts";

/** What every node knows of a user (in `reg`, `uchg`, `join` and `state` events). */
export interface UserInfo {
  nick: string;
  user: string;
  host: string;
  real: string;
  acct?: string;
  away?: string;
  /** User modes, a subset of "iow". */
  modes: string;
  /** Sign-on time (seconds). */
  on: number;
}

/** A channel's state as a node that has it sees it (for nodes that do not have it yet). */
export interface ChannelState {
  name: string;
  created: number;
  /** Boolean modes set, a subset of "imnst". */
  flags: string;
  key?: string;
  limit?: number;
  topic?: Topic;
  /** Its ChanServ registration, when registered. */
  reg?: RegistrationState;
  /** Where its history starts (ms), as its node decided when it was made. */
  floor?: number;
}

/** A channel's registration on the bus. */
export interface RegistrationState {
  founder: string;
  /** Registration time (seconds). */
  at: number;
  /** Casefolded accounts that get +o on join. */
  ops: string[];
}

/** The registration for other nodes. */
export function registrationState(
  r: Readonly<ChannelRegistration> | undefined,
): RegistrationState | undefined {
  return r ? { founder: r.founder, at: r.registeredAt, ops: [...r.ops] } : undefined;
}

type Event = Omit<BusEvent, "n" | "i">;

/** The user's description for other nodes. */
export function userInfo(u: User): UserInfo {
  return {
    nick: u.nick,
    user: u.username,
    host: u.host,
    real: u.realname,
    acct: u.account,
    away: u.away,
    modes: (u.invisible ? "i" : "") + (u.oper ? "o" : "") + (u.wallops ? "w" : ""),
    on: u.signonAt,
  };
}

/** The channel's state for other nodes. */
export function channelState(c: Channel): ChannelState {
  const f = c.flags;
  return {
    name: c.name,
    created: c.createdAt,
    flags: (["i", "m", "n", "s", "t"] as const).filter((k) => f[k]).join(""),
    key: c.key,
    limit: c.limit,
    topic: c.topic,
    reg: registrationState(c.registration),
    floor: Number.isFinite(c.historyFloor) ? c.historyFloor : undefined,
  };
}

/**
 * Publishes the local changes of one node.
 *
 * @example
 * ```ts ignore
 * const events = new ClusterEvents();
 * const server = new ChatServer(config, store, events);
 * events.attach(bus); // once the bus is up; nothing is published before
 * ```
 */
export class ClusterEvents implements ServerEvents {
  /** A message the store could not take goes on with its record, to the history queue. */
  readonly defersHistory = true;
  /** Set while another node's event is applied: its changes are not published again. */
  applying = false;
  #bus: RedisBus | undefined;
  #stopped = false;
  #next = 0;
  readonly #gids: WeakMap<User, string> = new WeakMap();
  readonly #byGid: Map<string, User> = new Map();
  /**
   * Channels this node's user made (joined empty, so got ops), by casefolded name, until
   * that JOIN comes back from the bus: another node's JOIN that made the same channel and
   * comes first in the stream is the channel's creation, and ours is not (apply.ts).
   */
  readonly creating: Map<string, User> = new Map();

  /** Starts publishing on `bus`. */
  attach(bus: RedisBus): void {
    this.#bus = bus;
  }

  /** Stops publishing (the node is fenced or shutting down). */
  stop(): void {
    this.#stopped = true;
  }

  /** A user's global id; a local user gets one on first use. */
  gid(user: User): string {
    let gid = this.#gids.get(user);
    if (gid === undefined) {
      gid = this.#bus!.ownerPrefix + (this.#next++).toString(36);
      this.#gids.set(user, gid);
      this.#byGid.set(gid, user);
    }
    return gid;
  }

  /** Names a remote user (apply.ts). */
  setGid(user: User, gid: string): void {
    this.#gids.set(user, gid);
    this.#byGid.set(gid, user);
  }

  /** The user of a global id, local or remote. */
  byGid(gid: string): User | undefined {
    return this.#byGid.get(gid);
  }

  /** Forgets a user that left. */
  forget(user: User): void {
    const gid = this.#gids.get(user);
    if (gid !== undefined && this.#byGid.get(gid) === user) this.#byGid.delete(gid);
  }

  /** Every known user with its id. */
  entries(): IterableIterator<[string, User]> {
    return this.#byGid.entries();
  }

  /** Whether a user is one of this node's own. */
  isLocal(user: User): boolean {
    const gid = this.#gids.get(user);
    return gid === undefined || gid.startsWith(this.#bus!.ownerPrefix);
  }

  #local(gid: string): string {
    return gid.slice(this.#bus!.ownerPrefix.length);
  }

  #live(): RedisBus | undefined {
    return this.applying || this.#stopped ? undefined : this.#bus;
  }

  #send(shardKey: string, event: Event): Promise<void> | undefined {
    const bus = this.#live();
    if (bus === undefined) return undefined;
    return bus.publish(bus.shardOf(shardKey), event).then(() => {});
  }

  #background(what: string, p: Promise<unknown> | undefined): void {
    p?.catch((err) =>
      console.error(`cluster: publishing ${what} failed: ${(err as Error).message}`)
    );
  }

  /**
   * The nick claim of the user table ({@link UserTable.nickClaim}): true once the cluster
   * gave `nick` to `user` (and freed the user's previous one).
   */
  async claim(user: User, nick: string): Promise<boolean> {
    const bus = this.#live();
    if (bus === undefined) return false;
    const gid = this.gid(user);
    const old = user.nick === "*" ? "" : user.folded;
    try {
      const folded = casefold(nick);
      await bus.claimNick(folded, this.#local(gid), bus.shardOf(gid), { t: "claim" }, old);
      if (user.sessions.length > 0) return true;
      // the user left while the claim was on its way: the nick goes back at once
      this.#background(
        "a nick release",
        bus.releaseNick(folded, this.#local(gid), bus.shardOf(gid), { t: "claim" }),
      );
      return false;
    } catch (err) {
      if (err instanceof ClaimError) return false;
      console.error(`cluster: claiming a nick failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** A user that never registered leaves: its claimed nick is freed. */
  drop(user: User): void {
    const bus = this.#live();
    const gid = this.#gids.get(user);
    if (gid === undefined) return;
    this.forget(user);
    if (bus === undefined || user.nick === "*") return;
    this.#background(
      "a nick release",
      bus.releaseNick(user.folded, this.#local(gid), bus.shardOf(gid), { t: "claim" }),
    );
  }

  registered(user: User): void {
    const gid = this.gid(user);
    this.#background("a registration", this.#send(gid, { t: "reg", u: gid, who: userInfo(user) }));
  }

  userChanged(user: User, what: UserChange): void {
    const gid = this.gid(user);
    this.#background(
      "a user change",
      this.#send(gid, { t: "uchg", u: gid, what, who: userInfo(user) }),
    );
  }

  nickChanged(user: User, oldNick: string): void {
    const bus = this.#live();
    if (bus === undefined || !this.isLocal(user)) return;
    const gid = this.gid(user);
    // claimed again with the event: a rename the handler did not claim first (a guest nick
    // given by the server) is claimed here; one it claimed is the same owner's, a no-op
    const p = bus.claimNick(
      user.folded,
      this.#local(gid),
      bus.shardOf(gid),
      { t: "nick", u: gid, nick: user.nick },
      casefold(oldNick),
    );
    this.#background("a nick change", p);
  }

  joined(channel: Channel, user: User, bits: number): void {
    const gid = this.gid(user);
    // ops for making the channel (not a founder's or a listed op's, which stand anyway)
    const made = channel.members.size === 1 && (bits & PREFIX_OP) !== 0 &&
      channel.registration === undefined;
    const event: Event = {
      t: "join",
      c: channel.name,
      u: gid,
      b: bits,
      who: userInfo(user),
      st: channelState(channel),
    };
    if (made && this.#live() !== undefined) {
      event.cr = 1;
      this.creating.set(channel.folded, user);
    }
    this.#background("a join", this.#send(channel.folded, event));
  }

  parted(channel: Channel, user: User, reason: string | undefined): void {
    this.#background(
      "a part",
      this.#send(channel.folded, { t: "part", c: channel.name, u: this.gid(user), r: reason }),
    );
  }

  kicked(channel: Channel, target: User, by: User, reason: string): void {
    this.#background(
      "a kick",
      this.#send(channel.folded, {
        t: "kick",
        c: channel.name,
        u: this.gid(target),
        by: this.gid(by),
        r: reason,
      }),
    );
  }

  quit(user: User, reason: string): void {
    const bus = this.#live();
    const gid = this.#gids.get(user);
    if (gid === undefined) return;
    this.forget(user);
    if (bus === undefined) return;
    this.#background(
      "a quit",
      bus.releaseNick(user.folded, this.#local(gid), bus.shardOf(gid), {
        t: "quit",
        u: gid,
        r: reason,
      }),
    );
  }

  modeChanged(channel: Channel, changes: readonly ModeChange[], by: User): void {
    this.#background(
      "a mode change",
      this.#send(channel.folded, {
        t: "mode",
        c: channel.name,
        by: this.gid(by),
        ch: changes,
      }),
    );
  }

  topicChanged(channel: Channel, by: User): void {
    this.#background(
      "a topic",
      this.#send(channel.folded, {
        t: "topic",
        c: channel.name,
        by: this.gid(by),
        topic: channel.topic,
      }),
    );
  }

  channelRegistered(folded: string, registration: Readonly<ChannelRegistration> | undefined): void {
    this.#background(
      "a channel registration",
      this.#send(folded, { t: "creg", c: folded, reg: registrationState(registration) ?? null }),
    );
  }

  redacted(by: User, target: string, _msgid: string, out: Outgoing): void {
    this.#background(
      "a redaction",
      this.#send(casefold(target), {
        t: "redact",
        u: this.gid(by),
        to: target,
        p: out.params,
        tags: out.tags,
      }),
    );
  }

  metadataChanged(target: User | Channel, key: string, value: string | undefined): void {
    if ("members" in target) {
      this.#background(
        "a metadata change",
        this.#send(target.folded, { t: "meta", c: target.name, k: key, v: value ?? null }),
      );
      return;
    }
    if (!this.isLocal(target)) return;
    const gid = this.gid(target);
    this.#background(
      "a metadata change",
      this.#send(gid, { t: "meta", u: gid, k: key, v: value ?? null }),
    );
  }

  message(
    from: User,
    target: string,
    out: Outgoing,
    history?: HistoryMessage,
  ): void | Promise<void> {
    const gid = this.gid(from);
    const bare = target[0] === "@" || target[0] === "+" ? target.slice(1) : target;
    const event: Event = {
      t: "msg",
      u: gid,
      to: target,
      cmd: out.command,
      p: out.params,
      tags: out.tags,
    };
    if (history === undefined) return this.#send(casefold(bare), event);
    const bus = this.#live();
    // not on the bus any more (fenced, stopping): the record has nowhere to go
    if (bus === undefined) return Promise.reject(new Error("this node left the cluster"));
    return bus.publishWithHistory(bus.shardOf(casefold(bare)), event, history).then(() => {});
  }
}
