/**
 * The channel table: every channel by casefolded name. It owns membership (join, part, kick,
 * a quitting user leaving them all), makes a channel when the first member arrives (restoring
 * a registered one from the store), drops it when the last one leaves, saves registered
 * channels after a change, hands a public channel's history on to the next one of its name
 * (through the store, so across restarts too), and reports each change to the
 * {@link ServerEvents}.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ModeChange } from "../protocol/modes.ts";
import type { ChannelRecord, ChatStore } from "../store/store.ts";
import { Channel, type Topic } from "./channel.ts";
import type { ServerEvents } from "./events.ts";
import type { User } from "./user.ts";
import { saveAlwaysOn } from "./users.ts";

/** History floors this process remembers writing (the store keeps them all). */
const MAX_KNOWN_FLOORS = 10_000;

/** The boolean modes a registered channel keeps. */
const KEPT_FLAGS = ["i", "m", "n", "s", "t"] as const;

/**
 * Channels by name.
 *
 * @example
 * ```ts ignore
 * const channel = channels.find("#lobby") ?? await channels.make("#lobby");
 * channels.join(channel, user, PREFIX_OP);
 * ```
 */
export class ChannelTable {
  readonly #byName: Map<string, Channel> = new Map();
  /**
   * Where the history of unregistered channels that emptied while open to all (no +s, +i,
   * +k, +l or bans) starts: anyone could have joined them and read it all, so the next one
   * of the name may show it too. Any other's history is not handed on: its name starts afresh
   * (null here). The store keeps the same (so a restart hands it on too, and the shutdown
   * records the channels still open); this map holds what this process wrote last, so a
   * channel re-made at once never reads the store before its own write has landed.
   */
  readonly #floors: Map<string, number | null> = new Map();
  readonly #store: ChatStore;
  readonly #events: ServerEvents;

  /**
   * Set by a cluster node: resolves once this node has applied every event the network had
   * when a channel was about to be made here, so a JOIN from another node a moment earlier
   * is seen (the caller looks again after {@link make}) and its creator keeps the ops.
   */
  beforeMake: (() => Promise<void>) | undefined = undefined;

  constructor(store: ChatStore, events: ServerEvents) {
    this.#store = store;
    this.#events = events;
  }

  /** How many channels exist (have members). */
  get size(): number {
    return this.#byName.size;
  }

  /** A channel by name, or undefined. */
  find(name: string): Channel | undefined {
    return this.#byName.get(casefold(name));
  }

  /** A channel by casefolded name, or undefined. */
  get(folded: string): Channel | undefined {
    return this.#byName.get(folded);
  }

  /** Every channel. */
  values(): IterableIterator<Channel> {
    return this.#byName.values();
  }

  /**
   * A new incarnation of a channel that does not exist now: with its saved state when it is
   * registered. It enters the table with its first member ({@link join}). Someone else's
   * JOIN may have made the channel while the store answered: the caller looks again.
   */
  async make(name: string): Promise<Channel> {
    const channel = new Channel(name);
    const caughtUp = this.beforeMake?.();
    const known = this.#floors.get(channel.folded);
    const [record, stored] = await Promise.all([
      this.#store.getChannel(channel.folded),
      known === undefined ? this.#store.getHistoryFloor(channel.folded) : undefined,
    ]);
    if (caughtUp !== undefined) await caughtUp;
    if (record) restore(channel, record);
    else {
      const floor = known === undefined ? stored : known;
      if (floor !== undefined && floor !== null) channel.setHistoryFloor(floor);
    }
    return channel;
  }

  /** Adds a member (the first one puts the channel in the table); an invitation is used up. */
  join(channel: Channel, user: User, bits: number): void {
    if (channel.members.size === 0) this.#byName.set(channel.folded, channel);
    channel.clearInvite(user);
    channel.setMember(user, bits);
    user.joined(channel);
    this.#events.joined(channel, user, bits);
    saveAlwaysOn(this.#store, user);
  }

  /** A member leaves (PART, JOIN 0). */
  part(channel: Channel, user: User, reason: string | undefined): void {
    this.#remove(channel, user);
    this.#events.parted(channel, user, reason);
  }

  /** An operator removes a member. */
  kick(channel: Channel, target: User, by: User, reason: string): void {
    this.#remove(channel, target);
    this.#events.kicked(channel, target, by, reason);
  }

  /** A user leaves every channel as it quits (the quit itself is the user table's event). */
  quit(user: User): void {
    for (const channel of user.channels) {
      channel.deleteMember(user);
      if (channel.members.size === 0) this.#drop(channel);
    }
    user.left();
  }

  #remove(channel: Channel, user: User): void {
    channel.deleteMember(user);
    user.left(channel);
    if (channel.members.size === 0) this.#drop(channel);
    saveAlwaysOn(this.#store, user);
  }

  #drop(channel: Channel): void {
    if (this.#byName.get(channel.folded) !== channel) return;
    this.#byName.delete(channel.folded);
    const floor = handedOn(channel);
    const floors = this.#floors;
    if (floors.get(channel.folded) === (floor ?? null)) return; // the store has it already
    floors.delete(channel.folded);
    floors.set(channel.folded, floor ?? null);
    // bounded: the oldest entry goes first (the store still knows it)
    if (floors.size > MAX_KNOWN_FLOORS) floors.delete(floors.keys().next().value!);
    // in the background, like a registered channel's save
    this.#store.setHistoryFloors([[channel.folded, floor]]).catch((err) =>
      console.error(`saving the history floor of ${channel.name} failed: ${(err as Error).message}`)
    );
  }

