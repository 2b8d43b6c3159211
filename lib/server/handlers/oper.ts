/**
 * Operator commands: OPER, KILL, WALLOPS, KLINE and UNKLINE (server bans, kept in the store).
 *
 * @module
 */

import { refusalText } from "../../auth/login_gate.ts";
import { sameSecret } from "../../auth/password.ts";
import { casefold } from "../../protocol/casemap.ts";
import { maskMatches } from "../../protocol/masks.ts";
import {
  ERR_NOPRIVILEGES,
  ERR_NOSUCHNICK,
  ERR_PASSWDMISMATCH,
  RPL_YOUREOPER,
} from "../../protocol/numerics.ts";
import { cleanText } from "../../protocol/validate.ts";
import type { Context } from "../context.ts";
import { bansHost } from "../klines.ts";
import { toUser } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";

/** Refuses a non-operator with ERR_NOPRIVILEGES; true when refused. */
function notOper(ctx: Context): boolean {
  if (ctx.user.oper) return false;
  ctx.numeric(ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
  return true;
}

/**
 * OPER <name> <password>: credentials from `--oper`/opers.txt, or an operator account's
 * own password. Every name costs one hash through the login gate (counted first), so the
 * answer takes as long for a name that is no operator as for one that is.
 */
export async function handleOper(ctx: Context): Promise<void> {
  const [name, password] = ctx.params;
  const server = ctx.server;
  const user = ctx.user;
  const configured = server.config.opers.get(name);
  const account = configured === undefined ? await ctx.store.getAccount(casefold(name)) : undefined;
  const result = await server.loginGate.check(
    `oper:${casefold(name)}`,
    ctx.session.conn.remoteAddress,
    password,
    account?.oper ? account.passwordHash : undefined,
    () => configured !== undefined && sameSecret(password, configured),
  );
  if (ctx.session.dead) return;
  const ip = ctx.session.conn.remoteAddress;
  if (!result.ok) {
    server.log.info("oper-failed", { name, nick: user.nick, ip, reason: result.reason });
    ctx.numeric(
      ERR_PASSWDMISMATCH,
      result.reason === "invalid"
        ? "Password incorrect"
        : `Password not checked: ${refusalText(result)}`,
    );
    return;
  }
  if (!user.oper) {
    ctx.users.setOper(user, true);
    ctx.toSelf(new Outgoing(user.hostmask, "MODE", [user.nick, "+o"], ctx.server.eventTags()));
  }
  server.log.info("oper", { name, nick: user.nick, ip });
  ctx.numeric(RPL_YOUREOPER, "You are now an IRC operator");
}

/** KILL <nick> [reason]: disconnects a user. */
export function handleKill(ctx: Context): void {
  if (notOper(ctx)) return;
  const target = ctx.users.find(ctx.params[0]);
  if (!target) {
    ctx.numeric(ERR_NOSUCHNICK, ctx.params[0], "No such nick/channel");
    return;
  }
  const reason = cleanText(ctx.params[1] || "no reason", ctx.limits.kickLen);
  const text = `Killed (${ctx.user.nick} (${reason}))`;
  ctx.server.log.info("kill", { nick: target.nick, by: ctx.user.nick, reason });
  for (const s of [...target.sessions]) ctx.server.endSession(s, text);
  // an always-on user outlives its connections, not a KILL
  if (target.registered) ctx.server.removeUser(target, text);
}

/** WALLOPS <text>: to every user with +w and every operator. */
export function handleWallops(ctx: Context): void {
  if (notOper(ctx)) return;
  const out = new Outgoing(ctx.user.hostmask, "WALLOPS", [ctx.params[0]]);
  for (const u of ctx.users.values()) {
    if (!u.registered || !(u.wallops || u.oper)) continue;
    toUser(u, out, ctx.rb);
  }
}

/**
 * KLINE [minutes] <user@host> [reason]: bans a mask from the server (0 or no minutes:
 * permanent), disconnecting those it matches. Kept across restarts.
 */
export async function handleKline(ctx: Context): Promise<void> {
  if (notOper(ctx)) return;
  const params = [...ctx.params];
  let minutes = 0;
  if (/^\d+$/.test(params[0]) && params.length > 1) minutes = Number(params.shift());
  let mask = params[0];
  if (!mask.includes("@")) mask = `*@${mask}`;
  if (mask.replace(/[*?@.]/g, "") === "") {
    ctx.fail("KLINE", "INVALID_PARAMS", [mask], "That mask would ban everyone");
    return;
  }
  const reason = cleanText(params[1] || "No reason given", ctx.limits.kickLen);
  const now = Math.floor(Date.now() / 1000);
  const kline = {
    mask,
    reason,
    setBy: ctx.user.nick,
    setAt: now,
    expiresAt: minutes > 0 ? now + minutes * 60 : undefined,
  };
  const server = ctx.server;
  await ctx.klines.add(kline);
  server.log.info("kline", { mask, minutes, by: ctx.user.nick, reason });
  ctx.reply("NOTICE", [
    ctx.user.nick,
    `K-line added for ${mask}${minutes > 0 ? ` (${minutes} minutes)` : ""}: ${reason}`,
  ]);
  // registered users by user@host; those still registering by host alone (their user name
  // is not settled), so a banned address keeps no half-open connection to guess passwords on
  for (const s of [...server.sessions]) {
    const u = s.user;
    const hit = u.registered
      ? maskMatches(mask, `${u.username}@${u.host}`)
      : bansHost(kline, u.host);
    if (hit) server.endSession(s, `K-Lined: ${reason}`);
  }
}

/** UNKLINE <user@host> */
export async function handleUnkline(ctx: Context): Promise<void> {
  if (notOper(ctx)) return;
  let mask = ctx.params[0];
  if (!mask.includes("@")) mask = `*@${mask}`;
  const removed = await ctx.klines.remove(mask);
  if (removed) ctx.server.log.info("unkline", { mask, by: ctx.user.nick });
  ctx.reply("NOTICE", [
    ctx.user.nick,
    removed ? `K-line for ${mask} removed` : `No K-line for ${mask}`,
  ]);
}
