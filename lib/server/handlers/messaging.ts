/**
 * PRIVMSG, NOTICE and TAGMSG: to channels (also `@#chan`/`+#chan` for ops/voiced only, as
 * STATUSMSG announces) and to nicks, with msgid, server-time, client tags and echo-message;
 * and BATCH, by which a client sends a `draft/multiline` message (see ../multiline.ts).
 * Messages are kept in history, and so are TAGMSG reactions (`+draft/react`), so that they
 * come back with the messages they react to.
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
import { Context } from "../context.ts";
import { toChannel, toChannelPicked, toUser } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";
import type { Session } from "../session.ts";
import { casefold } from "../../protocol/casemap.ts";
import { SERVICE_NICKS } from "../accounts.ts";
import { handleServiceMessage } from "../services.ts";
import { privateHistoryKey } from "../history_keys.ts";
import { type HistoryMessage, StoreUnavailableError } from "../../store/store.ts";
import {
  closeBatch,
  failBatch,
  joinParts,
  MultilineBatch,
  MultilineOutgoing,
  type MultilinePart,
} from "../multiline.ts";

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

/**
 * Whether a TAGMSG is a reaction to a message (`+draft/react` or `+draft/unreact`, which go
 * with a reply tag naming the message): those are kept in history with the messages.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isReaction } from "./messaging.ts";
 * strictEqual(isReaction({ "+draft/reply": "abc", "+draft/react": "👍" }), true);
 * strictEqual(isReaction({ "+draft/react": "👍" }), false); // reacting to nothing
 * strictEqual(isReaction({ "+typing": "active" }), false);
 * ```
 */
export function isReaction(tags: Readonly<Record<string, string>>): boolean {
  return ("+draft/react" in tags || "+draft/unreact" in tags) &&
    ("+draft/reply" in tags || "+reply" in tags);
}

/**
 * BATCH +ref draft/multiline <target>, then the batch's lines (taken by the dispatcher, see
 * multiline.ts), then BATCH -ref: the lines are delivered as one message.
 */
export async function handleBatch(ctx: Context): Promise<void> {
  const session = ctx.session;
  const name = ctx.server.name;
  const param = ctx.params[0];
  const ref = param.slice(1);
  const open = session.multiline;
  if ((param[0] !== "+" && param[0] !== "-") || !/^[A-Za-z0-9._-]{1,64}$/.test(ref)) {
    ctx.fail(
      "BATCH",
      "INVALID_REFTAG",
      [param],
      "A batch reference is + or - and 1-64 letters, digits, '.', '_' or '-'",
    );
    return;
  }
  if (param[0] === "+") {
    if (open !== undefined) {
      closeBatch(session, ctx.limits);
      if (!open.failed) {
        failBatch(session, name, open, [
          "MULTILINE_INVALID",
          "A batch was opened inside a multiline batch; both are dropped",
        ]);
        return;
      }
    }
    const type = ctx.params[1];
    if (type !== "draft/multiline") {
      ctx.fail(
        "BATCH",
        "UNKNOWN_TYPE",
        [ref, type ?? "*"],
        "The only batch a client may send is draft/multiline",
      );
      return;
    }
    const target = ctx.params[2];
    if (target === undefined || target === "" || ctx.msg.tags["batch"] !== undefined) {
      ctx.fail(
        "BATCH",
        "MULTILINE_INVALID",
        [],
        "BATCH +<ref> draft/multiline takes one target and no enclosing batch",
      );
      return;
    }
    const tags: Record<string, string> = {};
    for (const k in ctx.msg.tags) if (k.startsWith("+")) tags[k] = ctx.msg.tags[k];
    const deadline = Date.now() + ctx.limits.multilineTimeout * 1000;
    session.multiline = new MultilineBatch(ref, target, tags, ctx.deferLabel(), deadline);
    return;
  }
  if (open === undefined || open.ref !== ref) {
    ctx.fail("BATCH", "MULTILINE_INVALID", [], `No multiline batch ${ref} is open`);
    return;
  }
  closeBatch(session, ctx.limits);
  if (open.failed) return; // refused already; its end needs no second word
  const failure = open.check();
  if (failure) {
    failBatch(session, name, open, failure);
    return;
  }
  // the message answers the opening BATCH's label, in a command context of its own
  const command = open.command!;
  const parts = open.parts.length > 1 ? open.parts : undefined;
  const text = parts !== undefined ? joinParts(parts).text : open.parts[0].text;
  const msg = { tags: open.tags, command, params: [open.target, text] };
  const mctx = new Context(ctx.server, session, msg, open.label);
  try {
    await relay(mctx, command, parts);
  } finally {
    if (ctx.server.sessions.has(session)) mctx.flush();
  }
}

