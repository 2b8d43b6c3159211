/**
 * Queries about users and the server: WHO, WHOIS, WHOWAS, ISON, USERHOST, MOTD, LUSERS,
 * VERSION, TIME, and the ISUPPORT (005) lines.
 *
 * @module
 */

import { casefold, CASEMAPPING } from "../../protocol/casemap.ts";
import { maskMatches } from "../../protocol/masks.ts";
import {
  ERR_HELPNOTFOUND,
  ERR_NONICKNAMEGIVEN,
  ERR_NOSUCHNICK,
  ERR_NOSUCHSERVER,
  ERR_WASNOSUCHNICK,
  RPL_ADMINEMAIL,
  RPL_ADMINLOC1,
  RPL_ADMINLOC2,
  RPL_ADMINME,
  RPL_AWAY,
  RPL_ENDOFHELP,
  RPL_ENDOFINFO,
  RPL_ENDOFLINKS,
  RPL_ENDOFMOTD,
  RPL_ENDOFSTATS,
  RPL_ENDOFWHO,
  RPL_ENDOFWHOIS,
  RPL_ENDOFWHOWAS,
  RPL_GLOBALUSERS,
  RPL_HELPSTART,
  RPL_HELPTXT,
  RPL_INFO,
  RPL_ISON,
  RPL_ISUPPORT,
  RPL_LINKS,
  RPL_LOCALUSERS,
  RPL_LUSERCHANNELS,
  RPL_LUSERCLIENT,
  RPL_LUSERME,
  RPL_LUSEROP,
  RPL_LUSERUNKNOWN,
  RPL_MOTD,
  RPL_MOTDSTART,
  RPL_STATSUPTIME,
  RPL_TIME,
  RPL_USERHOST,
  RPL_VERSION,
  RPL_WHOISACCOUNT,
  RPL_WHOISBOT,
  RPL_WHOISCHANNELS,
  RPL_WHOISIDLE,
  RPL_WHOISKEYVALUE,
  RPL_WHOISOPERATOR,
  RPL_WHOISSERVER,
  RPL_WHOISUSER,
  RPL_WHOREPLY,
  RPL_WHOSPCRPL,
  RPL_WHOWASUSER,
} from "../../protocol/numerics.ts";
import { isChannelName } from "../../protocol/validate.ts";
import { SOFTWARE, VERSION } from "../../version.ts";
import type { Channel } from "../channel.ts";
import type { Context } from "../context.ts";
import type { ChatServer } from "../server.ts";
import type { User } from "../user.ts";

/**
 * The ISUPPORT tokens of a server, from its limits.
 *
 * @example
 * ```ts ignore
 * isupportTokens(server); // ["AWAYLEN=390", "CASEMAPPING=rfc1459", ...]
 * ```
 */
export function isupportTokens(server: ChatServer): string[] {
  const l = server.limits;
  const t = l.targetsPerMessage;
  const list = l.banListSize;
  return [
    `AWAYLEN=${l.awayLen}`,
    "BOT=B",
    `CASEMAPPING=${CASEMAPPING}`,
    `CHANLIMIT=#:${l.channelsPerUser}`,
    "CHANMODES=beI,k,l,imnst",
    `CHANNELLEN=${l.channelLen}`,
    "CHANTYPES=#",
    `CHATHISTORY=${l.chathistoryMax}`,
    "ELIST=CMNTU",
    "EXCEPTS=e",
    "INVEX=I",
    `KICKLEN=${l.kickLen}`,
    `MAXLIST=b:${list},e:${list},I:${list}`,
    `MAXTARGETS=${t}`,
    `MODES=${l.modesPerCommand}`,
    `MONITOR=${l.monitorSize}`,
    "MSGREFTYPES=msgid,timestamp",
    `NETWORK=${server.config.network.replace(/[ ,]/g, "-")}`,
    `NICKLEN=${l.nickLen}`,
    "PREFIX=(ov)@+",
    "STATUSMSG=@+",
    `TARGMAX=PRIVMSG:${t},NOTICE:${t},TAGMSG:${t},JOIN:,PART:,KICK:1,NAMES:1,WHOIS:1`,
    `TOPICLEN=${l.topicLen}`,
    `USERLEN=${l.userLen}`,
    "WHOX",
    ...(server.fileHost ? [`soju.im/FILEHOST=${server.fileHost}`] : []),
  ];
}

