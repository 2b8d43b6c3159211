/**
 * The one place that fans messages out. Handlers say what goes to whom (a user, a channel,
 * everyone who shares a channel with a user); this module finds the sessions and hands each
 * the shared, once-encoded bytes. A later multi-node setup publishes to a broker here.
 *
 * @module
 */

import type { Channel } from "./channel.ts";
import type { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/** Chooses, per receiving session, which variant of a message it gets (or none). */
export type Picker = (session: Session) => Outgoing | undefined;

/**
 * Sends to every session of a user.
 *
 * @example
 * ```ts ignore
 * toUser(target, new Outgoing(sender.hostmask, "PRIVMSG", [target.nick, "hi"]));
 * ```
 */
export function toUser(user: User, out: Outgoing): void {
  for (const s of user.sessions) s.send(out);
}

/**
 * Sends one message to every member of a channel except `except` (typically the sender).
 * This is the hot path: no per-recipient allocation, one encoding per tag form.
 *
 * @example
 * ```ts ignore
 * toChannel(channel, new Outgoing(user.hostmask, "PRIVMSG", [channel.name, text]), user);
 * ```
 */
export function toChannel(channel: Channel, out: Outgoing, except?: User): void {
  for (const member of channel.members.keys()) {
    if (member === except) continue;
    const sessions = member.sessions;
    for (let i = 0; i < sessions.length; i++) sessions[i].send(out);
  }
}

/**
 * Sends to every member of a channel, picking the variant per session (for messages whose
 * form depends on a capability, such as extended-join or away-notify).
 *
 * @example
 * ```ts ignore
 * toChannelPicked(channel, (s) => s.caps.has("away-notify") ? awayMsg : undefined);
 * ```
 */
export function toChannelPicked(channel: Channel, pick: Picker, except?: User): void {
  for (const member of channel.members.keys()) {
    if (member === except) continue;
    for (const s of member.sessions) {
      const out = pick(s);
      if (out) s.send(out);
    }
  }
}

/**
 * Sends to everyone who shares at least one channel with `user`, each once; `user` itself
 * is included when `includeSelf` is set.
 *
 * @example
 * ```ts ignore
 * toPeers(user, () => quitMsg, false);
 * ```
 */
export function toPeers(user: User, pick: Picker, includeSelf: boolean): void {
  const seen = new Set<User>([user]);
  if (includeSelf) {
    for (const s of user.sessions) {
      const out = pick(s);
      if (out) s.send(out);
    }
  }
  for (const channel of user.channels) {
    for (const member of channel.members.keys()) {
      if (seen.has(member)) continue;
      seen.add(member);
      for (const s of member.sessions) {
        const out = pick(s);
        if (out) s.send(out);
      }
    }
  }
}
