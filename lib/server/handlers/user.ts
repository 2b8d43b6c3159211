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

/** AWAY [message]: sets or clears the away message; away-notify peers are told. */
export function handleAway(ctx: Context): void {
  const user = ctx.user;
  const text = cleanText(ctx.params[0] ?? "", ctx.limits.awayLen);
  if (text === "") {
    ctx.users.setAway(user, undefined);
    ctx.numeric(RPL_UNAWAY, "You are no longer marked as being away");
  } else {
    ctx.users.setAway(user, text);
    ctx.numeric(RPL_NOWAWAY, "You have been marked as being away");
  }
  const notice = new Outgoing(user.hostmask, "AWAY", text === "" ? [] : [text]);
  toPeers(user, (s) => (s.caps.has("away-notify") ? notice : undefined), false);
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
  toPeers(user, (s) => (s.caps.has("setname") ? change : undefined), true, ctx.rb);
}
