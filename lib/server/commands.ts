/**
 * The command table: each IRC verb with its handler, the parameters it needs at least, and
 * whether the client must be registered. The dispatcher checks these once
 * (ERR_NEEDMOREPARAMS, ERR_NOTREGISTERED, ERR_UNKNOWNCOMMAND), so handlers never do.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { handleCap } from "./handlers/cap.ts";
import {
  handleInvite,
  handleJoin,
  handleKick,
  handleList,
  handleNames,
  handlePart,
  handleTopic,
} from "./handlers/channel.ts";
import { handleBatch, handleNotice, handlePrivmsg, handleTagmsg } from "./handlers/messaging.ts";
import { handleMode } from "./handlers/mode.ts";
import { handleMonitor } from "./handlers/monitor.ts";
import { handleMarkread } from "./handlers/read_marker.ts";
import { handleMetadata } from "./handlers/metadata.ts";
import { handleRedact } from "./handlers/redact.ts";
import {
  handleAdmin,
  handleHelp,
  handleInfo,
  handleIson,
  handleLinks,
  handleLusers,
  handleMotd,
  handleStats,
  handleTime,
  handleUserhost,
  handleVersion,
  handleWho,
  handleWhois,
  handleWhowas,
} from "./handlers/query.ts";
import {
  handleNick,
  handlePass,
  handlePing,
  handlePong,
  handleQuit,
  handleUser,
} from "./handlers/registration.ts";
import { handleAway, handleSetname } from "./handlers/user.ts";
import { handleAuthenticate, handleRegister } from "./handlers/account.ts";
import { handleChathistory } from "./handlers/history.ts";
import { handleSearch } from "./handlers/search.ts";
import {
  handleKill,
  handleKline,
  handleOper,
  handleUnkline,
  handleWallops,
} from "./handlers/oper.ts";
import { handleServiceMessage } from "./services.ts";
import type { Context as Ctx } from "./context.ts";

/** NS/CS: short-hands for messaging the services. */
function serviceAlias(service: string) {
  return async (ctx: Ctx): Promise<void> => {
    await handleServiceMessage(ctx, service, ctx.params.join(" "));
  };
}

/** One entry of the command table. */
export interface CommandSpec {
  /** Does the work; may be async (the session awaits it before reading on). */
  handler: (ctx: Context) => void | Promise<void>;
  /** Parameters required; fewer gets ERR_NEEDMOREPARAMS. */
  minParams: number;
  /** Whether the client must have registered first (else ERR_NOTREGISTERED). */
  registered: boolean;
}

function cmd(
  handler: CommandSpec["handler"],
  minParams: number,
  registered = true,
): CommandSpec {
  return { handler, minParams, registered };
}

/**
 * Verb → handler. Look a command up here by its name.
 *
 * @example
 * ```ts ignore
 * COMMANDS.get("PRIVMSG")?.minParams; // 0 (it answers 411/412 itself, as the spec asks)
 * ```
 */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map([
  // registration and connection
  ["CAP", cmd(handleCap, 1, false)],
  ["PASS", cmd(handlePass, 1, false)],
  ["NICK", cmd(handleNick, 0, false)],
  ["USER", cmd(handleUser, 4, false)],
  ["PING", cmd(handlePing, 1, false)],
  ["PONG", cmd(handlePong, 0, false)],
  ["QUIT", cmd(handleQuit, 0, false)],
  // accounts
  ["AUTHENTICATE", cmd(handleAuthenticate, 1, false)],
  ["REGISTER", cmd(handleRegister, 3, false)],
  ["NS", cmd(serviceAlias("NickServ"), 0)],
  ["NICKSERV", cmd(serviceAlias("NickServ"), 0)],
  ["CS", cmd(serviceAlias("ChanServ"), 0)],
  ["CHANSERV", cmd(serviceAlias("ChanServ"), 0)],
  // channels
  ["JOIN", cmd(handleJoin, 1)],
  ["PART", cmd(handlePart, 1)],
  ["TOPIC", cmd(handleTopic, 1)],
  ["NAMES", cmd(handleNames, 0)],
  ["LIST", cmd(handleList, 0)],
  ["KICK", cmd(handleKick, 2)],
  ["INVITE", cmd(handleInvite, 2)],
  ["MODE", cmd(handleMode, 1)],
  // messages
  ["PRIVMSG", cmd(handlePrivmsg, 0)],
  ["NOTICE", cmd(handleNotice, 0)],
  ["TAGMSG", cmd(handleTagmsg, 1)],
  ["REDACT", cmd(handleRedact, 2)],
  ["BATCH", cmd(handleBatch, 1)],
  // users
  ["AWAY", cmd(handleAway, 0)],
  ["SETNAME", cmd(handleSetname, 1)],
  ["MONITOR", cmd(handleMonitor, 1)],
  ["MARKREAD", cmd(handleMarkread, 0)],
  // before-connect: a client may subscribe and set its own keys while registering
  ["METADATA", cmd(handleMetadata, 2, false)],
  // queries
  ["WHO", cmd(handleWho, 0)],
  ["WHOIS", cmd(handleWhois, 0)],
  ["WHOWAS", cmd(handleWhowas, 0)],
  ["ISON", cmd(handleIson, 1)],
  ["USERHOST", cmd(handleUserhost, 1)],
  ["MOTD", cmd(handleMotd, 0)],
  ["LUSERS", cmd(handleLusers, 0)],
  ["VERSION", cmd(handleVersion, 0)],
  ["TIME", cmd(handleTime, 0)],
  ["ADMIN", cmd(handleAdmin, 0)],
  ["INFO", cmd(handleInfo, 0)],
  ["LINKS", cmd(handleLinks, 0)],
  ["STATS", cmd(handleStats, 0)],
  ["HELP", cmd(handleHelp, 0)],
  // history
  ["CHATHISTORY", cmd(handleChathistory, 1)],
  ["SEARCH", cmd(handleSearch, 1)],
  // operators
  ["OPER", cmd(handleOper, 2)],
  ["KILL", cmd(handleKill, 1)],
  ["WALLOPS", cmd(handleWallops, 1)],
  ["KLINE", cmd(handleKline, 1)],
  ["UNKLINE", cmd(handleUnkline, 1)],
]);