  /**
   * At shutdown: records, for every channel still open, what it would hand on if it emptied
   * now, so a public channel keeps its history across the restart.
   */
  async recordFloors(): Promise<void> {
    const floors = [...this.#byName.values()].map((c) => [c.folded, handedOn(c)] as const);
    await this.#store.setHistoryFloors(floors);
  }

  /** Sets or clears the topic. */
  setTopic(channel: Channel, topic: Topic | undefined, by: User): void {
    channel.setTopic(topic);
    this.persist(channel);
    this.#events.topicChanged(channel, by);
  }

  /** Mode changes were applied to the channel (by the MODE handler): save and report them. */
  modesChanged(channel: Channel, applied: readonly ModeChange[], by: User): void {
    this.persist(channel);
    this.#events.modeChanged(channel, applied, by);
  }

  /** Registers a channel to an account (ChanServ REGISTER). */
  register(channel: Channel, account: string): void {
    channel.setRegistration({
      founder: account,
      registeredAt: Math.floor(Date.now() / 1000),
      ops: new Set([account]),
    });
    this.persist(channel);
    this.#events.channelRegistered(channel.folded, channel.registration);
  }

  /** Drops a channel's registration (ChanServ DROP), online or not. */
  async unregister(folded: string): Promise<void> {
    await this.#store.deleteChannel(folded);
    // the metadata kept for the registration goes with it (the live values stay)
    await this.#store.clearMetadata(folded);
    // looked up after the store answered: the channel may have emptied or been re-made
    this.#byName.get(folded)?.setRegistration(undefined);
    this.#events.channelRegistered(folded, undefined);
  }

  /** Saves a registered channel's state after a change; unregistered channels are skipped. */
  persist(channel: Channel): void {
    const reg = channel.registration;
    if (!reg) return;
    const record: ChannelRecord = {
      name: channel.name,
      folded: channel.folded,
      founder: reg.founder,
      registeredAt: reg.registeredAt,
      topic: channel.topic,
      modes: KEPT_FLAGS.filter((f) => channel.flags[f]).join(""),
      key: channel.key,
      limit: channel.limit,
      ops: [...reg.ops],
      bans: channel.bans.map((b) => ({ ...b })),
      exceptions: channel.exceptions.map((b) => ({ ...b })),
      inviteExceptions: channel.inviteExceptions.map((b) => ({ ...b })),
    };
    // in the background: the state in memory is what counts now, the store catches up
    this.#store.saveChannel(record).catch((err) =>
      console.error(`saving channel ${channel.name} failed: ${(err as Error).message}`)
    );
  }
}

/**
 * The history start a channel hands on to the next one of its name: its own, when it is
 * unregistered and open to all (anyone could have joined and read it); else none.
 */
function handedOn(channel: Channel): number | undefined {
  const f = channel.flags;
  const open = !f.s && !f.i && channel.key === undefined && channel.limit === undefined &&
    channel.bans.length === 0;
  return !channel.registration && open ? channel.historyFloor : undefined;
}

/** Gives a re-created registered channel its saved state. */
function restore(channel: Channel, record: ChannelRecord): void {
  // history since the registration: earlier lines were another channel's (or this one's
  // before its founder registered it, when anyone could have held the name)
  channel.setHistoryFloor(record.registeredAt * 1000);
  channel.setRegistration({
    founder: record.founder,
    registeredAt: record.registeredAt,
    ops: new Set(record.ops),
  });
  channel.setTopic(record.topic);
  for (const f of KEPT_FLAGS) channel.setFlag(f, record.modes.includes(f));
  channel.setKey(record.key);
  channel.setLimit(record.limit);
  for (const ban of record.bans) channel.addBan(ban);
  for (const e of record.exceptions ?? []) channel.addToList("e", e);
  for (const e of record.inviteExceptions ?? []) channel.addToList("I", e);
}
