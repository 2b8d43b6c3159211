/**
 * Channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE.
 *
 * @module
 */

import {
  ERR_BADCHANNELKEY,
  ERR_BANNEDFROMCHAN,
  ERR_CHANNELISFULL,
  ERR_CHANOPRIVSNEEDED,
  ERR_INVITEONLYCHAN,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTONCHANNEL,
  ERR_TOOMANYCHANNELS,
  ERR_USERNOTINCHANNEL,
  ERR_USERONCHANNEL,
  RPL_AWAY,
  RPL_ENDOFNAMES,
  RPL_INVITING,
  RPL_LIST,
  RPL_LISTEND,
  RPL_LISTSTART,
  RPL_NAMREPLY,
  RPL_NOTOPIC,
  RPL_TOPIC,
  RPL_TOPICWHOTIME,
} from "../../protocol/numerics.ts";
import { cleanText, isValidChannel } from "../../protocol/validate.ts";
import { type Channel, PREFIX_OP } from "../channel.ts";
import { Context } from "../context.ts";
import { toChannel, toChannelPicked, toUser, toUserPicked } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";
import type { ResponseBuffer } from "../response_buffer.ts";
import type { Session } from "../session.ts";
import type { User } from "../user.ts";
import { casefold } from "../../protocol/casemap.ts";
import { maskMatches } from "../../protocol/masks.ts";
import { liveFrom, playHistoryOnJoin, playMissedPrivate } from "./history.ts";
import { accountRequired } from "./messaging.ts";
import { sendMetadataOnJoin } from "./metadata.ts";
import { sendMarkerOnJoin } from "./read_marker.ts";

/** JOIN <channels> [keys], or JOIN 0 to leave every channel. */
export async function handleJoin(ctx: Context): Promise<void> {
  const user = ctx.user;
  const limits = ctx.limits;
  if (ctx.params[0] === "0") {
    for (const channel of [...user.channels]) partChannel(ctx, channel, undefined);
    return;
  }
  const names = ctx.params[0].split(",");
  const keys = (ctx.params[1] ?? "").split(",");
  for (const [i, name] of names.entries()) {
    if (name === "") continue;
    if (!isValidChannel(name, limits.channelLen)) {
      ctx.numeric(ERR_NOSUCHCHANNEL, name, "No such channel");
      continue;
    }
    let channel = ctx.channels.find(name);
    if (channel?.members.has(user)) continue;
    if (user.channels.size >= limits.channelsPerUser) {
      ctx.numeric(ERR_TOOMANYCHANNELS, name, "You have joined too many channels");
      continue;
    }
    if (accountRequired(ctx, "JOIN")) continue;
    let bits = 0;
    if (!channel) {
      const fresh = await ctx.channels.make(name);
      if (ctx.session.dead) return;
      // another user's JOIN may have made the channel while the store answered
      channel = ctx.channels.find(name);
      if (!channel) {
        channel = fresh;
        if (!channel.registration) bits = PREFIX_OP;
        else {
          // a registered channel's metadata is kept in the store
          await ctx.server.metadata.adopt(channel).catch((err) =>
            console.error(`reading metadata failed: ${(err as Error).message}`)
          );
          if (ctx.session.dead) return;
          channel = ctx.channels.find(name) ?? fresh;
          if (channel.members.has(user)) continue;
        }
      } else if (channel.members.has(user)) continue;
    }
    const account = user.account ? casefold(user.account) : undefined;
    const trusted = account !== undefined && channel.registration?.ops.has(account) === true;
    if (trusted) bits = PREFIX_OP;
    if (channel.members.size > 0 || channel.registration) {
      const invited = channel.isInvited(user) || trusted;
      // an invite exception (+I) lets a user past +i, not past a ban as an invitation does
      if (channel.flags.i && !invited && !channel.isInviteExempt(user)) {
        ctx.numeric(ERR_INVITEONLYCHAN, channel.name, "Cannot join channel (+i)");
        continue;
      }
      if (channel.key !== undefined && keys[i] !== channel.key && !trusted) {
        ctx.numeric(ERR_BADCHANNELKEY, channel.name, "Cannot join channel (+k)");
        continue;
      }
      if (channel.limit !== undefined && channel.members.size >= channel.limit && !trusted) {
        ctx.numeric(ERR_CHANNELISFULL, channel.name, "Cannot join channel (+l)");
        continue;
      }
      if (!invited && channel.isBanned(user)) {
        ctx.numeric(ERR_BANNEDFROMCHAN, channel.name, "Cannot join channel (+b)");
        continue;
      }
    }
    // from here on the channel's messages reach the user live (see playHistoryOnJoin)
    const joinedAt = liveFrom(ctx);
    ctx.channels.join(channel, user, bits);
    // both forms carry the one event's tags (so the same time and msgid)
    announceJoin(channel, user, ctx.server.eventTags(), ctx.rb);
    if (channel.topic) sendTopic(ctx, channel);
    // draft/read-marker: before the end of NAMES
    await sendMarkerOnJoin(ctx, channel);
    sendImplicitNames(ctx, channel);
    // the user's other devices joined too: they need the channel's topic and members as well
    if (user.sessions.length > 1) {
      for (const s of user.sessions) {
        if (s === ctx.session) continue;
        const side = new Context(ctx.server, s, ctx.msg);
        if (channel.topic) sendTopic(side, channel);
        sendImplicitNames(side, channel);
      }
    }
    sendMetadataOnJoin(ctx, channel);
    await playHistoryOnJoin(ctx, channel, -Infinity, joinedAt);
  }
}

