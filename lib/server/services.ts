/**
 * NickServ and ChanServ, the familiar `/msg NickServ REGISTER <password>` style of managing
 * accounts and channels. They are not users: messages to them are answered here, by NOTICE.
 *
 * @module
 */

import { BUSY_TEXT } from "../auth/login_gate.ts";
import { casefold } from "../protocol/casemap.ts";
import { isChannelName } from "../protocol/validate.ts";
import {
  authenticate,
  authRefusalText,
  CHANSERV,
  logOut,
  NICKSERV,
  serviceMask,
} from "./accounts.ts";
import type { Context } from "./context.ts";
import { logInOrAttach, registerAccount } from "./handlers/account.ts";
import { Outgoing } from "./outgoing.ts";
import { alwaysOnState } from "./users.ts";

const NICKSERV_HELP = [
  "NickServ keeps accounts. Commands:",
  "REGISTER <password> [email]   create an account named after your nick",
  "IDENTIFY [account] <password> log in",
  "LOGOUT                        log out",
  "PASSWORD <new password>       change your password (when logged in)",
  "SET ALWAYS-ON ON|OFF          stay online (nick, channels) while no device is connected",
  "RECOVER <nick>                take your nick back from whoever uses it",
  "GHOST <nick>                  disconnect whoever uses your nick",
];

const CHANSERV_HELP = [
  "ChanServ keeps channels across restarts. Commands:",
  "REGISTER <#channel>   register a channel you are an operator of (needs an account)",
  "DROP <#channel>       unregister it (founder or IRC operator)",
  "INFO <#channel>       who registered it and when",
];

function notice(ctx: Context, service: string, text: string): void {
  ctx.send(new Outgoing(serviceMask(service), "NOTICE", [ctx.user.nick, text]));
}

/**
 * Answers a message to a service. Returns false when `target` is not a service.
 *
 * @example
 * ```ts ignore
 * if (await handleServiceMessage(ctx, "NickServ", "IDENTIFY secret")) return;
 * ```
 */
export function handleServiceMessage(
  ctx: Context,
  target: string,
  text: string,
): Promise<boolean> | boolean {
  const folded = casefold(target.split("@")[0]);
  if (folded === "nickserv") return nickServ(ctx, text).then(() => true);
  if (folded === "chanserv") return chanServ(ctx, text).then(() => true);
  return false;
}

async function nickServ(ctx: Context, text: string): Promise<void> {
  const words = text.trim().split(/\s+/);
  const command = (words.shift() ?? "").toUpperCase();
  const user = ctx.user;
  const say = (t: string) => notice(ctx, NICKSERV, t);
  switch (command) {
    case "REGISTER": {
      const [password, email] = words;
      if (!password) return say("Syntax: REGISTER <password> [email]");
      const result = await registerAccount(ctx, user.nick, email, password);
      if ("code" in result) say(`Cannot register: ${result.text}.`);
      else say(`Account ${result.name} created; you are logged in.`);
      return;
    }
    case "IDENTIFY":
    case "LOGIN": {
      const [account, password] = words.length >= 2 ? words : [user.nick, words[0]];
      if (!password) return say("Syntax: IDENTIFY [account] <password>");
      if (user.account) return say(`You are already logged in as ${user.account}.`);
      const result = await authenticate(
        ctx.server,
        account,
        password,
        ctx.session.conn.remoteAddress,
      );
      if (ctx.session.dead) return;
      if (result.ok) {
        await logInOrAttach(ctx, result.account, result.alwaysOn);
        say(`You are now logged in as ${result.account.name}.`);
      } else if (result.reason === "invalid") say("Invalid account or password.");
      else say(`Not logged in: ${authRefusalText(result)}.`);
      return;
    }
    case "LOGOUT":
      if (!user.account) return say("You are not logged in.");
      await logOut(ctx);
      return say("You are now logged out.");
    case "SET":
      if ((words[0] ?? "").toUpperCase() === "ALWAYS-ON") return setAlwaysOn(ctx, words[1], say);
      if ((words[0] ?? "").toUpperCase() !== "PASSWORD") {
        return say("Syntax: SET PASSWORD <new password> | SET ALWAYS-ON ON|OFF");
      }
    // falls through: SET PASSWORD
    case "PASSWORD": {
      const password = command === "SET" ? words[1] : words[0];
      if (!user.account) return say("Log in first.");
      if (!password || password.length < 8) return say("Passwords need at least 8 characters.");
      const hashing = ctx.server.loginGate.hash(ctx.session.conn.remoteAddress, password);
      if (!hashing) return say(`Not now: ${BUSY_TEXT}.`);
      const hash = await hashing;
      if (!user.account) return say("Log in first.");
      await ctx.store.setAccountPassword(casefold(user.account), hash);
      return say("Password changed.");
    }
    case "GHOST":
    case "RECOVER": {
      const nick = words[0];
      if (!nick) return say(`Syntax: ${command} <nick>`);
      if (!user.account || casefold(user.account) !== casefold(nick)) {
        return say(`Log in to the account ${nick} first.`);
      }
      const holder = ctx.users.holder(nick);
      if (!holder || holder === user) return say(`Nobody else is using ${nick}.`);
      // a user of another node of a cluster: that node alone can end or rename it
      if (holder.sessions.length === 0) return say(`${nick} is connected to another server.`);
      if (command === "GHOST") {
        const reason = `Killed (NickServ (GHOST command used by ${user.nick}))`;
        for (const s of [...holder.sessions]) ctx.server.endSession(s, reason);
        return say(`${nick} has been disconnected.`);
      }
      ctx.users.reclaim(holder, user.nick);
      ctx.users.rename(user, nick, ctx.rb);
      return say(`You are now ${nick}.`);
    }
    case "HELP":
    case "":
      for (const line of NICKSERV_HELP) say(line);
      return;
    default:
      say(`Unknown command ${command}. /msg NickServ HELP lists the commands.`);
  }
}

