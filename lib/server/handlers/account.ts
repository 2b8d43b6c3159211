/**
 * Accounts on the wire: REGISTER (IRCv3 draft/account-registration) and AUTHENTICATE
 * (SASL PLAIN). NickServ's REGISTER and IDENTIFY live in services.ts and share this logic.
 *
 * @module
 */

import { sameSecret } from "../../auth/password.ts";
import { decodePlain, SASL_MAX_BYTES, SASL_MECHANISMS } from "../../auth/sasl.ts";
import {
  ERR_SASLABORTED,
  ERR_SASLALREADY,
  ERR_SASLFAIL,
  ERR_SASLTOOLONG,
  RPL_LOGGEDIN,
  RPL_SASLMECHS,
  RPL_SASLSUCCESS,
} from "../../protocol/numerics.ts";
import { isValidNick } from "../../protocol/validate.ts";
import { type AccountRecord, StoreUnavailableError } from "../../store/store.ts";
import {
  authenticate,
  authRefusalText,
  createAccount,
  logIn,
  SERVICE_NICKS,
  STORE_DOWN_TEXT,
} from "../accounts.ts";
import type { Context } from "../context.ts";
import type { User } from "../user.ts";
import { Outgoing } from "../outgoing.ts";
import { casefold } from "../../protocol/casemap.ts";
import { sendChannelsOnAttach } from "./channel.ts";

/** Shortest password an account may have. */
export const MIN_PASSWORD_LENGTH = 8;

/** Why an account cannot be registered, as a standard-reply code and a sentence. */
export type RegisterRefusal = { code: string; text: string };

/**
 * Registers an account named after the context's user's current nick and logs it in;
 * returns a refusal instead when it cannot. Shared by REGISTER and NickServ REGISTER. The
 * registration is counted per address before the password is hashed (through the login
 * gate's bounded queue).
 */
export async function registerAccount(
  ctx: Context,
  name: string,
  email: string | undefined,
  password: string,
): Promise<RegisterRefusal | { name: string }> {
  const server = ctx.server;
  const user = ctx.user;
  const ip = ctx.session.conn.remoteAddress;
  if (!server.config.openRegistration && !user.oper) {
    return {
      code: "DISALLOWED",
      text: "Registration is closed on this server; ask an operator for an account",
    };
  }
  if (user.account) {
    return { code: "ALREADY_AUTHENTICATED", text: `You are already logged in as ${user.account}` };
  }
  const folded = casefold(name);
  if (folded !== user.folded) {
    return {
      code: "ACCOUNT_NAME_MUST_BE_NICK",
      text: `You can only register your current nick (${user.nick}); use * or change nick first`,
    };
  }
  if (ctx.users.holder(name) !== user) {
    return { code: "BAD_ACCOUNT_NAME", text: `The nick ${name} is in use by someone else` };
  }
  const wanted = server.config.password;
  if (!user.registered && wanted !== undefined && !sameSecret(ctx.session.password ?? "", wanted)) {
    // before-connect must not get around the server password
    return { code: "DISALLOWED", text: "Send the server password (PASS) before registering" };
  }
  if (!isValidNick(name, ctx.limits.nickLen) || SERVICE_NICKS.has(folded)) {
    return { code: "BAD_ACCOUNT_NAME", text: `${name} is not a valid account name` };
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    return {
      code: "WEAK_PASSWORD",
      text: `Passwords need at least ${MIN_PASSWORD_LENGTH} characters`,
    };
  }
  const storeDown = { code: "TEMPORARILY_UNAVAILABLE", text: capitalised(STORE_DOWN_TEXT) };
  if (!ctx.store.available()) return storeDown;
  try {
    if (await ctx.store.getAccount(folded)) {
      return { code: "ACCOUNT_EXISTS", text: `The account ${name} already exists` };
    }
  } catch (err) {
    if (err instanceof StoreUnavailableError) return storeDown;
    throw err;
  }
  const admitted = server.loginGate.admitRegistration(ip, password);
  if ("refused" in admitted) {
    return { code: "TEMPORARILY_UNAVAILABLE", text: capitalised(admitted.refused) };
  }
  let record: AccountRecord | undefined;
  try {
    record = await createAccount(server, name, admitted.hashing, email);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    admitted.cancel();
    return storeDown;
  }
  if (!record) {
    admitted.cancel();
    return { code: "ACCOUNT_EXISTS", text: `The account ${name} already exists` };
  }
  server.log.info("account-registered", { account: record.name, ip });
  if (!ctx.session.dead) logIn(ctx, record);
  return { name: record.name };
}

function capitalised(text: string): string {
  return text[0].toUpperCase() + text.slice(1);
}

