/**
 * Connection registration and liveness: PASS, NICK, USER, PING, PONG, QUIT, and the
 * welcome burst that completes registration.
 *
 * @module
 */

import { otherNodeNotice } from "./account.ts";
import { sameSecret } from "../../auth/password.ts";
import { casefold } from "../../protocol/casemap.ts";
import {
  ERR_ALREADYREGISTERED,
  ERR_ERRONEUSNICKNAME,
  ERR_NEEDMOREPARAMS,
  ERR_NICKNAMEINUSE,
  ERR_NONICKNAMEGIVEN,
  ERR_PASSWDMISMATCH,
  ERR_YOUREBANNEDCREEP,
  RPL_CREATED,
  RPL_MYINFO,
  RPL_WELCOME,
  RPL_YOURHOST,
} from "../../protocol/numerics.ts";
import { cleanText, isValidNick, sanitizeUsername } from "../../protocol/validate.ts";
import { SOFTWARE, VERSION } from "../../version.ts";
import type { Context } from "../context.ts";
import type { User } from "../user.ts";
import { authenticate, authRefusalText, logIn, SERVICE_NICKS } from "../accounts.ts";
import { fillBucket } from "../fakelag.ts";
import { sendChannelsOnAttach } from "./channel.ts";
import { sendMetadataOnWelcome } from "./metadata.ts";
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
export function handleNick(ctx: Context): void | Promise<void> {
  const nick = ctx.params[0] ?? "";
  const user = ctx.user;
  if (nick === "") {
    ctx.numeric(ERR_NONICKNAMEGIVEN, "No nickname given");
    return;
  }
  if (!isValidNick(nick, ctx.limits.nickLen) || SERVICE_NICKS.has(casefold(nick))) {
    ctx.numeric(ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname");
    return;
  }
  ctx.session.pendingNick = undefined;
  if (nick === user.nick) return;
  if (!user.registered) {
    // the nick of a logged-in user while this connection is logged in to that account, or may
    // still log in (SASL or PASS before CAP END): decided at the end of registration, as ergo
    // does, so a second device asking for the shared nick attaches instead of getting "in use"
    const holder = ctx.users.holder(nick);
    const mayLogIn = user.account === undefined &&
      (ctx.session.capNegotiating || ctx.session.password !== undefined);
    const sameAccount = user.account !== undefined && holder?.account !== undefined &&
      casefold(user.account) === casefold(holder.account);
    if (holder?.registered && holder.account !== undefined && (mayLogIn || sameAccount)) {
      ctx.session.pendingNick = nick;
      if (sameAccount) return tryCompleteRegistration(ctx);
      return;
    }
  }
  const claimed = claimNick(ctx, nick);
  if (claimed === true) return afterRename(ctx);
  if (claimed !== false) return claimed.then((ok) => (ok ? afterRename(ctx) : undefined));
}

/** After a nick change: registration goes on, or the new nick's protection is checked. */
function afterRename(ctx: Context): void | Promise<void> {
  if (!ctx.user.registered) return checkThenRegister(ctx);
  return ctx.users.checkReservation(ctx.user, ctx.rb);
}

/**
 * Gives the command's user `nick` if it is free (or theirs to take back); else says why.
 * With several nodes, once the cluster granted it (a promise).
 */
function claimNick(ctx: Context, nick: string): boolean | Promise<boolean> {
  const user = ctx.user;
  const holder = ctx.users.holder(nick);
  if (holder && holder !== user) {
    // the logged-in owner of a registered nick takes it at once (as ergo does)
    // (not a user of another node of a cluster: only that node can rename it)
    if (!ownsNick(user, nick) || ownsNick(holder, nick) || holder.sessions.length === 0) {
      ctx.numeric(ERR_NICKNAMEINUSE, nick, "Nickname is already in use");
      return false;
    }
    ctx.users.reclaim(holder, user.nick);
  } else if (ctx.users.isHeldFrom(nick, user)) {
    ctx.numeric(ERR_NICKNAMEINUSE, nick, "Nickname is reserved for its owner");
    return false;
  }
  const claim = ctx.users.nickClaim;
  if (claim !== undefined) return claimThenRename(ctx, nick, claim);
  ctx.users.rename(user, nick, ctx.rb);
  return true;
}

/** Several nodes: the nick is granted once the cluster gave it to this user. */
async function claimThenRename(
  ctx: Context,
  nick: string,
  claim: (user: User, nick: string) => Promise<boolean>,
): Promise<boolean> {
  const ok = await claim(ctx.user, nick);
  if (ctx.session.dead) return false;
  const holder = ctx.users.holder(nick);
  // a holder still in the table after a successful claim is a user of a dead node whose
  // QUIT has not been applied yet: the cluster has freed its nick
  if (!ok || (holder !== undefined && holder !== ctx.user && holder.sessions.length > 0)) {
    ctx.numeric(ERR_NICKNAMEINUSE, nick, "Nickname is already in use");
    return false;
  }
  ctx.users.rename(ctx.user, nick, ctx.rb);
  return true;
}

/** Whether a user is logged in to the account of a nick's name. */
function ownsNick(user: User, nick: string): boolean {
  return user.account !== undefined && casefold(user.account) === casefold(nick);
}

/** A nick claimed while registering is protected like any other (silently, for now). */
async function checkThenRegister(ctx: Context): Promise<void> {
  await ctx.users.checkReservation(ctx.user, ctx.rb);
  if (ctx.session.dead) return;
  await tryCompleteRegistration(ctx);
}

/** USER: the user name and real name, given once before registration. */
export function handleUser(ctx: Context): void | Promise<void> {
  const user = ctx.user;
  if (user.registered || ctx.session.gotUser) {
    ctx.numeric(ERR_ALREADYREGISTERED, "You may not reregister");
    return;
  }
  if (ctx.params[3] === "") {
    // an empty real name is not a real name (modern.ircdocs: ERR_NEEDMOREPARAMS)
    ctx.numeric(ERR_NEEDMOREPARAMS, "USER", "Not enough parameters");
    return;
  }
  const limits = ctx.server.limits;
  user.username = sanitizeUsername(ctx.params[0], limits.userLen) ?? "~user";
  user.realname = cleanText(ctx.params[3], limits.realnameLen);
  ctx.session.gotUser = true;
  return tryCompleteRegistration(ctx);
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
  const reason = text ? `Quit: ${cleanText(text, ctx.limits.kickLen)}` : "Client Quit";
  ctx.server.endSession(ctx.session, reason);
}

/**
 * Completes registration once NICK and USER arrived and CAP negotiation (if any) ended:
 * checks K-lines and the server password (or logs in with PASS `account:password` when the
 * server has none), then sends the welcome burst (001-005, LUSERS, MOTD).
 */
export function tryCompleteRegistration(ctx: Context): void | Promise<void> {
  const session = ctx.session;
  const user = ctx.user;
  const server = ctx.server;
  if (user.registered || !session.gotUser || session.capNegotiating) return;
  if (user.nick === "*" && session.pendingNick === undefined) return;
  const kline = ctx.klines.find(`${user.username}@${user.host}`);
  if (kline) {
    ctx.numeric(ERR_YOUREBANNEDCREEP, `You are banned from this server: ${kline.reason}`);
    server.endSession(session, `K-Lined: ${kline.reason}`);
    return;
  }
  const wanted = server.config.password;
  if (wanted !== undefined) {
    if (session.password === undefined || !sameSecret(session.password, wanted)) {
      ctx.numeric(ERR_PASSWDMISMATCH, "Password incorrect");
      server.endSession(session, "Bad password");
      return;
    }
  } else if (session.password !== undefined && !user.account) {
    return passLogin(ctx);
  }
  return welcome(ctx);
}

/** PASS as a login: `account:password`, or the password of the account named like the nick. */
async function passLogin(ctx: Context): Promise<void> {
  const given = ctx.session.password!;
  ctx.session.password = undefined;
  const colon = given.indexOf(":");
  const [name, password] = colon > 0
    ? [given.slice(0, colon), given.slice(colon + 1)]
    : [ctx.user.nick, given];
  const result = await authenticate(ctx.server, name, password, ctx.session.conn.remoteAddress);
  if (ctx.session.dead || ctx.user.registered) return;
  if (result.ok) logIn(ctx, result.account, result.alwaysOn);
  else if (ctx.server.config.requireAccount) {
    ctx.numeric(ERR_PASSWDMISMATCH, "Password incorrect");
    ctx.server.endSession(ctx.session, "Bad password");
    return;
  } else {
    ctx.reply("NOTICE", [
      ctx.user.nick,
      result.reason === "invalid"
        ? "Login with PASS failed: wrong account or password; you are connected without an account"
        : `Login with PASS refused: ${authRefusalText(result)}`,
    ]);
  }
  await welcome(ctx);
}

async function welcome(ctx: Context): Promise<void> {
  const session = ctx.session;
  const server = ctx.server;
  session.password = undefined;
  // a device of an account already online becomes one more session of that user (ergo's
  // multiclient): it takes the user's nick; guests (no account) never attach
  const placeholder = ctx.user;
  const online = placeholder.account === undefined
    ? undefined
    : ctx.users.findAccount(placeholder.account);
  let since: number | undefined;
  // a user of another cluster node: this device stays a user of its own
  const elsewhere = online?.remote === true ? online : undefined;
  if (online !== undefined && online !== placeholder && !online.remote) {
    since = online.detachedAt > 0 ? online.detachedAt : undefined;
    if (!ctx.users.attach(session, online)) {
      // the account filled up between the login and now: connect without it
      ctx.users.setAccount(placeholder, undefined);
      placeholder.alwaysOn = false;
      ctx.reply("NOTICE", [
        placeholder.nick,
        `You are connected without your account: it already has ${ctx.limits.sessionsPerAccount} ` +
        "connections",
      ]);
    } else session.pendingNick = undefined;
  }
  const user = ctx.user;
  const attached = user !== placeholder;
  if (!attached && session.pendingNick !== undefined) {
    const nick = session.pendingNick;
    session.pendingNick = undefined;
    // taken after all (it was not our account's): wait for another NICK
    if (!(await claimNick(ctx, nick)) && user.nick === "*") return;
  }
  fillBucket(session, server.limits, Date.now());
  if (!attached) ctx.users.markRegistered(user);
  const name = server.name;
  ctx.numeric(
    RPL_WELCOME,
    `Welcome to the ${server.config.network} IRC Network ${user.hostmask}`,
  );
  ctx.numeric(RPL_YOURHOST, `Your host is ${name}, running version ${SOFTWARE}-${VERSION}`);
  ctx.numeric(RPL_CREATED, `This server was created ${server.createdAt.toUTCString()}`);
  ctx.numeric(RPL_MYINFO, name, `${SOFTWARE}-${VERSION}`, "Biow", "Ibeiklmnostv", "Ibeklov");
  sendIsupport(ctx);
  sendLusers(ctx);
  sendMotd(ctx);
  if (server.config.requireAccount && !user.account) {
    ctx.reply("NOTICE", [
      user.nick,
      "This server requires an account: /msg NickServ REGISTER <password> to create one, " +
      "or /msg NickServ IDENTIFY <account> <password> to log in.",
    ]);
  }
  await sendMetadataOnWelcome(ctx, placeholder);
  if (ctx.session.dead) return;
  if (attached) return sendChannelsOnAttach(ctx, since);
  if (elsewhere !== undefined) otherNodeNotice(ctx, elsewhere);
  await ctx.users.checkReservation(user, ctx.rb);
}
