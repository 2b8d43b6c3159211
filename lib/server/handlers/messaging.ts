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
import { casefold } from "../../protocol/casemap.ts";
import { SERVICE_NICKS } from "../accounts.ts";
import { handleServiceMessage } from "../services.ts";
import { privateHistoryKey } from "../history_keys.ts";

type RelayCommand = "PRIVMSG" | "NOTICE" | "TAGMSG";

/** PRIVMSG <targets> <text> */
export function handlePrivmsg(ctx: Context): Promise<void> {
  return relay(ctx, "PRIVMSG");
}

/** NOTICE <targets> <text>: like PRIVMSG, but no automatic reply, error or away notice. */
export function handleNotice(ctx: Context): Promise<void> {
  return relay(ctx, "NOTICE");
}

/** TAGMSG <targets>: only client tags (e.g. +typing), for clients with message-tags. */
export function handleTagmsg(ctx: Context): Promise<void> {
  return relay(ctx, "TAGMSG");
}

const onlyTagClients =
  (out: Outgoing) => (s: Session) => (s.caps.has("message-tags") ? out : undefined);

/** Tells a user without an account that this server needs one. */
export function accountRequired(ctx: Context, command: string): boolean {
  if (!ctx.server.config.requireAccount || ctx.user.account) return false;
  ctx.fail(
    command,
    "ACCOUNT_REQUIRED",
    [],
    "You must log in first: /msg NickServ IDENTIFY <account> <password>, or REGISTER",
  );
  return true;
}

async function relay(ctx: Context, command: RelayCommand): Promise<void> {
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

  const clientTags: Record<string, string> = {};
  let clientTagCount = 0;
  for (const k in ctx.msg.tags) {
    if (k.startsWith("+")) {
      clientTags[k] = ctx.msg.tags[k];
      clientTagCount++;
    }
  }
  if (tagmsg && clientTagCount === 0) return;
  const now = Date.now();
  const time = new Date(now).toISOString();

  // validate every target first; store what is to be kept; deliver once it is committed
  const deliveries: (() => void)[] = [];
  const commits: Promise<void>[] = [];
  const targets = [...new Set(rawTargets.split(",").filter((t) => t !== ""))];
  const max = ctx.limits.targetsPerMessage;
  for (let i = 0; i < targets.length; i++) {
    const written = targets[i];
    if (i >= max) {
      error(ERR_TOOMANYTARGETS, written, `Too many targets, at most ${max} per message`);
      continue;
    }
    if (!isChannelName(written) && !written.startsWith("@") && !written.startsWith("+")) {
      if (command === "PRIVMSG") {
        const handled = handleServiceMessage(ctx, written, text);
        if (handled === true) continue;
        if (handled !== false) {
          await handled;
          continue;
        }
      } else if (SERVICE_NICKS.has(casefold(written))) continue;
    }
    if (accountRequired(ctx, command)) return;
    let target = written;
    let needBits = 0;
    if ((target[0] === "@" || target[0] === "+") && isChannelName(target.slice(1))) {
      needBits = target[0] === "@" ? PREFIX_OP : PREFIX_OP | PREFIX_VOICE;
      target = target.slice(1);
    }
    const tags: Record<string, string> = { ...clientTags, time, msgid: server.nextMsgid() };
    if (user.account) tags["account"] = user.account;
    if (user.bot) tags["bot"] = "";
    const out = new Outgoing(user.hostmask, command, tagmsg ? [written] : [written, text], tags);
    let historyKey: string | undefined;
    // to oneself, every device already gets it as the recipient: no second copy as an echo
    let toOneself = false;

    if (isChannelName(target)) {
      const channel = ctx.channels.find(target);
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
        deliveries.push(() =>
          toChannelPicked(channel, (s) => {
            const b = channel.members.get(s.user) ?? 0;
            if ((b & needBits) === 0) return undefined;
            return tagmsg && !s.caps.has("message-tags") ? undefined : out;
          }, user)
        );
      } else if (tagmsg) {
        deliveries.push(() => toChannelPicked(channel, onlyTagClients(out), user));
      } else {
        historyKey = channel.folded;
        deliveries.push(() => toChannel(channel, out, user));
      }
    } else {
      const recipient = ctx.users.find(target);
      if (!recipient) {
        error(ERR_NOSUCHNICK, target, "No such nick/channel");
        continue;
      }
      if (!tagmsg) historyKey = privateHistoryKey(user, recipient);
      toOneself = recipient === user;
      // to oneself, the delivery is a side effect, not a reply: never labeled
      // (labeled-response), and with echo-message the echo comes too, as for anyone else
      deliveries.push(() => {
        if (tagmsg) {
          for (const s of recipient.sessions) if (s.caps.has("message-tags")) s.send(out);
        } else toUser(recipient, out);
      });
      if (command === "PRIVMSG" && recipient.away !== undefined && recipient !== user) {
        ctx.numeric(RPL_AWAY, recipient.nick, recipient.away);
      }
    }
    if (historyKey) {
      commits.push(store(ctx, historyKey, out, now, clientTags));
      // a guest's message has no account to be recognised by when it wants to redact it
      if (user.account === undefined) user.rememberSent(tags["msgid"], ctx.limits.guestRedactable);
    }
    server.stats.messagesRelayed++;
    deliveries.push(() => {
      server.events.message(user, written, out);
      const sessions = user.sessions;
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i];
        if (tagmsg && !s.caps.has("message-tags")) continue;
        // the sender's other sessions see what it said; this one only as its echo, a reply
        if (s !== ctx.session) {
          if (!toOneself) s.send(out);
        } else if (s.caps.has("echo-message")) ctx.send(out);
      }
    });
  }
  if (commits.length > 0) {
    try {
      await Promise.all(commits);
    } catch (err) {
      console.error(`storing a message failed: ${(err as Error).message}`);
      ctx.fail(command, "MESSAGE_NOT_STORED", [], "Your message could not be saved; try again");
      return;
    }
  }
  for (const deliver of deliveries) deliver();
  if (!tagmsg) user.lastSpokeAt = now;
}

function store(
  ctx: Context,
  key: string,
  out: Outgoing,
  time: number,
  clientTags: Record<string, string>,
): Promise<void> {
  return ctx.store.appendMessage({
    msgid: out.tags["msgid"],
    time,
    target: key,
    rawTarget: out.params[0],
    source: out.source!,
    account: ctx.user.account,
    command: out.command === "NOTICE" ? "NOTICE" : "PRIVMSG",
    text: out.params[1],
    tags: Object.keys(clientTags).length > 0 ? clientTags : undefined,
  });
}