/** Sends RPL_ISUPPORT lines of at most 13 tokens each. */
export function sendIsupport(ctx: Context): void {
  const tokens = isupportTokens(ctx.server);
  for (let i = 0; i < tokens.length; i += 13) {
    ctx.numeric(RPL_ISUPPORT, ...tokens.slice(i, i + 13), "are supported by this server");
  }
}

/** Sends the LUSERS numerics. */
export function sendLusers(ctx: Context): void {
  const server = ctx.server;
  const { users, invisible, opers } = server.counts;
  // a user may have several connections (devices), or none (always-on)
  const unknown = Math.max(0, server.sessions.size - ctx.users.devices);
  const peak = Math.max(server.stats.peakUsers, users);
  ctx.numeric(
    RPL_LUSERCLIENT,
    `There are ${users - invisible} users and ${invisible} invisible on 1 servers`,
  );
  if (opers > 0) ctx.numeric(RPL_LUSEROP, String(opers), "operator(s) online");
  if (unknown > 0) ctx.numeric(RPL_LUSERUNKNOWN, String(unknown), "unknown connection(s)");
  ctx.numeric(RPL_LUSERCHANNELS, String(ctx.channels.size), "channels formed");
  ctx.numeric(RPL_LUSERME, `I have ${users} clients and 0 servers`);
  ctx.numeric(
    RPL_LOCALUSERS,
    String(users),
    String(peak),
    `Current local users ${users}, max ${peak}`,
  );
  ctx.numeric(
    RPL_GLOBALUSERS,
    String(users),
    String(peak),
    `Current global users ${users}, max ${peak}`,
  );
}

/** Sends the message of the day, or ERR_NOMOTD. */
export function sendMotd(ctx: Context): void {
  const motd = ctx.server.config.motd;
  if (!motd || motd.length === 0) {
    ctx.numeric("422", "MOTD File is missing");
    return;
  }
  ctx.numeric(RPL_MOTDSTART, `- ${ctx.server.name} Message of the day - `);
  for (const line of motd) ctx.numeric(RPL_MOTD, `- ${line}`);
  ctx.numeric(RPL_ENDOFMOTD, "End of /MOTD command.");
}

/** MOTD */
export function handleMotd(ctx: Context): void {
  if (notThisServer(ctx, ctx.params[0])) return;
  sendMotd(ctx);
}

/** LUSERS */
export function handleLusers(ctx: Context): void {
  sendLusers(ctx);
}

/** VERSION */
export function handleVersion(ctx: Context): void {
  if (notThisServer(ctx, ctx.params[0])) return;
  ctx.numeric(RPL_VERSION, `${SOFTWARE}-${VERSION}`, ctx.server.name, "Deno IRC server");
  sendIsupport(ctx);
}

/** TIME */
export function handleTime(ctx: Context): void {
  if (notThisServer(ctx, ctx.params[0])) return;
  const now = new Date();
  ctx.numeric(
    RPL_TIME,
    ctx.server.name,
    String(Math.floor(now.getTime() / 1000)),
    "0",
    now.toUTCString(),
  );
}

/** A server-name parameter that is not us gets ERR_NOSUCHSERVER (we are one node). */
function notThisServer(ctx: Context, target: string | undefined): boolean {
  if (target === undefined || target === "" || maskMatches(target, ctx.server.name)) return false;
  ctx.numeric(ERR_NOSUCHSERVER, target, "No such server");
  return true;
}

function sharesChannel(a: User, b: User): boolean {
  const [small, big] = a.channels.size <= b.channels.size ? [a, b] : [b, a];
  for (const c of small.channels) if (c.members.has(big)) return true;
  return false;
}