/**
 * Shows a user's JOIN to the channel's members (extended-join where asked for; both forms
 * with the one event's `tags`) and its away state to away-notify members; the user's own copy
 * is a reply of the `origin` command.
 */
export function announceJoin(
  channel: Channel,
  user: User,
  tags: Record<string, string>,
  origin?: ResponseBuffer,
): void {
  const pick = joinPicker(channel, user, tags);
  toChannelPicked(channel, pick, user);
  toUserPicked(user, pick, origin);
  if (user.away !== undefined) {
    const away = new Outgoing(user.hostmask, "AWAY", [user.away]);
    toChannelPicked(channel, (s) => (s.caps.has("away-notify") ? away : undefined), user);
  }
}

/** The JOIN of `user` to `channel`, in the form each receiving session asked for. */
function joinPicker(
  channel: Channel,
  user: User,
  tags?: Record<string, string>,
): (s: Session) => Outgoing {
  const plain = new Outgoing(user.hostmask, "JOIN", [channel.name], tags);
  const extended = new Outgoing(user.hostmask, "JOIN", [
    channel.name,
    user.account ?? "*",
    user.realname,
  ], tags);
  return (s: Session) => (s.caps.has("extended-join") ? extended : plain);
}

/**
 * Gives a device that just attached to an online user (multiclient) the user's channels as
 * if it had joined them: JOIN, topic, NAMES, and the history replay of a join; with `since`
 * (an always-on user's devices had all left then) only the lines it missed, private ones
 * too. Only this session hears of it: for everyone else the user never left.
 */
export async function sendChannelsOnAttach(ctx: Context, since?: number): Promise<void> {
  const user = ctx.user;
  // attached: the channels' messages reach this device live from now on
  const attachedAt = liveFrom(ctx);
  for (const channel of [...user.channels]) {
    if (ctx.session.dead) return;
    if (!channel.members.has(user)) continue;
    ctx.send(joinPicker(channel, user)(ctx.session));
    if (channel.topic) sendTopic(ctx, channel);
    await sendMarkerOnJoin(ctx, channel, true);
    sendImplicitNames(ctx, channel);
    sendMetadataOnJoin(ctx, channel, true);
    await playHistoryOnJoin(ctx, channel, since, attachedAt);
  }
  if (since !== undefined && !ctx.session.dead) await playMissedPrivate(ctx, since);
}

