/**
 * PRIVMSG, NOTICE and TAGMSG: to channels (also `@#chan`/`+#chan` for ops/voiced only, as
 * STATUSMSG announces) and to nicks, with msgid, server-time, client tags and echo-message.
 *
 * @module
 */

import {
  ERR_CANNOTSENDTOCHAN,
  ERR_NORECIPIENT,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTEXTTOSEND,
  ERR_TOOMANYTARGETS,
  RPL_AWAY,
} from "../../protocol/numerics.ts";
import { isChannelName } from "../../protocol/validate.ts";
import { PREFIX_OP, PREFIX_VOICE } from "../channel.ts";
import type { Context } from "../context.ts";
import { toChannel, toChannelPicked, toUser } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";
import type { Session } from "../session.ts";

type RelayCommand = "PRIVMSG" | "NOTICE" | "TAGMSG";

/** PRIVMSG <targets> <text> */
export function handlePrivmsg(ctx: Context): void {
  relay(ctx, "PRIVMSG");
}

/** NOTICE <targets> <text>: like PRIVMSG, but no automatic reply, error or away notice. */
export function handleNotice(ctx: Context): void {
  relay(ctx, "NOTICE");
}

/** TAGMSG <targets>: only client tags (e.g. +typing), for clients with message-tags. */
export function handleTagmsg(ctx: Context): void {
  relay(ctx, "TAGMSG");
}

const onlyTagClients =
  (out: Outgoing) => (s: Session) => (s.caps.has("message-tags") ? out : undefined);

function relay(ctx: Context, command: RelayCommand): void {
  const server = ctx.server;
  const user = ctx.user;
  const notice = command === "NOTICE";
  const tagmsg = command === "TAGMSG";
  const error = (code: string, ...params: string[]) => {
    if (!notice) ctx.numeric(code, ...params);
  };
  const rawTargets = ctx.params[0] ?? "";
  if (rawTargets === "") {
    error(ERR_NORECIPIENT, `No recipient given (${command})`);
    return;
  }
  const text = ctx.params[1];
  if (!tagmsg && (text === undefined || text === "")) {
    error(ERR_NOTEXTTOSEND, "No text to send");
    return;
  }

  const tags: Record<string, string> = {};
  let clientTags = 0;
  for (const k in ctx.msg.tags) {
    if (k.startsWith("+")) {
      tags[k] = ctx.msg.tags[k];
      clientTags++;
    }
  }
  if (tagmsg && clientTags === 0) return;
  tags["time"] = new Date().toISOString();
  if (user.account) tags["account"] = user.account;

  const targets = [...new Set(rawTargets.split(",").filter((t) => t !== ""))];
  const max = server.limits.targetsPerMessage;
  for (let i = 0; i < targets.length; i++) {
    let target = targets[i];
    if (i >= max) {
      error(ERR_TOOMANYTARGETS, target, `Too many targets, at most ${max} per message`);
      continue;
    }
    let needBits = 0;
    if ((target[0] === "@" || target[0] === "+") && isChannelName(target.slice(1))) {
      needBits = target[0] === "@" ? PREFIX_OP : PREFIX_OP | PREFIX_VOICE;
      target = target.slice(1);
    }
    const params = tagmsg ? [targets[i]] : [targets[i], text];
    const out = new Outgoing(user.hostmask, command, params, {
      ...tags,
      msgid: server.nextMsgid(),
    });
    if (isChannelName(target)) {
      const channel = server.findChannel(target);
      if (!channel) {
        error(ERR_NOSUCHCHANNEL, target, "No such channel");
        continue;
      }
      const bits = channel.members.get(user);
      const privileged = bits !== undefined && bits !== 0;
      if (!channel.canSpeak(user) || (!privileged && channel.isBanned(user))) {
        error(ERR_CANNOTSENDTOCHAN, channel.name, "Cannot send to channel");
        continue;
      }
      if (needBits !== 0) {
        toChannelPicked(channel, (s) => {
          const b = channel.members.get(s.user) ?? 0;
          if ((b & needBits) === 0) return undefined;
          return tagmsg && !s.caps.has("message-tags") ? undefined : out;
        }, user);
      } else if (tagmsg) toChannelPicked(channel, onlyTagClients(out), user);
      else toChannel(channel, out, user);
    } else {
      const recipient = server.findUser(target);
      if (!recipient) {
        error(ERR_NOSUCHNICK, target, "No such nick/channel");
        continue;
      }
      if (recipient === user) {
        // to oneself: every session gets it once, echo-message or not
        for (const s of user.sessions) if (!tagmsg || s.caps.has("message-tags")) s.send(out);
        server.stats.messagesRelayed++;
        continue;
      }
      if (tagmsg) {
        for (const s of recipient.sessions) if (s.caps.has("message-tags")) s.send(out);
      } else toUser(recipient, out);
      if (command === "PRIVMSG" && recipient.away !== undefined) {
        ctx.numeric(RPL_AWAY, recipient.nick, recipient.away);
      }
    }
    server.stats.messagesRelayed++;
    for (const s of user.sessions) {
      if (s !== ctx.session || s.caps.has("echo-message")) {
        if (!tagmsg || s.caps.has("message-tags")) s.send(out);
      }
    }
  }
  if (!tagmsg) user.lastSpokeAt = Date.now();
}