function whoFlags(user: User, channel: Channel | undefined, multi: boolean): string {
  return (user.away !== undefined ? "G" : "H") + (user.oper ? "*" : "") +
    (channel ? channel.prefixOf(user, multi) : "") + (user.bot ? "B" : "");
}

/** WHO <mask>: members of a channel, or users matching a mask (invisible ones hidden). */
export function handleWho(ctx: Context): void {
  const server = ctx.server;
  const me = ctx.user;
  const mask = ctx.params[0] ?? "*";
  const multi = ctx.session.caps.has("multi-prefix");
  const options = ctx.params[1] ?? "";
  const percent = options.indexOf("%");
  const whox = percent === -1 ? undefined : parseWhox(options.slice(percent + 1));
  const reply = (u: User, chan: Channel | undefined) => {
    if (whox) {
      ctx.numeric(RPL_WHOSPCRPL, ...whoxFields(whox, u, chan, multi, server.name));
      return;
    }
    ctx.numeric(
      RPL_WHOREPLY,
      chan?.name ?? "*",
      u.username,
      u.host,
      server.name,
      u.nick,
      whoFlags(u, chan, multi),
      `0 ${u.realname}`,
    );
  };
  const operOnly = (percent === -1 ? options : options.slice(0, percent)).includes("o");
  if (isChannelName(mask)) {
    const channel = ctx.channels.find(mask);
    if (channel && (!channel.flags.s || channel.members.has(me))) {
      const member = channel.members.has(me);
      for (const u of channel.members.keys()) {
        if (operOnly && !u.oper) continue;
        if (!member && u.invisible) continue;
        reply(u, channel);
      }
    }
  } else {
    const exact = ctx.users.find(mask);
    if (exact) {
      if (!operOnly || exact.oper) reply(exact, undefined);
    } else if (mask.includes("*") || mask.includes("?")) {
      let count = 0;
      for (const u of ctx.users.values()) {
        if (!u.registered || (operOnly && !u.oper)) continue;
        if (u !== me && u.invisible && !sharesChannel(me, u)) continue;
        if (
          maskMatches(mask, u.nick) || maskMatches(mask, u.host) ||
          maskMatches(mask, u.hostmask) || maskMatches(mask, u.realname)
        ) {
          reply(u, undefined);
          if (++count >= 500) break; // a bounded answer to WHO *
        }
      }
    }
  }
  ctx.numeric(RPL_ENDOFWHO, mask, "End of WHO list");
}

/** A WHOX request: the fields asked for and the query token. */
interface WhoxRequest {
  fields: string;
  token: string;
}

/** Parses the part of `WHO <mask> %<fields>[,<token>]` after the '%'. */
function parseWhox(spec: string): WhoxRequest {
  const [fields, token = ""] = spec.split(",", 2);
  return { fields, token: /^\d{1,3}$/.test(token) ? token : "0" };
}

/**
 * The RPL_WHOSPCRPL parameters for a WHOX request, in the fixed order of the spec
 * (t c u i h s n f d l a o r), whatever order the fields were asked in.
 */
function whoxFields(
  req: WhoxRequest,
  u: User,
  chan: Channel | undefined,
  multi: boolean,
  serverName: string,
): string[] {
  const out: string[] = [];
  for (const f of "tcuihsnfdlaor") {
    if (!req.fields.includes(f)) continue;
    switch (f) {
      case "t":
        out.push(req.token);
        break;
      case "c":
        out.push(chan?.name ?? "*");
        break;
      case "u":
        out.push(u.username);
        break;
      case "i":
        out.push(u.host);
        break;
      case "h":
        out.push(u.host);
        break;
      case "s":
        out.push(serverName);
        break;
      case "n":
        out.push(u.nick);
        break;
      case "f":
        out.push(whoFlags(u, chan, multi));
        break;
      case "d":
        out.push("0");
        break;
      case "l":
        out.push(String(Math.floor((Date.now() - u.lastSpokeAt) / 1000)));
        break;
      case "a":
        out.push(u.account ?? "0");
        break;
      case "o":
        out.push("n/a");
        break;
      case "r":
        out.push(u.realname);
        break;
    }
  }
  return out;
}

