/**
 * The one place that fans messages out. Handlers say what goes to whom (a user, a channel,
 * everyone who shares a channel with a user); this module finds the sessions and hands each
 * the shared, once-encoded bytes. A later multi-node setup publishes to a broker here.
 *
 * Where a command's own session is among the recipients, the functions that take an `origin`
 * put that session's copy into the command's {@link ResponseBuffer} (it is a reply, labeled
 * with the command); everyone else's goes straight out.
 *
 * @module
 */

import type { Channel } from "./channel.ts";
import type { Outgoing } from "./outgoing.ts";
import type { ResponseBuffer } from "./response_buffer.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/** Chooses, per receiving session, which variant of a message it gets (or none). */
export type Picker = (session: Session) => Outgoing | undefined;

/** Sends to one session, or into `origin` when it is that session's command. */
function deliver(s: Session, out: Outgoing, origin: ResponseBuffer | undefined): void {
  if (origin !== undefined && origin.session === s) origin.add(out);
  else s.send(out);
}

/**
 * Sends to every session of a user (the `origin` command's own session through its buffer).
 *
 * @example
 * ```ts ignore
 * toUser(target, new Outgoing(sender.hostmask, "PRIVMSG", [target.nick, "hi"]));
 * ```
 */
export function toUser(user: User, out: Outgoing, origin?: ResponseBuffer): void {
  for (const s of user.sessions) deliver(s, out, origin);
}

/**
 * Sends to every session of a user the variant `pick` chooses for it (or none).
 *
 * @example
 * ```ts ignore
 * toUserPicked(user, (s) => s.caps.has("extended-join") ? extended : plain, ctx.rb);
 * ```
 */
export function toUserPicked(user: User, pick: Picker, origin?: ResponseBuffer): void {
  for (const s of user.sessions) {
    const out = pick(s);
    if (out) deliver(s, out, origin);
  }
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
 * is included when `includeSelf` is set (the `origin` command's session through its buffer).
 *
 * @example
 * ```ts ignore
 * toPeers(user, () => quitMsg, false);
 * ```
 */
export function toPeers(
  user: User,
  pick: Picker,
  includeSelf: boolean,
  origin?: ResponseBuffer,
  watchers?: ReadonlySet<Session>,
): void {
  const seen = new Set<User>([user]);
  if (includeSelf) toUserPicked(user, pick, origin);
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
  if (watchers === undefined) return;
  // IRCv3 extended-monitor: a session that watches the nick hears what a channel peer
  // would, once (a watcher sharing a channel already heard it above)
  for (const s of watchers) {
    if (seen.has(s.user) || !s.caps.has("extended-monitor")) continue;
    const out = pick(s);
    if (out) s.send(out);
  }
}
