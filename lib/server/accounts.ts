/**
 * Accounts as the server uses them: checking a password (throttled), logging a user in or
 * out (with account-notify), creating accounts, the first admin. (Keeping registered nicks
 * for their owners is the user table's, users.ts.)
 *
 * @module
 */

import { LoginGate, type LoginOutcome, refusalText } from "../auth/login_gate.ts";
import { hashPassword, randomPassword } from "../auth/password.ts";
import { casefold } from "../protocol/casemap.ts";
import { RPL_LOGGEDIN, RPL_LOGGEDOUT } from "../protocol/numerics.ts";
import { type AccountRecord, StoreUnavailableError } from "../store/store.ts";
import { isLoopback } from "../transport/connection.ts";
import { toPeers, toUser } from "./delivery.ts";
import { adoptAccountMetadata } from "./handlers/metadata.ts";
import { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";
import type { Context } from "./context.ts";
import type { Limits } from "./limits.ts";
import type { ChatServer } from "./server.ts";

/** The outcome of a password check. */
export type AuthResult =
  | { ok: true; account: AccountRecord; alwaysOn: boolean }
  | Exclude<LoginOutcome, { ok: true }>
  | { ok: false; reason: "sessions"; limit: number }
  | { ok: false; reason: "unavailable" };

/** What a user is told when the store (a PostgreSQL that is away) cannot answer. */
export const STORE_DOWN_TEXT =
  "the account database is unavailable right now, try again in a moment";

/**
 * Why a login was refused, for the user: {@link refusalText}, or the account's device limit.
 *
 * @example
 * ```ts
 * import { authRefusalText } from "./accounts.ts";
 * authRefusalText({ ok: false, reason: "sessions", limit: 3 });
 * // "the account already has 3 connections"
 * ```
 */
export function authRefusalText(result: Exclude<AuthResult, { ok: true }>): string {
  if (result.reason === "unavailable") return STORE_DOWN_TEXT;
  return result.reason === "sessions"
    ? `the account already has ${result.limit} connections`
    : refusalText(result);
}

/** The source of messages from the account service. */
export const NICKSERV = "NickServ";
/** The source of messages from the channel service. */
export const CHANSERV = "ChanServ";
/** Nicks reserved for the services (casefolded). */
export const SERVICE_NICKS: ReadonlySet<string> = new Set(["nickserv", "chanserv"]);

/** The full source mask of a service. */
export function serviceMask(service: string): string {
  return `${service}!${service}@services.`;
}

/**
 * Checks an account's password through the server's login gate (counted before hashing,
 * per account and address; an unknown account costs the same as a known one).
 *
 * @example
 * ```ts ignore
 * const r = await authenticate(server, "alice", "secret", "10.0.0.2");
 * if (r.ok) logIn(ctx, r.account);
 * ```
 */
export async function authenticate(
  server: ChatServer,
  accountName: string,
  password: string,
  ip: string,
  forDevice = true,
): Promise<AuthResult> {
  const folded = casefold(accountName);
  let account: AccountRecord | undefined;
  try {
    account = await server.store.getAccount(folded);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    // not counted as a failed attempt: the password was never checked
    server.log.info("login-failed", { account: accountName, ip, reason: "unavailable" });
    return { ok: false, reason: "unavailable" };
  }
  const result = await server.loginGate.check(
    `account:${folded}`,
    ip,
    password,
    account?.passwordHash,
  );
  let outcome: AuthResult;
  if (!result.ok) outcome = result;
  else if (!account) outcome = { ok: false, reason: "invalid" };
  else {
    // one more device of an account online: within its limit (sessionsPerAccount)
    const limit = server.limits.sessionsPerAccount;
    const online = server.users.findAccount(folded);
    if (forDevice && online !== undefined && online.sessions.length >= limit) {
      outcome = { ok: false, reason: "sessions", limit };
    } else {
      try {
        const alwaysOn = (await server.store.getAlwaysOn(folded)) !== undefined;
        outcome = { ok: true, account, alwaysOn };
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        outcome = { ok: false, reason: "unavailable" };
      }
    }
  }
  if (outcome.ok) server.log.info("login", { account: outcome.account.name, ip });
  else server.log.info("login-failed", { account: accountName, ip, reason: outcome.reason });
  return outcome;
}

/** The server's login gate, built from its limits (loopback exempt unless limitLoopback). */
export function createLoginGate(limits: Limits): LoginGate {
  const window = limits.loginWindow * 1000;
  return new LoginGate({
    attempts: limits.loginAttempts,
    sourceAttempts: limits.loginSourceAttempts,
    accountCeiling: limits.loginAccountCeiling,
    windowMs: window,
    exempt: (ip) => isLoopback(ip) && limits.limitLoopback === 0,
    hashing: {
      running: limits.hashConcurrency,
      waiting: limits.hashQueue,
      perSource: limits.hashPerSource,
    },
    registrations: limits.registerPerSource,
    registrationWindowMs: limits.registerWindow * 1000,
  });
}

/**
 * Logs the command's user in: RPL_LOGGEDIN to it, ACCOUNT to account-notify peers. With
 * `alwaysOn` (the account's setting) the user stays online when its last device leaves.
 */
export function logIn(ctx: Context, account: AccountRecord, alwaysOn = false): void {
  const server = ctx.server;
  const user = ctx.user;
  server.users.setAccount(user, account.name);
  user.alwaysOn = alwaysOn;
  if (user.nickDeadline !== 0 && user.folded === account.folded) {
    server.users.clearReservation(user);
  }
  toUser(
    user,
    new Outgoing(server.name, RPL_LOGGEDIN, [
      user.nick,
      user.hostmask,
      account.name,
      `You are now logged in as ${account.name}`,
    ]),
    ctx.rb,
  );
  if (user.registered) {
    const notice = new Outgoing(user.hostmask, "ACCOUNT", [account.name]);
    const pick = (s: Session) => (s.caps.has("account-notify") ? notice : undefined);
    toPeers(user, pick, false, undefined, server.monitors.watchersOf(user));
    // the account's display name and avatar come with it (registration does this itself)
    void adoptAccountMetadata(server, user);
  }
}

/** Logs the command's user out: RPL_LOGGEDOUT, ACCOUNT * to account-notify peers. */
export async function logOut(ctx: Context): Promise<void> {
  const server = ctx.server;
  const user = ctx.user;
  if (!user.account) return;
  server.users.setAccount(user, undefined);
  user.alwaysOn = false;
  toUser(
    user,
    new Outgoing(server.name, RPL_LOGGEDOUT, [
      user.nick,
      user.hostmask,
      "You are now logged out",
    ]),
    ctx.rb,
  );
  const notice = new Outgoing(user.hostmask, "ACCOUNT", ["*"]);
  const pick = (s: Session) => (s.caps.has("account-notify") ? notice : undefined);
  toPeers(user, pick, false, undefined, server.monitors.watchersOf(user));
  await server.users.checkReservation(user, ctx.rb);
}

/** Creates an account with a (pending) scrypt hash; undefined if the name is taken. */
export async function createAccount(
  server: ChatServer,
  name: string,
  passwordHash: Promise<string> | string,
  email: string | undefined,
  oper = false,
): Promise<AccountRecord | undefined> {
  const record: AccountRecord = {
    name,
    folded: casefold(name),
    passwordHash: await passwordHash,
    email,
    createdAt: Math.floor(Date.now() / 1000),
    oper,
  };
  return (await server.store.createAccount(record)) ? record : undefined;
}

/**
 * At start: creates or resets the `--admin` operator account, or, when the store has no
 * accounts at all, creates `admin` with a random password. Returns a line to print once
 * (the generated password is shown only then), or undefined.
 */
export async function ensureAdmin(server: ChatServer): Promise<string | undefined> {
  const admin = server.config.admin;
  if (admin) {
    const folded = casefold(admin.name);
    if (await server.store.getAccount(folded)) {
      await server.store.setAccountPassword(folded, await hashPassword(admin.password));
      await server.store.setAccountOper(folded, true);
    } else {
      await createAccount(server, admin.name, hashPassword(admin.password), undefined, true);
    }
    return undefined;
  }
  if ((await server.store.countAccounts()) > 0) return undefined;
  const password = randomPassword();
  // a client may have registered the name while the password was hashed
  if (!(await createAccount(server, "admin", hashPassword(password), undefined, true))) {
    return undefined;
  }
  return `created operator account 'admin' with password ${password} ` +
    `(shown only now; log in with /msg NickServ IDENTIFY admin ${password}, then OPER admin ...)`;
}