/** WHOIS [server] <nick> */
export function handleWhois(ctx: Context): void {
  const server = ctx.server;
  const raw = ctx.params.length >= 2 ? ctx.params[1] : ctx.params[0];
  if (!raw) {
    ctx.numeric(ERR_NONICKNAMEGIVEN, "No nickname given");
    return;
  }
  const nick = raw.split(",")[0];
  const u = ctx.users.find(nick);
  if (!u) {
    ctx.numeric(ERR_NOSUCHNICK, nick, "No such nick/channel");
    ctx.numeric(RPL_ENDOFWHOIS, nick, "End of /WHOIS list");
    return;
  }
  const me = ctx.user;
  const multi = ctx.session.caps.has("multi-prefix");
  ctx.numeric(RPL_WHOISUSER, u.nick, u.username, u.host, "*", u.realname);
  const chans: string[] = [];
  for (const c of u.channels) {
    if (c.flags.s && !c.members.has(me) && u !== me) continue;
    chans.push(c.prefixOf(u, multi) + c.name);
  }
  if (chans.length > 0) {
    for (let i = 0; i < chans.length; i += 20) {
      ctx.numeric(RPL_WHOISCHANNELS, u.nick, chans.slice(i, i + 20).join(" "));
    }
  }
  ctx.numeric(RPL_WHOISSERVER, u.nick, server.name, server.config.network);
  if (u.oper) ctx.numeric(RPL_WHOISOPERATOR, u.nick, "is an IRC operator");
  if (u.bot) ctx.numeric(RPL_WHOISBOT, u.nick, `is a Bot on ${server.config.network}`);
  if (u.account) ctx.numeric(RPL_WHOISACCOUNT, u.nick, u.account, "is logged in as");
  // draft/metadata-2: the one key meant for people to read
  const displayName = server.metadata.get(u, "display-name");
  if (displayName !== undefined) {
    ctx.numeric(RPL_WHOISKEYVALUE, u.nick, "display-name", "*", displayName);
  }
  if (u.away !== undefined) ctx.numeric(RPL_AWAY, u.nick, u.away);
  ctx.numeric(
    RPL_WHOISIDLE,
    u.nick,
    String(Math.floor((Date.now() - u.lastSpokeAt) / 1000)),
    String(u.signonAt),
    "seconds idle, signon time",
  );
  ctx.numeric(RPL_ENDOFWHOIS, u.nick, "End of /WHOIS list");
}

/** WHOWAS <nick> [count] */
export function handleWhowas(ctx: Context): void {
  const nick = ctx.params[0];
  if (!nick) {
    ctx.numeric(ERR_NONICKNAMEGIVEN, "No nickname given");
    return;
  }
  const count = Number(ctx.params[1] ?? "0");
  const max = Number.isInteger(count) && count > 0 ? count : Infinity;
  const folded = casefold(nick);
  const history = ctx.users.whowas;
  let found = 0;
  for (let i = history.length - 1; i >= 0 && found < max; i--) {
    const e = history[i];
    if (e.folded !== folded) continue;
    found++;
    ctx.numeric(RPL_WHOWASUSER, e.nick, e.username, e.host, "*", e.realname);
    ctx.numeric(RPL_WHOISSERVER, e.nick, ctx.server.name, new Date(e.at).toUTCString());
  }
  if (found === 0) ctx.numeric(ERR_WASNOSUCHNICK, nick, "There was no such nickname");
  ctx.numeric(RPL_ENDOFWHOWAS, nick, "End of WHOWAS");
}

/** ISON <nick> [nick...] */
export function handleIson(ctx: Context): void {
  const online: string[] = [];
  for (const p of ctx.params) {
    for (const nick of p.split(" ")) {
      const u = nick ? ctx.users.find(nick) : undefined;
      if (u) online.push(u.nick);
    }
  }
  ctx.numeric(RPL_ISON, online.join(" "));
}