/**
 * SET ALWAYS-ON ON|OFF: whether the account's user stays online (nick held, in its channels,
 * away) while none of its devices is connected, catching up from history when one returns.
 */
async function setAlwaysOn(
  ctx: Context,
  value: string | undefined,
  say: (text: string) => void,
): Promise<void> {
  const user = ctx.user;
  const word = (value ?? "").toLowerCase();
  const on = word === "on" || word === "true"
    ? true
    : word === "off" || word === "false"
    ? false
    : undefined;
  if (!user.account) return say("Log in first.");
  if (on === undefined) {
    return say(`Always-on is ${user.alwaysOn ? "on" : "off"}. Syntax: SET ALWAYS-ON ON|OFF`);
  }
  const account = user.account;
  await ctx.store.setAlwaysOn(casefold(account), on ? alwaysOnState(user) : undefined);
  // the user may have logged out while the store answered
  if (user.account !== account) return say("Log in first.");
  user.alwaysOn = on;
  say(
    on
      ? `Always-on is on: ${user.nick} stays online in its channels while you are disconnected.`
      : "Always-on is off: you leave when your last connection does.",
  );
}

async function chanServ(ctx: Context, text: string): Promise<void> {
  const words = text.trim().split(/\s+/);
  const command = (words.shift() ?? "").toUpperCase();
  const user = ctx.user;
  const say = (t: string) => notice(ctx, CHANSERV, t);
  const name = words[0] ?? "";
  const channel = isChannelName(name) ? ctx.channels.find(name) : undefined;
  switch (command) {
    case "REGISTER":
      if (!isChannelName(name)) say("Syntax: REGISTER <#channel>");
      else if (!user.account) say("You need an account: /msg NickServ REGISTER <password>.");
      else if (!channel || !channel.isOp(user)) say(`You must be an operator of ${name}.`);
      else if (channel.registration) say(`${channel.name} is already registered.`);
      else {
        ctx.channels.register(channel, casefold(user.account));
        // its live metadata is kept from now on (a former registration's is gone: see DROP)
        void ctx.server.metadata.adopt(channel).catch((err) =>
          console.error(`saving metadata failed: ${(err as Error).message}`)
        );
        say(`${channel.name} is registered to ${user.account}.`);
      }
      break;
    case "DROP": {
      const record = isChannelName(name) ? await ctx.store.getChannel(casefold(name)) : undefined;
      if (!record) say(`${name || "That channel"} is not registered.`);
      else if (!user.oper && (!user.account || casefold(user.account) !== record.founder)) {
        say(`Only the founder of ${record.name} or an IRC operator can drop it.`);
      } else {
        await ctx.channels.unregister(record.folded);
        say(`${record.name} is no longer registered.`);
      }
      break;
    }
    case "INFO": {
      const record = isChannelName(name) ? await ctx.store.getChannel(casefold(name)) : undefined;
      if (!record) say(`${name || "That channel"} is not registered.`);
      else {
        say(
          `${record.name} was registered by ${record.founder} on ${
            new Date(record.registeredAt * 1000).toUTCString()
          }.`,
        );
      }
      break;
    }
    case "HELP":
    case "":
      for (const line of CHANSERV_HELP) say(line);
      break;
    default:
      say(`Unknown command ${command}. /msg ChanServ HELP lists the commands.`);
  }
}
