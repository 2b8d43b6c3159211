/**
 * Applies other nodes' events to this node's tables, through the same table methods the
 * handlers use, and shows them to this node's own clients exactly as a local user's would
 * be shown. Remote users are {@link User}s without sessions, in the user table (so NAMES,
 * WHO, WHOIS, ISON and nick checks stay local) and in channels; delivery skips them by
 * itself. Every event is applied idempotently (a join of a member, a quit of someone
 * unknown: nothing), so a state snapshot and the events around it may overlap.
 *
 * @module
 */

import { formatModeChanges, type ModeChange } from "../protocol/modes.ts";
import { isChannelName } from "../protocol/validate.ts";
import { Channel, PREFIX_OP, PREFIX_VOICE } from "../server/channel.ts";
import { toChannel, toChannelPicked, toPeers, toUser } from "../server/delivery.ts";
import { announceJoin } from "../server/handlers/channel.ts";
import { notifyMetadata } from "../server/handlers/metadata.ts";
import { Outgoing } from "../server/outgoing.ts";
import type { ChatServer } from "../server/server.ts";
import type { Session } from "../server/session.ts";
import { User } from "../server/user.ts";
import {
  type ChannelState,
  channelState,
  type ClusterEvents,
  type RegistrationState,
  type UserInfo,
  userInfo,
} from "./cluster_events.ts";
import { casefold } from "../protocol/casemap.ts";
import type { ChannelRegistration } from "../server/channel.ts";

function toRegistration(r: RegistrationState): ChannelRegistration {
  return { founder: r.founder, registeredAt: r.at, ops: new Set(r.ops) };
}
import type { BusEvent } from "./redis_bus.ts";

/** Who is shown REDACT lines (as in handlers/redact.ts). */
const REDACTION_CAP = "draft/message-redaction";

/** The reason shown for the users of a node that died. */
export const SPLIT_REASON = "*.net *.split";

/** One local user and its channels, in a `state` answer. */
interface StateUser {
  u: string;
  who: UserInfo;
  /** [channel name, prefix bits]. */
  ch: [string, number][];
}

/**
 * Applies remote events to one server.
 *
 * @example
 * ```ts ignore
 * const applier = new Applier(server, events, (e) => bus.publish(0, e));
 * applier.apply(entry.event); // from the bus, in stream order
 * ```
 */
export class Applier {
  readonly #server: ChatServer;
  readonly #events: ClusterEvents;

  constructor(server: ChatServer, events: ClusterEvents) {
    this.#server = server;
    this.#events = events;
  }

  /** Applies one event from another node (the caller skips this node's own). */
  apply(e: BusEvent): void {
    this.#events.applying = true;
    try {
      this.#apply(e);
    } finally {
      this.#events.applying = false;
    }
  }