/** REGISTER <account> <email> <password> (account: `*` or the current nick) */
export async function handleRegister(ctx: Context): Promise<void> {
  let [name, email, password] = ctx.params;
  if (name === "*") name = ctx.user.nick;
  if (name === "*") {
    ctx.fail("REGISTER", "NEED_NICK", ["*"], "Send NICK before REGISTER");
    return;
  }
  const result = await registerAccount(ctx, name, email === "*" ? undefined : email, password);
  if ("code" in result) ctx.fail("REGISTER", result.code, [name], result.text);
  else ctx.reply("REGISTER", ["SUCCESS", result.name, "Account created"]);
}

/** AUTHENTICATE: SASL PLAIN, in 400-byte base64 chunks. */
export async function handleAuthenticate(ctx: Context): Promise<void> {
  const session = ctx.session;
  const arg = ctx.params[0];
  if (ctx.user.account) {
    ctx.numeric(ERR_SASLALREADY, "You have already authenticated using SASL");
    return;
  }
  if (arg === "*") {
    session.sasl = undefined;
    ctx.numeric(ERR_SASLABORTED, "SASL authentication aborted");
    return;
  }
  if (!session.sasl) {
    if (!SASL_MECHANISMS.includes(arg.toUpperCase())) {
      ctx.numeric(RPL_SASLMECHS, SASL_MECHANISMS.join(","), "are available SASL mechanisms");
      ctx.numeric(ERR_SASLFAIL, "SASL authentication failed");
      return;
    }
    session.sasl = { buffer: "" };
    ctx.send(new Outgoing(undefined, "AUTHENTICATE", ["+"]));
    return;
  }
  if (arg !== "+") session.sasl.buffer += arg;
  if (session.sasl.buffer.length > (SASL_MAX_BYTES * 4) / 3 + 4) {
    session.sasl = undefined;
    ctx.numeric(ERR_SASLTOOLONG, "SASL message too long");
    return;
  }
  if (arg.length === 400) return; // more chunks follow
  const payload = session.sasl.buffer;
  session.sasl = undefined;
  const creds = decodePlain(payload);
  if (!creds || (creds.authzid !== "" && casefold(creds.authzid) !== casefold(creds.authcid))) {
    ctx.numeric(ERR_SASLFAIL, "SASL authentication failed: malformed PLAIN message");
    return;
  }
  const result = await authenticate(
    ctx.server,
    creds.authcid,
    creds.password,
    session.conn.remoteAddress,
  );
  if (session.dead) return;
  if (!result.ok) {
    ctx.numeric(
      ERR_SASLFAIL,
      result.reason === "invalid"
        ? "SASL authentication failed"
        : `SASL authentication failed: ${authRefusalText(result)}`,
    );
    return;
  }
  await logInOrAttach(ctx, result.account, result.alwaysOn);
  ctx.numeric(RPL_SASLSUCCESS, "SASL authentication successful");
}

/**
 * Tells a device that logged in to an account whose user is on another node of a cluster
 * that it stays a user of its own: devices become one user only on the same node (the nick
 * stays with the other node's user, so there is never a second user of one nick).
 */
export function otherNodeNotice(ctx: Context, online: User): void {
  ctx.reply("NOTICE", [
    ctx.user.nick,
    `Your account is also connected through another server node, as ${online.nick}: this ` +
    `connection is a user of its own (${ctx.user.nick}); several devices share one nick ` +
    "only when they connect to the same node",
  ]);
}

/**
 * Logs the command's session in to an account. When the account is online already (another
 * device) and this connection is registered, the connection attaches to that user instead
 * (multiclient): its own user quits, and the connection is told it left its channels,
 * took the account's nick and is in the account's channels. Before registration, logging in
 * is enough: registration attaches (see the welcome in registration.ts).
 */
export async function logInOrAttach(
  ctx: Context,
  account: AccountRecord,
  alwaysOn: boolean,
): Promise<void> {
  const session = ctx.session;
  const old = ctx.user;
  const online = ctx.users.findAccount(account.folded);
  if (online === undefined || online === old || !old.registered || online.remote) {
    logIn(ctx, account, alwaysOn);
    if (online?.remote && old.registered) otherNodeNotice(ctx, online);
    return;
  }
  const server = ctx.server;
  const oldMask = old.hostmask;
  const channels = [...old.channels];
  const since = online.detachedAt > 0 ? online.detachedAt : undefined;
  // the connection's own identity ends for everyone else, as if it had quit
  server.users.remove(old, `Logged in on another device as ${online.nick}`);
  server.channels.quit(old);
  if (!server.users.attach(session, online)) {
    // the limit was checked at the password; it filled up meanwhile
    server.endSession(session, `Too many connections for the account ${account.name}`);
    return;
  }
  for (const channel of channels) {
    ctx.send(new Outgoing(oldMask, "PART", [channel.name, "Attached to another device"]));
  }
  if (old.nick !== online.nick) ctx.send(new Outgoing(oldMask, "NICK", [online.nick]));
  ctx.numeric(
    RPL_LOGGEDIN,
    online.hostmask,
    account.name,
    `You are now logged in as ${account.name}`,
  );
  await sendChannelsOnAttach(ctx, since);
}
