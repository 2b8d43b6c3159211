/**
 * Connection registration and liveness: PASS, NICK, USER, PING, PONG, QUIT, and the
 * welcome burst that completes registration.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { casefold } from "../../protocol/casemap.ts";
import {
  ERR_ALREADYREGISTERED,
  ERR_ERRONEUSNICKNAME,
  ERR_NICKNAMEINUSE,
  ERR_NONICKNAMEGIVEN,
  ERR_PASSWDMISMATCH,
  RPL_CREATED,
  RPL_MYINFO,
  RPL_WELCOME,
  RPL_YOURHOST,
} from "../../protocol/numerics.ts";
import { cleanText, isValidNick, sanitizeUsername } from "../../protocol/validate.ts";
import { SOFTWARE, VERSION } from "../../version.ts";
import type { Context } from "../context.ts";
import { toPeers } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";
import { sendIsupport, sendLusers, sendMotd } from "./query.ts";

/** PASS: remembers the connection password for the check at registration. */
export function handlePass(ctx: Context): void {
  if (ctx.user.registered) {
    ctx.numeric(ERR_ALREADYREGISTERED, "You may not reregister");
    return;
  }
  ctx.session.password = ctx.params[0];
}

/** NICK: sets or changes the nickname; others sharing a channel see the change. */
export function handleNick(ctx: Context): void {
  const nick = ctx.params[0] ?? "";
  const server = ctx.server;
  const user = ctx.user;
  if (nick === "") {
    ctx.numeric(ERR_NONICKNAMEGIVEN, "No nickname given");
    return;
  }
  if (!isValidNick(nick, server.limits.nickLen)) {
    ctx.numeric(ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname");
    return;
  }
  if (nick === user.nick) return;
  const folded = casefold(nick);
  const holder = server.users.get(folded);
  if (holder && holder !== user) {
    ctx.numeric(ERR_NICKNAMEINUSE, nick, "Nickname is already in use");
    return;
  }
  if (user.registered) {
    const change = new Outgoing(user.hostmask, "NICK", [nick]);
    server.rememberNick(user);
    toPeers(user, () => change, true);
  }
  if (server.users.get(user.folded) === user) server.users.delete(user.folded);
  user.setNick(nick);
  server.users.set(folded, user);
  if (!user.registered) tryCompleteRegistration(ctx);
}

/** USER: the user name and real name, given once before registration. */
export function handleUser(ctx: Context): void {
  const user = ctx.user;
  if (user.registered || ctx.session.gotUser) {
    ctx.numeric(ERR_ALREADYREGISTERED, "You may not reregister");
    return;
  }
  const limits = ctx.server.limits;
  user.username = sanitizeUsername(ctx.params[0], limits.userLen) ?? "~user";
  user.realname = cleanText(ctx.params[3], limits.realnameLen);
  ctx.session.gotUser = true;
  tryCompleteRegistration(ctx);
}

/** PING: answered with PONG carrying the same token. */
export function handlePing(ctx: Context): void {
  ctx.reply("PONG", [ctx.server.name, ctx.params[0]]);
}

/** PONG: nothing to do; any input already counts as a sign of life. */
export function handlePong(_ctx: Context): void {}

/** QUIT: says goodbye with the reason shown to everyone who shared a channel. */
export function handleQuit(ctx: Context): void {
  const text = ctx.params[0];
  const reason = text ? `Quit: ${cleanText(text, ctx.server.limits.kickLen)}` : "Client Quit";
  ctx.server.endSession(ctx.session, reason);
}

function passwordMatches(given: string | undefined, wanted: string): boolean {
  if (given === undefined) return false;
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(wanted);
  // compare in constant time; a length mismatch compares b with itself to take the same time
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}

/**
 * Completes registration once NICK and USER arrived and CAP negotiation (if any) ended:
 * checks the server password, then sends the welcome burst (001-005, LUSERS, MOTD).
 */
export function tryCompleteRegistration(ctx: Context): void {
  const session = ctx.session;
  const user = ctx.user;
  const server = ctx.server;
  if (user.registered || user.nick === "*" || !session.gotUser || session.capNegotiating) return;
  const wanted = server.config.password;
  if (wanted !== undefined && !passwordMatches(session.password, wanted)) {
    ctx.numeric(ERR_PASSWDMISMATCH, "Password incorrect");
    server.endSession(session, "Bad password");
    return;
  }
  session.password = undefined;
  session.floodTokens = server.limits.floodBurst;
  session.floodStamp = Date.now();
  server.markRegistered(user);
  const name = server.name;
  ctx.numeric(
    RPL_WELCOME,
    `Welcome to the ${server.config.network} IRC Network ${user.hostmask}`,
  );
  ctx.numeric(RPL_YOURHOST, `Your host is ${name}, running version ${SOFTWARE}-${VERSION}`);
  ctx.numeric(RPL_CREATED, `This server was created ${server.createdAt.toUTCString()}`);
  ctx.numeric(RPL_MYINFO, name, `${SOFTWARE}-${VERSION}`, "io", "biklmnostv", "bklov");
  sendIsupport(ctx);
  sendLusers(ctx);
  sendMotd(ctx);
}