  #apply(e: BusEvent): void {
    switch (e.t) {
      case "reg":
        this.#upsert(e.u as string, e.who as UserInfo);
        return;
      case "uchg":
        return this.#userChanged(e);
      case "nick":
        return this.#nick(e);
      case "join":
        return this.#join(
          e.c as string,
          this.#upsert(e.u as string, e.who as UserInfo),
          e.b as number,
          e.st as ChannelState,
          e.cr === 1,
        );
      case "part":
        return this.#part(e);
      case "kick":
        return this.#kick(e);
      case "quit":
        return this.#quit(e.u as string, e.r as string);
      case "mode":
        return this.#mode(e);
      case "topic":
        return this.#topic(e);
      case "msg":
        return this.#message(e);
      case "redact":
        return this.#redact(e);
      case "meta":
        return this.#metadata(e);
      case "state":
        return this.#state(e);
      case "creg":
        return this.#registration(e.c as string, (e.reg as RegistrationState | null) ?? undefined);
    }
  }

  /** The users of a node's incarnation leave everyone's view (the node died). */
  nodeDead(node: string, inc: string): void {
    const prefix = `${node}/${inc}/`;
    const gone: string[] = [];
    for (const [gid] of this.#events.entries()) if (gid.startsWith(prefix)) gone.push(gid);
    this.#events.applying = true;
    try {
      for (const gid of gone) this.#quit(gid, SPLIT_REASON);
    } finally {
      this.#events.applying = false;
    }
  }

  /** This node's own users and their channels, for a node that joined the cluster. */
  snapshot(): { users: StateUser[]; chans: ChannelState[] } {
    const users: StateUser[] = [];
    const chans = new Map<Channel, ChannelState>();
    for (const [gid, user] of this.#events.entries()) {
      if (!this.#events.isLocal(user) || !user.registered) continue;
      const ch: [string, number][] = [];
      for (const c of user.channels) {
        ch.push([c.name, c.members.get(user) ?? 0]);
        if (!chans.has(c)) chans.set(c, channelState(c));
      }
      users.push({ u: gid, who: userInfo(user), ch });
    }
    return { users, chans: [...chans.values()] };
  }

  #state(e: BusEvent): void {
    const states = new Map<string, ChannelState>();
    for (const st of (e.chans as ChannelState[]) ?? []) states.set(st.name, st);
    for (const su of (e.users as StateUser[]) ?? []) {
      const user = this.#upsert(su.u, su.who);
      if (!user) continue;
      for (const [name, bits] of su.ch) this.#join(name, user, bits, states.get(name), false);
    }
  }

  #user(gid: unknown): User | undefined {
    return typeof gid === "string" ? this.#events.byGid(gid) : undefined;
  }

  /** The remote user of `gid`, made (and put in the user table) when new. */
  #upsert(gid: string, who: UserInfo): User | undefined {
    const known = this.#events.byGid(gid);
    if (known) return known;
    const users = this.#server.users;
    const holder = users.holder(who.nick);
    if (holder) {
      if (holder.sessions.length > 0 || this.#events.isLocal(holder)) {
        // the cluster's claims make this impossible unless Redis lost them: the local user
        // keeps the nick, the remote one stays out of this node's view
        console.error(`cluster: nick collision on ${who.nick}: ${gid} not shown here`);
        return undefined;
      }
      // a remote user whose node's death was not applied yet: Redis gave the nick away
      this.#quit(this.#gidOf(holder), SPLIT_REASON);
    }
    const user = new User(who.nick, who.user, who.host, who.real);
    user.remote = true;
    (user as { signonAt: number }).signonAt = who.on;
    user.account = who.acct;
    user.away = who.away;
    user.invisible = who.modes.includes("i");
    user.oper = who.modes.includes("o");
    user.wallops = who.modes.includes("w");
    this.#events.setGid(user, gid);
    users.rename(user, who.nick);
    users.markRegistered(user);
    return user;
  }

  #gidOf(user: User): string {
    for (const [gid, u] of this.#events.entries()) if (u === user) return gid;
    return "";
  }

  #userChanged(e: BusEvent): void {
    const user = this.#user(e.u);
    if (!user) return;
    const who = e.who as UserInfo;
    const users = this.#server.users;
    switch (e.what) {
      case "away": {
        users.setAway(user, who.away);
        const notice = new Outgoing(user.hostmask, "AWAY", who.away ? [who.away] : []);
        const pick = (s: Session) => (s.caps.has("away-notify") ? notice : undefined);
        toPeers(user, pick, false, undefined, this.#server.monitors.watchersOf(user));
        return;
      }
      case "realname": {
        users.setRealname(user, who.real);
        const change = new Outgoing(user.hostmask, "SETNAME", [who.real]);
        const pick = (s: Session) => (s.caps.has("setname") ? change : undefined);
        toPeers(user, pick, false, undefined, this.#server.monitors.watchersOf(user));
        return;
      }
      case "account": {
        users.setAccount(user, who.acct);
        const change = new Outgoing(user.hostmask, "ACCOUNT", [who.acct ?? "*"]);
        const pick = (s: Session) => (s.caps.has("account-notify") ? change : undefined);
        toPeers(user, pick, false, undefined, this.#server.monitors.watchersOf(user));
        return;
      }
      case "modes":
        users.setInvisible(user, who.modes.includes("i"));
        users.setOper(user, who.modes.includes("o"));
        users.setWallops(user, who.modes.includes("w"));
        return;
    }
  }

  #nick(e: BusEvent): void {
    const user = this.#user(e.u);
    const nick = e.nick as string;
    if (!user || user.nick === nick) return;
    const holder = this.#server.users.holder(nick);
    if (holder && holder !== user) {
      if (holder.sessions.length > 0) {
        console.error(`cluster: nick collision on ${nick}: the local user keeps it`);
        return;
      }
      this.#quit(this.#gidOf(holder), SPLIT_REASON);
    }
    this.#server.users.rename(user, nick);
  }

  /**
   * Channels whose making this node has read from the bus (a JOIN that found it empty), so
   * a later JOIN that also made it, on another node at about the same moment, does not.
   * Kept by the channel object: a channel that empties is gone, and so is its mark.
   */
  readonly #made: WeakSet<Channel> = new WeakSet();

  /**
   * This node's own JOIN came back from the bus: when it made its channel and no other
   * node's making came before it, it is the channel's making.
   */
  ownJoinRead(e: BusEvent): void {
    if (e.cr !== 1) return;
    const folded = casefold(e.c as string);
    const mine = this.#events.creating.get(folded);
    if (mine !== undefined && this.#events.gid(mine) === e.u) {
      this.#events.creating.delete(folded);
      const channel = this.#server.channels.get(folded);
      if (channel) this.#made.add(channel);
    }
  }

  #join(
    name: string,
    user: User | undefined,
    bits: number,
    st: ChannelState | undefined,
    made: boolean,
  ): void {
    if (!user) return;
    const channels = this.#server.channels;
    let channel = channels.find(name);
    if (channel?.members.has(user)) return;
    // a channel made by this very JOIN (absent here until now) is marked below
    if (made && channel) bits = this.#making(channel, bits);
    if (!channel) {
      channel = new Channel(name, st ? st.created * 1000 : Date.now());
      if (st) {
        for (const f of ["i", "m", "n", "s", "t"] as const) {
          channel.setFlag(f, st.flags.includes(f));
        }
        channel.setKey(st.key);
        channel.setLimit(st.limit);
        channel.setTopic(st.topic);
        if (typeof st.floor === "number") channel.setHistoryFloor(st.floor);
        if (st.reg) channel.setRegistration(toRegistration(st.reg));
      }
      if (made) this.#made.add(channel);
    }
    channels.join(channel, user, bits);
    announceJoin(channel, user, this.#server.eventTags());
  }

  /**
   * Two nodes can each see a channel empty and give their joiner ops at about the same
   * moment; the stream has one order, so the first such JOIN in it made the channel, on
   * every node alike, and a later one keeps its join without the ops. Returns the bits the
   * remote joiner gets; a local joiner that turns out to have come second loses its ops
   * here, said to this node's members by a MODE from the server.
   */
  #making(channel: Channel, bits: number): number {
    const mine = this.#events.creating.get(channel.folded);
    if (mine !== undefined && channel.members.has(mine)) {
      // ours is still on its way to the bus, so this one came first
      this.#events.creating.delete(channel.folded);
      this.#made.add(channel);
      const had = channel.members.get(mine)!;
      if (had & PREFIX_OP) {
        channel.setMember(mine, had & ~PREFIX_OP);
        toChannel(
          channel,
          new Outgoing(
            this.#server.name,
            "MODE",
            [channel.name, "-o", mine.nick],
            this.#server.eventTags(),
          ),
        );
      }
      return bits;
    }
    if (this.#made.has(channel)) return bits & ~PREFIX_OP;
    this.#made.add(channel);
    return bits;
  }

  /**
   * A channel was registered or dropped on another node: its members here get the same
   * founder's ops on rejoin and the same keeping of topic and modes (the node the change
   * came from saves them; this one does not write them again).
   */
  #registration(folded: string, reg: RegistrationState | undefined): void {
    this.#server.channels.get(folded)?.setRegistration(reg ? toRegistration(reg) : undefined);
  }

  #part(e: BusEvent): void {
    const user = this.#user(e.u);
    const channel = this.#server.channels.find(e.c as string);
    if (!user || !channel?.members.has(user)) return;
    const reason = e.r as string | undefined;
    const params = reason ? [channel.name, reason] : [channel.name];
    toChannel(channel, new Outgoing(user.hostmask, "PART", params, this.#server.eventTags()), user);
    this.#server.channels.part(channel, user, reason);
  }

  #kick(e: BusEvent): void {
    const target = this.#user(e.u);
    const by = this.#user(e.by);
    const channel = this.#server.channels.find(e.c as string);
    if (!target || !by || !channel?.members.has(target)) return;
    const reason = e.r as string;
    toChannel(
      channel,
      new Outgoing(
        by.hostmask,
        "KICK",
        [channel.name, target.nick, reason],
        this.#server.eventTags(),
      ),
    );
    this.#server.channels.kick(channel, target, by, reason);
  }

  #quit(gid: string, reason: string): void {
    const user = this.#events.byGid(gid);
    if (!user || this.#events.isLocal(user)) return;
    // peers are found through the channels: the QUIT goes out before the user leaves them
    this.#server.users.remove(user, reason);
    this.#server.channels.quit(user);
    this.#events.forget(user);
  }

  #mode(e: BusEvent): void {
    const by = this.#user(e.by);
    const channel = this.#server.channels.find(e.c as string);
    if (!by || !channel) return;
    const applied: ModeChange[] = [];
    for (const change of e.ch as ModeChange[]) {
      const { add, mode, arg } = change;
      switch (mode) {
        case "o":
        case "v": {
          const target = arg === undefined ? undefined : this.#server.users.find(arg);
          const bits = target && channel.members.get(target);
          if (!target || bits === undefined) continue;
          const bit = mode === "o" ? PREFIX_OP : PREFIX_VOICE;
          channel.setMember(target, add ? bits | bit : bits & ~bit);
          // as the MODE handler on the origin did (a registered channel's ops by account)
          if (mode === "o" && target.account) channel.rememberOp(casefold(target.account), add);
          break;
        }
        case "b":
          if (arg === undefined) continue;
          if (add) {
            if (!channel.hasBan(arg)) {
              channel.addBan({
                mask: arg,
                setBy: by.hostmask,
                setAt: Math.floor(Date.now() / 1000),
              });
            }
          } else channel.removeBan(arg);
          break;
        case "k":
          channel.setKey(add ? arg : undefined);
          break;
        case "l":
          channel.setLimit(add ? Number(arg) : undefined);
          break;
        case "i":
        case "m":
        case "n":
        case "s":
        case "t":
          channel.setFlag(mode, add);
          break;
        default:
          continue;
      }
      applied.push(change);
    }
    // not channels.modesChanged: the origin saved a registered channel's modes already, and
    // a second writer could only put an older state back
    if (applied.length === 0) return;
    toChannel(
      channel,
      new Outgoing(
        by.hostmask,
        "MODE",
        [channel.name, ...formatModeChanges(applied)],
        this.#server.eventTags(),
      ),
    );
  }

  #topic(e: BusEvent): void {
    const by = this.#user(e.by);
    const channel = this.#server.channels.find(e.c as string);
    if (!by || !channel) return;
    const topic = e.topic as ChannelState["topic"];
    // as for modes: the origin saved it
    channel.setTopic(topic);
    toChannel(
      channel,
      new Outgoing(
        by.hostmask,
        "TOPIC",
        [channel.name, topic?.text ?? ""],
        this.#server.eventTags(),
      ),
    );
  }

  /** The store is shared: the origin deleted the message; members here are told. */
  #redact(e: BusEvent): void {
    const by = this.#user(e.u);
    if (!by) return;
    const out = new Outgoing(
      by.hostmask,
      "REDACT",
      e.p as string[],
      e.tags as Record<string, string>,
    );
    const pick = (s: Session) => (s.caps.has(REDACTION_CAP) ? out : undefined);
    const target = e.to as string;
    if (isChannelName(target)) {
      const channel = this.#server.channels.find(target);
      if (channel) toChannelPicked(channel, pick, by);
      return;
    }
    const recipient = this.#server.users.find(target);
    if (recipient) { for (const s of recipient.sessions) if (pick(s)) s.send(out); }
  }

  /** The store is shared: the origin saved the value; subscribers here are told. */
  #metadata(e: BusEvent): void {
    const target = e.c !== undefined ? this.#server.channels.find(e.c as string) : this.#user(e.u);
    if (!target) return;
    const key = e.k as string;
    const value = e.v === null ? undefined : e.v as string;
    const outcome = this.#server.metadata.set(target, key, value, false);
    if (outcome === "set" || outcome === "deleted") {
      notifyMetadata(this.#server, target, key, value, undefined);
    }
  }

  #message(e: BusEvent): void {
    const from = this.#user(e.u);
    if (!from) return;
    const cmd = e.cmd as string;
    const written = e.to as string;
    const out = new Outgoing(
      from.hostmask,
      cmd,
      e.p as string[],
      e.tags as Record<string, string>,
    );
    const tagmsg = cmd === "TAGMSG";
    if (!tagmsg) from.lastSpokeAt = Date.now();
    let target = written;
    let needBits = 0;
    if ((target[0] === "@" || target[0] === "+") && isChannelName(target.slice(1))) {
      needBits = target[0] === "@" ? PREFIX_OP : PREFIX_OP | PREFIX_VOICE;
      target = target.slice(1);
    }
    const tagsOnly = (s: Session) => (s.caps.has("message-tags") ? out : undefined);
    if (isChannelName(target)) {
      const channel = this.#server.channels.find(target);
      if (!channel) return;
      if (needBits !== 0) {
        toChannelPicked(channel, (s) => {
          const b = channel.members.get(s.user) ?? 0;
          if ((b & needBits) === 0) return undefined;
          return tagmsg ? tagsOnly(s) : out;
        });
      } else if (tagmsg) toChannelPicked(channel, tagsOnly);
      else toChannel(channel, out, from);
      return;
    }
    const recipient = this.#server.users.find(target);
    if (!recipient || recipient.sessions.length === 0) return;
    if (tagmsg) {
      for (const s of recipient.sessions) if (s.caps.has("message-tags")) s.send(out);
    } else toUser(recipient, out);
  }
}