/** Sends RPL_TOPIC and RPL_TOPICWHOTIME (or RPL_NOTOPIC). */
function sendTopic(ctx: Context, channel: Channel): void {
  const topic = channel.topic;
  if (!topic) {
    ctx.numeric(RPL_NOTOPIC, channel.name, "No topic is set");
    return;
  }
  ctx.numeric(RPL_TOPIC, channel.name, topic.text);
  ctx.numeric(RPL_TOPICWHOTIME, channel.name, topic.setBy, String(topic.setAt));
}

/**
 * The NAMES that follow a JOIN, unless the session asked for none (IRCv3
 * `draft/no-implicit-names`: a client that tracks members another way, or asks with NAMES
 * when it wants them, saves the lines of a big channel).
 */
function sendImplicitNames(ctx: Context, channel: Channel): void {
  if (!ctx.session.caps.has("draft/no-implicit-names")) sendNames(ctx, channel);
}

/** Sends RPL_NAMREPLY lines (each under 512 bytes) and RPL_ENDOFNAMES. */
export function sendNames(ctx: Context, channel: Channel): void {
  const me = ctx.user;
  const member = channel.members.has(me);
  const multi = ctx.session.caps.has("multi-prefix");
  const full = ctx.session.caps.has("userhost-in-names");
  const symbol = channel.flags.s ? "@" : "=";
  const room = 512 - 2 -
    `:${ctx.server.name} ${RPL_NAMREPLY} ${me.nick} ${symbol} ${channel.name} :`.length;
  let line = "";
  for (const u of channel.members.keys()) {
    if (!member && u.invisible) continue;
    const entry = channel.prefixOf(u, multi) + (full ? u.hostmask : u.nick);
    if (line !== "" && line.length + 1 + entry.length > room) {
      ctx.numeric(RPL_NAMREPLY, symbol, channel.name, line);
      line = "";
    }
    line = line === "" ? entry : `${line} ${entry}`;
  }
  if (line !== "") ctx.numeric(RPL_NAMREPLY, symbol, channel.name, line);
  ctx.numeric(RPL_ENDOFNAMES, channel.name, "End of /NAMES list");
}

function partChannel(ctx: Context, channel: Channel, reason: string | undefined): void {
  const user = ctx.user;
  const params = reason ? [channel.name, reason] : [channel.name];
  const part = new Outgoing(user.hostmask, "PART", params, ctx.server.eventTags());
  toChannel(channel, part, user);
  ctx.toSelf(part);
  ctx.channels.part(channel, user, reason);
}

/** PART <channels> [reason] */
export function handlePart(ctx: Context): void {
  const reason = ctx.params[1] ? cleanText(ctx.params[1], ctx.limits.kickLen) : undefined;
  for (const name of ctx.params[0].split(",")) {
    if (name === "") continue;
    const channel = ctx.channels.find(name);
    if (!channel) {
      ctx.numeric(ERR_NOSUCHCHANNEL, name, "No such channel");
    } else if (!channel.members.has(ctx.user)) {
      ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    } else {
      partChannel(ctx, channel, reason);
    }
  }
}

