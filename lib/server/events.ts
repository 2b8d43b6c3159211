/**
 * The one place every change of shared state passes through after the table that owns it has
 * applied it: users arriving, changing (nick, away, real name, account, modes) and quitting;
 * joins, parts, kicks, channel modes, topics; messages.
 * On one node nothing listens ({@link LOCAL_EVENTS}); a later bus between several nodes
 * publishes each event here, in the order the tables applied them, and the other nodes replay
 * them through the same table methods.
 *
 * The calls carry the live objects (no copies are made for them), so the hot path of a
 * channel message costs one call of an empty function.
 *
 * @module
 */

import type { ModeChange } from "../protocol/modes.ts";
import type { HistoryMessage } from "../store/store.ts";
import type { Channel, ChannelRegistration } from "./channel.ts";
import type { Outgoing } from "./outgoing.ts";
import type { User } from "./user.ts";

/** What about a registered user changed ({@link ServerEvents.userChanged}). */
export type UserChange = "away" | "realname" | "account" | "modes";

/** The state changes other nodes would need to see. */
export interface ServerEvents {
  /** A user completed registration: its nick is taken, it can be seen and messaged. */
  registered(user: User): void;
  /** A registered user's away message, real name, account or user modes changed. */
  userChanged(user: User, what: UserChange): void;
  /** A registered user's nick changed (`user.nick` is the new one). */
  nickChanged(user: User, oldNick: string): void;
  /** A user joined a channel (with the prefix bits it got). */
  joined(channel: Channel, user: User, bits: number): void;
  /** A user left a channel. */
  parted(channel: Channel, user: User, reason: string | undefined): void;
  /** An operator removed a user from a channel. */
  kicked(channel: Channel, target: User, by: User, reason: string): void;
  /** A registered user left the server. */
  quit(user: User, reason: string): void;
  /** Channel modes changed (as applied, in order). */
  modeChanged(channel: Channel, changes: readonly ModeChange[], by: User): void;
  /** A channel's topic was set or cleared (`channel.topic`). */
  topicChanged(channel: Channel, by: User): void;
  /**
   * A channel was registered (ChanServ REGISTER) or, undefined, its registration dropped;
   * `folded` is its casefolded name (a dropped one may have no members here).
   */
  channelRegistered(folded: string, registration: Readonly<ChannelRegistration> | undefined): void;
  /**
   * Whether a message the store could not take (it is unavailable) can still be sent: the
   * events then carry its history record ({@link ServerEvents.message}) to a queue that
   * writes it once the store is back. False on one node: such a message is refused.
   */
  readonly defersHistory: boolean;
  /**
   * A PRIVMSG, NOTICE or TAGMSG went to a channel (`#name`) or a nick. A promise means the
   * sender's echo waits for it (the bus between nodes has the message); on one node nothing
   * is returned and nothing waits. `history`: the message's record, when the store did not
   * take it (only where {@link ServerEvents.defersHistory}); the promise then also means
   * the record is queued.
   */
  message(
    from: User,
    target: string,
    out: Outgoing,
    history?: HistoryMessage,
  ): void | Promise<void>;
  /**
   * A stored message was redacted (removed from history) in a channel or a private
   * conversation; `out` is the REDACT for members with `draft/message-redaction`.
   */
  redacted(by: User, target: string, msgid: string, out: Outgoing): void;
  /**
   * One metadata key (`draft/metadata-2`) of a user or a channel was set to `value`, or
   * removed (`value` undefined). The store already has it when it keeps that target's.
   */
  metadataChanged(target: User | Channel, key: string, value: string | undefined): void;
}

/** A cluster node's bus state, for /healthz and /metrics (lib/cluster/node.ts has one). */
export interface ClusterStatus {
  clusterStatus(): {
    nodeId: string;
    /** The node lost its lease and is closing. */
    fenced: boolean;
    /** Whether the bus's reading connection to Redis is up. */
    connected: boolean;
    eventsIn: number;
    eventsOut: number;
    /** Milliseconds since the lease was last renewed. */
    leaseAgeMs: number;
    peers: number;
    /** Connections to Redis that stopped answering and were replaced. */
    stuckConnections: number;
    /** Messages waiting in the history queue for the store, cluster-wide. */
    historyBacklog: number;
  };
}

const nothing = (): void => {};

/**
 * The events of a single node: nobody else to tell.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { LOCAL_EVENTS } from "./events.ts";
 * strictEqual(Object.isFrozen(LOCAL_EVENTS), true); // nothing to tell on one node
 * ```
 */
export const LOCAL_EVENTS: ServerEvents = Object.freeze({
  defersHistory: false,
  registered: nothing,
  userChanged: nothing,
  nickChanged: nothing,
  joined: nothing,
  parted: nothing,
  kicked: nothing,
  quit: nothing,
  modeChanged: nothing,
  topicChanged: nothing,
  channelRegistered: nothing,
  message: nothing,
  redacted: nothing,
  metadataChanged: nothing,
});
