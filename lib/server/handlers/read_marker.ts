/**
 * MARKREAD (IRCv3 `draft/read-marker`): a client tells where its user stopped reading a
 * conversation, or asks; the marker only moves forward, and every other connection of the
 * same user or account that has the capability is told when it moves. On JOIN the marker of
 * the channel goes to the joining user's sessions before the end of NAMES. Markers are never
 * shown to anyone else.
 *
 * @module
 */

import { casefold } from "../../protocol/casemap.ts";
import { isChannelName, isValidChannel } from "../../protocol/validate.ts";
import type { Channel } from "../channel.ts";
import type { Context } from "../context.ts";
import { toUserPicked } from "../delivery.ts";
import { partyOfNick } from "../history_keys.ts";
import { Outgoing } from "../outgoing.ts";
import type { Session } from "../session.ts";
import type { User } from "../user.ts";
import { partyLookup } from "./history.ts";

const CAP = "draft/read-marker";

/** The wire form of a marker: `timestamp=<ISO 8601>`, or `*` for none. */
function markerParam(time: number | undefined): string {
  return time === undefined ? "*" : `timestamp=${new Date(time).toISOString()}`;
}

/** Sends a MARKREAD to the sessions of `users` that have the capability, except the command's. */
function pushToOthers(ctx: Context, users: Iterable<User>, out: Outgoing): void {
  for (const u of users) {
    for (const s of u.sessions) {
      if (s !== ctx.session && s.caps.has(CAP)) s.send(out);
    }
  }
}

/** MARKREAD <target> [timestamp=…]: sets (forward only) or gets the user's read marker. */
export async function handleMarkread(ctx: Context): Promise<void> {
  const fail = (code: string, context: string[], text: string) =>
    ctx.fail("MARKREAD", code, context, text);
  const target = ctx.params[0];
  if (target === undefined || target === "") {
    fail("NEED_MORE_PARAMS", [], "Missing parameters");
    return;
  }
  const user = ctx.user;
  let key: string;
  let name: string;
  let channel: Channel | undefined;
  if (isChannelName(target)) {
    if (!isValidChannel(target, ctx.limits.channelLen)) {
      fail("INVALID_PARAMS", [target], "Invalid target");
      return;
    }
    channel = ctx.channels.find(target);
    key = casefold(target);
    name = channel?.name ?? target;
  } else {
    const party = await partyOfNick(partyLookup(ctx), target);
    if (party === undefined) {
      fail("INVALID_PARAMS", [target], "No such nick or account");
      return;
    }
    key = party;
    name = ctx.users.find(target)?.nick ?? target;
  }
  const markers = ctx.server.readMarkers;
  try {
    if (ctx.params.length < 2) {
      ctx.reply("MARKREAD", [name, markerParam(await markers.get(user, key))]);
      return;
    }
    const raw = ctx.params[1];
    const time = raw.startsWith("timestamp=") ? Date.parse(raw.slice(10)) : NaN;
    if (Number.isNaN(time)) {
      fail("INVALID_PARAMS", [raw], "Invalid timestamp");
      return;
    }
    // a channel's marker is kept for its members only: nobody fills the store with names
    if (isChannelName(target) && !channel?.members.has(user)) {
      fail("INVALID_PARAMS", [target], "You are not on that channel");
      return;
    }
    // nothing can have been read after now
    const update = await markers.set(user, key, Math.min(time, Date.now()));
    const out = new Outgoing(ctx.server.name, "MARKREAD", [name, markerParam(update.time)]);
    ctx.send(out);
    if (!update.moved) return;
    // the same account on other connections, or this user's other devices (a guest's)
    const others = user.account === undefined
      ? [user]
      : [user, ...ctx.users.withAccount(casefold(user.account)).filter((u) => u !== user)];
    pushToOthers(ctx, others, out);
  } catch (err) {
    console.error(`MARKREAD failed: ${(err as Error).message}`);
    fail("INTERNAL_ERROR", [target], "The read timestamp could not be set");
  }
}

/**
 * After a JOIN: the channel's read marker to the joining user's sessions that have the
 * capability (`*` when there is none, or when the store cannot answer); with
 * `onlyThisSession`, to the command's session only (a device attaching to its user).
 */
export async function sendMarkerOnJoin(
  ctx: Context,
  channel: Channel,
  onlyThisSession = false,
): Promise<void> {
  const user = ctx.user;
  const wanted = (s: Session) => s.caps.has(CAP) && (!onlyThisSession || s === ctx.session);
  if (!user.sessions.some(wanted)) return;
  let time: number | undefined;
  try {
    time = await ctx.server.readMarkers.get(user, channel.folded);
  } catch (err) {
    console.error(`reading a read marker failed: ${(err as Error).message}`);
  }
  const out = new Outgoing(ctx.server.name, "MARKREAD", [channel.name, markerParam(time)]);
  toUserPicked(user, (s) => (wanted(s) ? out : undefined), ctx.rb);
}