/** Sends PRIVMSG/NOTICE/TAGMSG to its targets; `parts`: the lines of a multiline message. */
async function relay(
  ctx: Context,
  command: RelayCommand,
  parts?: readonly MultilinePart[],
): Promise<void> {
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
  if (ctx.msg.tags["batch"] !== undefined && parts === undefined) {
    // a line of a batch that is not open (never opened, or dropped): not a message of its own
    ctx.fail("BATCH", "MULTILINE_INVALID", [], "That line's batch is not open; it was dropped");
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
  // reactions are kept with the messages they react to; other TAGMSGs (+typing) are not
  const keepTagmsg = tagmsg && isReaction(clientTags);
  const now = Date.now();
  const time = new Date(now).toISOString();

  // validate every target first; store what is to be kept; deliver once it is committed
  const deliveries: (() => void)[] = [];
  const commits: Promise<void>[] = [];
  // set when the store did not take them and the events carry the records instead
  let deferred = false;
  // with several nodes: the echoes wait until the bus has each message
  let acks: Promise<void>[] | undefined;
  const targets = [...new Set(rawTargets.split(",").filter((t) => t !== ""))];
  const max = ctx.limits.targetsPerMessage;
  for (let i = 0; i < targets.length; i++) {
    const written = targets[i];
    if (i >= max) {
      error(ERR_TOOMANYTARGETS, written, `Too many targets, at most ${max} per message`);
      continue;
    }
    if (!isChannelName(written) && !written.startsWith("@") && !written.startsWith("+")) {
      if (parts !== undefined && SERVICE_NICKS.has(casefold(written))) {
        ctx.fail(
          "BATCH",
          "MULTILINE_INVALID_TARGET",
          [written, written],
          "Services take one line at a time",
        );
        continue;
      }
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
    const out = parts !== undefined
      ? new MultilineOutgoing(user.hostmask, command, written, parts, tags, server.nextBatchId)
      : new Outgoing(user.hostmask, command, tagmsg ? [written] : [written, text], tags);
    let historyKey: string | undefined;
    let record: HistoryMessage | undefined;
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
        if (keepTagmsg) historyKey = channel.folded;
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
      if (!tagmsg || keepTagmsg) historyKey = privateHistoryKey(user, recipient);
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
      record = historyRecord(ctx, historyKey, out, now, clientTags);
      commits.push(ctx.store.appendMessage(record));
      // a guest's message has no account to be recognised by when it wants to redact it
      if (user.account === undefined) user.rememberSent(tags["msgid"], ctx.limits.guestRedactable);
    }
    server.stats.messagesRelayed++;
    deliveries.push(() => {
      const published = server.events.message(
        user,
        written,
        out,
        deferred ? record : undefined,
      );
      if (published === undefined) echo(ctx, out, tagmsg, toOneself);
      else (acks ??= []).push(published.then(() => echo(ctx, out, tagmsg, toOneself)));
    });
  }
  if (commits.length > 0) {
    const defers = server.events.defersHistory;
    try {
      await (defers ? within(Promise.all(commits), STORE_WAIT_MS) : Promise.all(commits));
    } catch (err) {
      if (defers && (err instanceof StoreUnavailableError || err instanceof StoreSlowError)) {
        // the bus carries the records to the history queue (lib/cluster/history_queue.ts),
        // which writes them once the store is back; an append still under way may land
        // too, and the msgid keeps it to one row
        deferred = true;
      } else {
        if (!(err instanceof StoreUnavailableError)) {
          console.error(`storing a message failed: ${(err as Error).message}`);
        }
        ctx.fail(command, "MESSAGE_NOT_STORED", [], "Your message could not be saved; try again");
        return;
      }
    }
  }
  for (const deliver of deliveries) deliver();
  if (!tagmsg) user.lastSpokeAt = now;
  if (acks !== undefined) {
    try {
      await Promise.all(acks);
    } catch (err) {
      console.error(`publishing a message failed: ${(err as Error).message}`);
      ctx.fail(command, "MESSAGE_NOT_SENT", [], "Your message may not have reached everyone");
    }
  }
}

/** The sender's other sessions see what it said; this one only as its echo, a reply. */
/**
 * The sender's other sessions see what it said; this one only as its echo, a reply. To
 * oneself (`toOneself`), every device already got it as the recipient: only the echo remains.
 */
function echo(ctx: Context, out: Outgoing, tagmsg: boolean, toOneself: boolean): void {
  const sessions = ctx.user.sessions;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (tagmsg && !s.caps.has("message-tags")) continue;
    if (s !== ctx.session) {
      if (!toOneself) s.send(out);
    } else if (s.caps.has("echo-message")) ctx.send(out);
  }
}

/**
 * How long a node of a cluster waits for the store to take a message before it sends the
 * message on with its history record deferred (a database that does not answer at all
 * would otherwise hold every message up to the driver's connection timeout).
 */
const STORE_WAIT_MS = 2000;

/** The store did not answer within {@link STORE_WAIT_MS}. */
class StoreSlowError extends Error {}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreSlowError("the store is slow")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function historyRecord(
  ctx: Context,
  key: string,
  out: Outgoing,
  time: number,
  clientTags: Record<string, string>,
): HistoryMessage {
  return {
    msgid: out.tags["msgid"],
    time,
    target: key,
    rawTarget: out.params[0],
    source: out.source!,
    account: ctx.user.account,
    command: out.command === "NOTICE" || out.command === "TAGMSG" ? out.command : "PRIVMSG",
    text: out.params[1] ?? "",
    tags: Object.keys(clientTags).length > 0 ? clientTags : undefined,
    ...(out instanceof MultilineOutgoing ? { multiline: [...out.concat] } : {}),
  };
}
