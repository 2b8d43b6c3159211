/**
 * A user's own state: AWAY and SETNAME.
 *
 * @module
 */

import { RPL_NOWAWAY, RPL_UNAWAY } from "../../protocol/numerics.ts";
import { cleanText } from "../../protocol/validate.ts";
import type { Context } from "../context.ts";
import { toPeers } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";
import type { Session } from "../session.ts";

/**
 * AWAY [message]: sets or clears this device's away message. The user is away while all of
 * its devices are (as ergo does); away-notify peers are told when that changes.
 */
export function handleAway(ctx: Context): void {
  const text = cleanText(ctx.params[0] ?? "", ctx.limits.awayLen);
  ctx.users.setSessionAway(ctx.session, text === "" ? undefined : text);
  if (text === "") ctx.numeric(RPL_UNAWAY, "You are no longer marked as being away");
  else ctx.numeric(RPL_NOWAWAY, "You have been marked as being away");
}

/** SETNAME <realname>: changes the real name; setname peers (and the user) are told. */
export function handleSetname(ctx: Context): void {
  const user = ctx.user;
  const text = cleanText(ctx.params[0], ctx.limits.realnameLen);
  if (text === "") {
    ctx.fail("SETNAME", "INVALID_REALNAME", [], "Real name must not be empty");
    return;
  }
  ctx.users.setRealname(user, text);
  const change = new Outgoing(user.hostmask, "SETNAME", [text]);
  const pick = (s: Session) => (s.caps.has("setname") ? change : undefined);
  toPeers(user, pick, true, ctx.rb, ctx.server.monitors.watchersOf(user));
}