/** TOPIC <channel> [topic]: shows the topic, or sets it (ops only under +t). */
export function handleTopic(ctx: Context): void {
  const user = ctx.user;
  const channel = ctx.channels.find(ctx.params[0]);
  if (!channel) {
    ctx.numeric(ERR_NOSUCHCHANNEL, ctx.params[0], "No such channel");
    return;
  }
  const member = channel.members.has(user);
  if (ctx.params.length < 2) {
    if (!member && channel.flags.s) {
      ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    } else sendTopic(ctx, channel);
    return;
  }
  if (!member) {
    ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (channel.flags.t && !channel.isOp(user)) {
    ctx.numeric(ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  const text = cleanText(ctx.params[1], ctx.limits.topicLen);
  const topic = text === ""
    ? undefined
    : { text, setBy: user.hostmask, setAt: Math.floor(Date.now() / 1000) };
  ctx.channels.setTopic(channel, topic, user);
  const change = new Outgoing(
    user.hostmask,
    "TOPIC",
    [channel.name, text],
    ctx.server.eventTags(),
  );
  toChannel(channel, change, user);
  ctx.toSelf(change);
}

/** NAMES [channels] */
export function handleNames(ctx: Context): void {
  if (ctx.params.length === 0 || ctx.params[0] === "") {
    ctx.numeric(RPL_ENDOFNAMES, "*", "End of /NAMES list");
    return;
  }
  for (const name of ctx.params[0].split(",")) {
    const channel = ctx.channels.find(name);
    if (channel && (!channel.flags.s || channel.members.has(ctx.user))) sendNames(ctx, channel);
    else ctx.numeric(RPL_ENDOFNAMES, name, "End of /NAMES list");
  }
}

/** The ELIST filters of one LIST command (all must hold for a channel to be listed). */
interface ListFilter {
  /** Channels named exactly (no wildcard), or undefined for all. */
  names: string[] | undefined;
  /** M: channel name masks, one of which must match (none given: any). */
  masks: string[];
  /** N: masks no channel name may match. */
  excluded: string[];
  /** U: member counts, exclusive bounds. */
  minUsers: number;
  maxUsers: number;
  /** C: creation time (seconds), exclusive bounds. */
  createdAfter: number;
  createdBefore: number;
  /** T: topic time (seconds), exclusive bounds; a channel without topic fails either. */
  topicAfter: number;
  topicBefore: number;
}

/**
 * Parses LIST's parameters: channel names, masks (`*#chat*`, ELIST M), negated masks
 * (`!*bots*`, N), member counts (`>n`, `<n`, U), creation and topic times in minutes ago
 * (`C<n` made less than n minutes ago, `C>n` more; `T<n`, `T>n` for the topic, C and T), as
 * ircd-ratbox and ergo read them. An item of neither form is a channel name.
 */
function parseListFilter(params: readonly string[], nowSeconds: number): ListFilter {
  const f: ListFilter = {
    names: undefined,
    masks: [],
    excluded: [],
    minUsers: -Infinity,
    maxUsers: Infinity,
    createdAfter: -Infinity,
    createdBefore: Infinity,
    topicAfter: -Infinity,
    topicBefore: Infinity,
  };
  for (const p of params) {
    for (const item of p.split(",")) {
      const m = /^([CT]?)([<>])(\d+)$/.exec(item);
      if (m) {
        const n = Number(m[3]);
        const [kind, op] = [m[1], m[2]];
        if (kind === "") {
          if (op === ">") f.minUsers = Math.max(f.minUsers, n);
          else f.maxUsers = Math.min(f.maxUsers, n);
          continue;
        }
        // "<n": less than n minutes ago, so after now - n minutes
        const at = nowSeconds - n * 60;
        if (kind === "C") {
          if (op === "<") f.createdAfter = Math.max(f.createdAfter, at);
          else f.createdBefore = Math.min(f.createdBefore, at);
        } else if (op === "<") f.topicAfter = Math.max(f.topicAfter, at);
        else f.topicBefore = Math.min(f.topicBefore, at);
      } else if (item.startsWith("!") && item.length > 1) f.excluded.push(item.slice(1));
      else if (item.includes("*") || item.includes("?")) f.masks.push(item);
      else if (item !== "") (f.names ??= []).push(item);
    }
  }
  return f;
}

function listed(c: Channel, f: ListFilter): boolean {
  const n = c.members.size;
  if (n <= f.minUsers || n >= f.maxUsers) return false;
  if (c.createdAt <= f.createdAfter || c.createdAt >= f.createdBefore) return false;
  if (f.topicAfter !== -Infinity || f.topicBefore !== Infinity) {
    const at = c.topic?.setAt;
    if (at === undefined || at <= f.topicAfter || at >= f.topicBefore) return false;
  }
  if (f.masks.length > 0 && !f.masks.some((m) => maskMatches(m, c.name))) return false;
  return !f.excluded.some((m) => maskMatches(m, c.name));
}

/** LIST [channels|masks] [filters]: visible channels with their member counts and topics. */
export function handleList(ctx: Context): void {
  const me = ctx.user;
  const filter = parseListFilter(ctx.params, Math.floor(Date.now() / 1000));
  const candidates = filter.names
    ? filter.names.map((n) => ctx.channels.find(n)).filter((c): c is Channel => c !== undefined)
    : ctx.channels.values();
  ctx.numeric(RPL_LISTSTART, "Channel", "Users  Name");
  for (const c of candidates) {
    if (c.flags.s && !c.members.has(me)) continue;
    if (!listed(c, filter)) continue;
    ctx.numeric(RPL_LIST, c.name, String(c.members.size), c.topic?.text ?? "");
  }
  ctx.numeric(RPL_LISTEND, "End of /LIST");
}

/** KICK <channel> <nick[,nick]> [reason] (channel operators only). */
export function handleKick(ctx: Context): void {
  const user = ctx.user;
  const channel = ctx.channels.find(ctx.params[0]);
  if (!channel) {
    ctx.numeric(ERR_NOSUCHCHANNEL, ctx.params[0], "No such channel");
    return;
  }
  if (!channel.members.has(user)) {
    ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (!channel.isOp(user)) {
    ctx.numeric(ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  const reason = cleanText(ctx.params[2] || user.nick, ctx.limits.kickLen);
  for (const nick of ctx.params[1].split(",")) {
    if (nick === "") continue;
    const target = ctx.users.find(nick);
    if (!target) {
      ctx.numeric(ERR_NOSUCHNICK, nick, "No such nick/channel");
      continue;
    }
    if (!channel.members.has(target)) {
      ctx.numeric(ERR_USERNOTINCHANNEL, target.nick, channel.name, "They aren't on that channel");
      continue;
    }
    const kick = new Outgoing(
      user.hostmask,
      "KICK",
      [channel.name, target.nick, reason],
      ctx.server.eventTags(),
    );
    toChannel(channel, kick, user);
    ctx.toSelf(kick);
    ctx.channels.kick(channel, target, user, reason);
  }
}

/** INVITE <nick> <channel>: lets someone past +i; the target is told. */
export function handleInvite(ctx: Context): void {
  const user = ctx.user;
  const [nick, chanName] = ctx.params;
  const target = ctx.users.find(nick);
  if (!target) {
    ctx.numeric(ERR_NOSUCHNICK, nick, "No such nick/channel");
    return;
  }
  const channel = ctx.channels.find(chanName);
  if (!channel) {
    ctx.numeric(ERR_NOSUCHCHANNEL, chanName, "No such channel");
    return;
  }
  if (!channel.members.has(user)) {
    ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (channel.members.has(target)) {
    ctx.numeric(ERR_USERONCHANNEL, target.nick, channel.name, "is already on channel");
    return;
  }
  if (channel.flags.i && !channel.isOp(user)) {
    ctx.numeric(ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  // only an operator's invitation lets the invitee past +i and +b; anyone else's is just a
  // notice (ergo's rule, its issue #1876: a privileged inviter's INVITE is recorded, others not)
  if (channel.isOp(user)) channel.invite(target);
  ctx.numeric(RPL_INVITING, target.nick, channel.name);
  if (target.away !== undefined) ctx.numeric(RPL_AWAY, target.nick, target.away);
  const invite = new Outgoing(user.hostmask, "INVITE", [target.nick, channel.name]);
  toUser(target, invite);
  toChannelPicked(
    channel,
    (s) => (s.caps.has("invite-notify") ? invite : undefined),
    user,
  );
}
