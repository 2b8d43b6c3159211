/**
 * REDACT (IRCv3 `draft/message-redaction`): deleting a stored message. Its sender may delete
 * it (recognised by account, or for a guest by the msgids it sent on this connection),
 * channel operators any message of their channel, server operators any message of a channel
 * or of their own private conversations. The message is removed from history for good (the
 * spec's first choice: CHATHISTORY and the replay on join leave it out entirely), and the
 * REDACT goes to every member (or both sides) with the capability. Those without it get
 * nothing: the spec forbids the REDACT for them, and a fallback notice would only point at
 * what was meant to go away.
 *
 * @module
 */

import { casefold } from "../../protocol/casemap.ts";
import { isChannelName } from "../../protocol/validate.ts";
import { dmKey, type HistoryMessage } from "../../store/store.ts";
import type { Channel } from "../channel.ts";
import type { Context } from "../context.ts";
import { toChannelPicked } from "../delivery.ts";
import { historyParty, partyOfNick } from "../history_keys.ts";
import { Outgoing } from "../outgoing.ts";
import type { Session } from "../session.ts";
import type { User } from "../user.ts";
import { partyLookup } from "./history.ts";
import { accountRequired } from "./messaging.ts";

const CAP = "draft/message-redaction";

/** Whether `user` sent a stored message. */
function isOwn(user: User, m: HistoryMessage): boolean {
  if (m.account !== undefined && user.account !== undefined) {
    return casefold(m.account) === casefold(user.account);
  }
  return m.account === undefined && user.sentByMe(m.msgid);
}

/** REDACT <target> <msgid> [reason] */
export async function handleRedact(ctx: Context): Promise<void> {
  const [target, msgid] = ctx.params;
  const reason = ctx.params[2];
  const user = ctx.user;
  if (accountRequired(ctx, "REDACT")) return;
  const unknown = () =>
    ctx.fail(
      "REDACT",
      "UNKNOWN_MSGID",
      [target, msgid],
      "This message does not exist or is too old",
    );
  let key: string;
  let channel: Channel | undefined;
  let recipient: User | undefined;
  if (isChannelName(target)) {
    channel = ctx.channels.find(target);
    if (!channel?.members.has(user) && !user.oper) {
      ctx.fail(
        "REDACT",
        "INVALID_TARGET",
        [target],
        `You cannot delete messages from ${target}`,
      );
      return;
    }
    key = casefold(target);
  } else {
    const other = await partyOfNick(partyLookup(ctx), target);
    if (other === undefined) {
      ctx.fail("REDACT", "INVALID_TARGET", [target], `You cannot delete messages from ${target}`);
      return;
    }
    key = dmKey(historyParty(user), other);
    recipient = ctx.users.find(target);
  }
  const stored = await ctx.store.getMessage(msgid);
  // a message of another conversation is unknown here: its existence is not told
  if (stored === undefined || stored.target !== key) {
    unknown();
    return;
  }
  const own = isOwn(user, stored);
  // an earlier channel of the same name is not this one: its lines are not its ops' to touch
  if (!own && channel !== undefined && stored.time < channel.historyFloor && !user.oper) {
    unknown();
    return;
  }
  if (!own && !user.oper && !(channel?.isOp(user) ?? false)) {
    ctx.fail(
      "REDACT",
      "REDACT_FORBIDDEN",
      [target, msgid],
      "You are not authorised to delete this message",
    );
    return;
  }
  // someone else may have deleted it meanwhile
  if (!(await ctx.store.deleteMessage(msgid))) {
    unknown();
    return;
  }
  const tags: Record<string, string> = {
    time: new Date().toISOString(),
    msgid: ctx.server.nextMsgid(),
  };
  if (user.account) tags["account"] = user.account;
  if (user.bot) tags["bot"] = "";
  const shown = channel?.name ?? target;
  const params = reason !== undefined ? [shown, msgid, reason] : [shown, msgid];
  const out = new Outgoing(user.hostmask, "REDACT", params, tags);
  const pick = (s: Session) => (s.caps.has(CAP) ? out : undefined);
  // the sender's own session gets it as the answer to its command, whatever its caps
  ctx.send(out);
  for (const s of user.sessions) if (s !== ctx.session && s.caps.has(CAP)) s.send(out);
  if (channel !== undefined) toChannelPicked(channel, pick, user);
  else if (recipient !== undefined && recipient !== user) {
    for (const s of recipient.sessions) if (s.caps.has(CAP)) s.send(out);
  }
  ctx.server.events.redacted(user, target, msgid, out);
}