/** USERHOST <nick> [nick...] (at most 5) */
export function handleUserhost(ctx: Context): void {
  const replies: string[] = [];
  for (const nick of ctx.params.slice(0, 5)) {
    const u = ctx.users.find(nick);
    if (!u) continue;
    replies.push(
      `${u.nick}${u.oper ? "*" : ""}=${u.away !== undefined ? "-" : "+"}${u.username}@${u.host}`,
    );
  }
  ctx.numeric(RPL_USERHOST, replies.join(" "));
}

/** ADMIN [server]: who runs this server. */
export function handleAdmin(ctx: Context): void {
  if (notThisServer(ctx, ctx.params[0])) return;
  const name = ctx.server.name;
  ctx.numeric(RPL_ADMINME, name, "Administrative info");
  ctx.numeric(RPL_ADMINLOC1, `${ctx.server.config.network}, a deno-chat server`);
  ctx.numeric(RPL_ADMINLOC2, "Ask an operator (WHO * o) for help");
  ctx.numeric(RPL_ADMINEMAIL, "No e-mail address is configured");
}

/** INFO [server]: what this server is. */
export function handleInfo(ctx: Context): void {
  if (notThisServer(ctx, ctx.params[0])) return;
  for (
    const line of [
      `${SOFTWARE} ${VERSION}: a LAN chat server that speaks IRC, written in TypeScript on Deno.`,
      `Running since ${ctx.server.createdAt.toUTCString()}.`,
    ]
  ) ctx.numeric(RPL_INFO, line);
  ctx.numeric(RPL_ENDOFINFO, "End of /INFO list");
}

/** LINKS: this server is the whole network (`364 <nick> <server> <server> :0 <info>`). */
export function handleLinks(ctx: Context): void {
  const name = ctx.server.name;
  // the second server is the one it links through: itself, at hop count 0
  ctx.numeric(RPL_LINKS, name, name, `0 ${ctx.server.config.network}`);
  ctx.numeric(RPL_ENDOFLINKS, "*", "End of /LINKS list");
}

/** STATS <query>: `u` (uptime) is answered; every query ends with RPL_ENDOFSTATS. */
export function handleStats(ctx: Context): void {
  const query = (ctx.params[0] ?? "*").slice(0, 1);
  if (query === "u") {
    const up = Math.floor((Date.now() - ctx.server.createdAt.getTime()) / 1000);
    const d = Math.floor(up / 86400), h = Math.floor(up / 3600) % 24;
    const m = Math.floor(up / 60) % 60, sec = up % 60;
    const hms = [h, m, sec].map((n) => String(n).padStart(2, "0")).join(":");
    ctx.numeric(RPL_STATSUPTIME, `Server Up ${d} days ${hms}`);
  }
  ctx.numeric(RPL_ENDOFSTATS, query, "End of /STATS report");
}

const HELP_TOPICS: Record<string, string[]> = {
  "*": [
    "deno-chat speaks IRC. Commands: JOIN PART PRIVMSG NOTICE TOPIC NAMES LIST WHO WHOIS",
    "WHOWAS MODE KICK INVITE AWAY NICK QUIT MOTD LUSERS VERSION TIME CHATHISTORY REGISTER",
    "Accounts: /msg NickServ HELP. Channels that stay: /msg ChanServ HELP.",
  ],
  JOIN: ["JOIN <#channel>[,<#channel>...] [<key>[,<key>...]]: join channels (JOIN 0 leaves all)"],
  PRIVMSG: ["PRIVMSG <target>[,<target>...] :<text>: send to channels or nicks"],
  REGISTER: ["REGISTER <account|*> <email|*> <password>: create an account and log in"],
};

/** HELP [topic] */
export function handleHelp(ctx: Context): void {
  const topic = (ctx.params[0] ?? "*").toUpperCase();
  const lines = HELP_TOPICS[topic];
  if (!lines) {
    ctx.numeric(ERR_HELPNOTFOUND, topic, "No help available on this topic");
    return;
  }
  ctx.numeric(RPL_HELPSTART, topic, lines[0]);
  for (const line of lines.slice(1)) ctx.numeric(RPL_HELPTXT, topic, line);
  ctx.numeric(RPL_ENDOFHELP, topic, "End of /HELP");
}
