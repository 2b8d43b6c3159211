/**
 * What the client does with each message from the server, as a table: command → handler.
 * A handler reads the message, updates state through its owner ({@link ChannelTable}, the
 * client) and emits lines; numerics without a handler of their own, and those whose
 * handler returns true, are worded by describeNumeric. Registration (CAP, SASL, nick
 * fallback) is not here: lib/client/registration.ts sees every message first.
 *
 * @module
 */

import { type IrcMessage, message } from "../protocol/message.ts";
import { casefold } from "../protocol/casemap.ts";
import * as N from "../protocol/numerics.ts";
import { describeNumeric } from "../shared/numeric_text.ts";
import {
  ACTIVE_WINDOW,
  type ChatLine,
  type ClientEvent,
  type LineKind,
  STATUS_WINDOW,
} from "./events.ts";
import type { ChannelTable } from "./channel_state.ts";
import { ctcpReply, parseCtcp } from "./ctcp.ts";
import {
  mentions,
  sourceNick as nickOf,
  sourceUserhost as userhostOf,
} from "../shared/message_text.ts";
import { joinMultiline, type MultilinePart } from "../shared/multiline_batch.ts";
import { parseMarkreadParam } from "../shared/markread.ts";

/**
 * An open batch (IRCv3 `batch`): its type and, for chathistory, where its lines go.
 *
 * @example
 * ```ts
 * import type { OpenBatch } from "./inbound.ts";
 * const b: OpenBatch = { type: "chathistory", target: "#a" };
 * ```
 */
export interface OpenBatch {
  /** The batch type, lower-cased (e.g. "chathistory"). */
  type: string;
  /** Its first parameter (the target of a chathistory batch). */
  target: string;
  /** Lines of a batch we asked for with CHATHISTORY BEFORE: collected, given at its end. */
  older?: ChatLine[];
  /** Events about collected older lines (reactions, deletions), given after them. */
  after?: ClientEvent[];
  /** The tags of the BATCH line (a multiline message's msgid, time, reply). */
  tags?: Record<string, string>;
  /** Who opened it (a multiline message's sender). */
  source?: string;
  /** The lines of a draft/multiline batch, joined at its end. */
  parts?: MultilinePart[];
  /** Results of a soju.im/search batch. */
  found?: ChatLine[];
}

/**
 * What a handler may see and do: the client's side of the table.
 *
 * @example
 * ```ts
 * import type { InboundContext } from "./inbound.ts";
 * function isOurs(ctx: InboundContext, nick: string) { return ctx.isMe(nick); }
 * ```
 */
export interface InboundContext {
  /** The channel table. */
  readonly table: ChannelTable;
  /** Our nick. */
  readonly nick: string;
  /** Registered on this connection. */
  readonly registered: boolean;
  /** Quitting (the server's ERROR is then expected, not an error). */
  readonly stopping: boolean;
  /** The server's or network's name, shown as the sender of server notices. */
  readonly serverName: string;
  /** Open batches by reference tag. */
  readonly batches: Map<string, OpenBatch>;
  /** Whether a nick is ours. */
  isMe(nick: string): boolean;
  /** Whether the server acknowledged a capability. */
  hasCap(cap: string): boolean;
  /** Sends a message. */
  send(msg: IrcMessage): void;
  /** Gives the UI a line. */
  emit(line: ChatLine): void;
  /** Gives the UI any other event. */
  event(e: ClientEvent): void;
  /** A PONG with this token arrived. */
  pong(token: string): void;
  /** RPL_WELCOME was handled by registration: join channels, start measuring lag. */
  welcome(msg: IrcMessage): void;
  /** Our nick changed. */
  renamed(to: string): void;
  /** A join we asked for was answered (joined or refused). */
  joinSettled(): void;
  /** Whether a CHATHISTORY BEFORE for this target is waiting for its batch (and take it). */
  takeOlderRequest(target: string): boolean;
  /** ISUPPORT tokens arrived (all of them are kept: MONITOR, soju.im/FILEHOST, …). */
  isupport(tokens: string[]): void;
  /** MONITOR (or ISON) says these nicks are online or offline. */
  presence(nicks: string[], online: boolean): void;
  /** An ISON reply (303): true when it answers the client's own poll. */
  isonReply(nicks: string[]): boolean;
  /** The words of a SEARCH waiting for its batch (and take it), if any. */
  takeSearch(): string | undefined;
}

/**
 * Handles one message; returning true asks for the numeric's wording to be shown as well.
 *
 * @example
 * ```ts
 * import type { InboundHandler } from "./inbound.ts";
 * const ignore: InboundHandler = () => {};
 * ```
 */
export type InboundHandler = (
  ctx: InboundContext,
  msg: IrcMessage,
  from: string,
  time: Date,
) => boolean | void;

const JOIN_ERRORS = [
  N.ERR_NOSUCHCHANNEL,
  N.ERR_TOOMANYCHANNELS,
  N.ERR_CHANNELISFULL,
  N.ERR_INVITEONLYCHAN,
  N.ERR_BANNEDFROMCHAN,
  N.ERR_BADCHANNELKEY,
  N.ERR_BADCHANMASK,
];

/** Numerics that belong in the status window whatever window the user looks at. */
const STATUS_NUMERICS = new Set([
  N.RPL_WELCOME,
  N.RPL_YOURHOST,
  N.RPL_CREATED,
  N.RPL_MYINFO,
  N.RPL_LUSERCLIENT,
  N.RPL_LUSEROP,
  N.RPL_LUSERUNKNOWN,
  N.RPL_LUSERCHANNELS,
  N.RPL_LUSERME,
  N.RPL_LOCALUSERS,
  N.RPL_GLOBALUSERS,
  N.RPL_MOTD,
  N.ERR_NOMOTD,
  "250",
]);

const ignore: InboundHandler = () => {};

/** The lines of a batch, found by its tag. */
function batchOf(ctx: InboundContext, msg: IrcMessage): OpenBatch | undefined {
  const ref = msg.tags["batch"];
  return ref === undefined ? undefined : ctx.batches.get(ref);
}

/** Emits a line, or keeps it for the batch of older history it belongs to. */
function deliver(ctx: InboundContext, msg: IrcMessage, line: ChatLine): void {
  const b = batchOf(ctx, msg);
  if (b?.older) b.older.push(line);
  else ctx.emit(line);
}

function onJoin(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const chan = msg.params[0] ?? "";
  if (ctx.isMe(from)) {
    const focus = ctx.table.joined(chan);
    ctx.event({ type: "open", window: chan, focus });
    ctx.emit({ time, window: chan, kind: "join", text: `You joined ${chan}` });
    if (ctx.hasCap("away-notify")) {
      // away-notify tells changes from now on; who is away already, WHO tells
      ctx.table.whoAsked(chan);
      ctx.send(message("WHO", [chan]));
    }
    ctx.joinSettled();
    return;
  }
  const ch = ctx.table.addMember(chan, from);
  const uh = userhostOf(msg.source);
  ctx.emit({
    time,
    window: ch?.name ?? chan,
    kind: "join",
    text: `${from}${uh ? ` (${uh})` : ""} joined ${chan}`,
  });
}

function onPart(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const chan = msg.params[0] ?? "";
  const reason = msg.params[1];
  const why = reason ? ` (${reason})` : "";
  if (ctx.isMe(from)) {
    const window = ctx.table.left(chan)?.name ?? chan;
    ctx.emit({ time, window, kind: "part", text: `You left ${chan}${why}` });
    ctx.event({ type: "close", window });
    return;
  }
  const ch = ctx.table.removeMember(chan, from);
  ctx.emit({ time, window: ch?.name ?? chan, kind: "part", text: `${from} left ${chan}${why}` });
}

function onKick(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const [chan = "", victim = "", reason] = msg.params;
  const why = reason ? ` (${reason})` : "";
  if (ctx.isMe(victim)) {
    const ch = ctx.table.left(chan);
    ctx.emit({
      time,
      window: ch?.name ?? chan,
      kind: "kick",
      text: `${from} removed you from ${chan}${why}. Type /join ${chan} to go back.`,
    });
    ctx.event({ type: "state" });
    return;
  }
  const ch = ctx.table.removeMember(chan, victim);
  ctx.emit({
    time,
    window: ch?.name ?? chan,
    kind: "kick",
    text: `${from} removed ${victim} from ${chan}${why}`,
  });
}

function onQuit(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const reason = msg.params[0] ?? "";
  ctx.table.quit(from).forEach((ch, i) =>
    ctx.emit({
      time,
      window: ch.name,
      kind: "quit",
      text: `${from} quit${reason ? ` (${reason})` : ""}`,
      duplicate: i > 0,
    })
  );
}

function onNick(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const to = msg.params[0] ?? "";
  const me = ctx.isMe(from);
  if (me) ctx.renamed(to);
  const text = me ? `You are now known as ${to}` : `${from} is now known as ${to}`;
  const shared = ctx.table.rename(from, to);
  shared.forEach((ch, i) =>
    ctx.emit({ time, window: ch.name, kind: "nick", text, duplicate: i > 0 })
  );
  if (!me) ctx.event({ type: "rename", from, to });
  if (shared.length === 0) ctx.emit({ time, window: me ? ACTIVE_WINDOW : to, kind: "nick", text });
}

function onTopic(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const [chan = "", topic = ""] = msg.params;
  const ch = ctx.table.setTopic(chan, topic);
  ctx.emit({
    time,
    window: ch?.name ?? chan,
    kind: "topic",
    text: topic === ""
      ? `${from} removed the topic of ${chan}`
      : `${from} changed the topic of ${chan} to: ${topic}`,
  });
  ctx.event({ type: "state" });
}

function onMode(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const target = msg.params[0] ?? "";
  const changes = msg.params.slice(1);
  const text = `${from} set mode ${changes.join(" ")} on ${target}`;
  if (!ctx.table.isChannel(target)) {
    ctx.emit({ time, window: STATUS_WINDOW, kind: "mode", text });
    return;
  }
  const ch = ctx.table.applyModes(target, changes);
  ctx.emit({ time, window: ch?.name ?? target, kind: "mode", text });
  if (ch) ctx.event({ type: "state" });
}

/** The window of a conversation: the channel, or the other side of a private one. */
function conversationOf(ctx: InboundContext, target: string, from: string): string {
  if (ctx.table.isChannel(target)) return ctx.table.windowOf(target);
  return ctx.isMe(from) ? target : from;
}

function onText(ctx: InboundContext, msg: IrcMessage, from: string, time: Date): void {
  const target = ctx.table.stripStatusPrefix(msg.params[0] ?? "");
  const inBatch = batchOf(ctx, msg);
  if (inBatch?.parts && msg.command === "PRIVMSG") {
    inBatch.parts.push({
      text: msg.params[1] ?? "",
      concat: msg.tags["draft/multiline-concat"] !== undefined,
    });
    return;
  }
  if (inBatch?.found) {
    inBatch.found.push({
      time,
      window: "",
      kind: msg.command === "NOTICE" ? "notice" : "message",
      nick: from,
      text: msg.params[1] ?? "",
      origin: ctx.table.isChannel(target) ? target : ctx.isMe(from) ? target : from,
      stamped: msg.tags["time"] !== undefined,
      ...(msg.tags["msgid"] ? { msgid: msg.tags["msgid"] } : {}),
    });
    return;
  }
  let text = msg.params[1] ?? "";
  const isNotice = msg.command === "NOTICE";
  let kind: LineKind = isNotice ? "notice" : "message";
  const ctcp = parseCtcp(text);
  if (ctcp?.verb === "ACTION") {
    kind = "action";
    text = ctcp.arg;
  } else if (ctcp) {
    const { verb, arg } = ctcp;
    if (!isNotice && !ctx.isMe(from)) {
      const reply = ctcpReply(verb, arg);
      if (reply !== undefined) ctx.send(message("NOTICE", [from, `\x01${reply}\x01`]));
    }
    ctx.emit({
      time,
      window: ACTIVE_WINDOW,
      kind: "info",
      text: isNotice ? `${from} replied to CTCP ${verb}: ${arg}` : `${from} sent CTCP ${verb}`,
    });
    return;
  }
  const self = ctx.isMe(from);
  const serverish = from === "" || !msg.source?.includes("!") || target === "*" ||
    !ctx.registered;
  let window: string;
  if (ctx.table.isChannel(target)) {
    window = ctx.table.windowOf(target);
  } else if (self) {
    window = target; // our own message echoed back: the conversation with target
  } else if (isNotice) {
    window = serverish ? STATUS_WINDOW : ACTIVE_WINDOW;
  } else {
    window = from;
    ctx.event({ type: "open", window: from, focus: false });
  }
  const history = batchOf(ctx, msg)?.type === "chathistory";
  const msgid = msg.tags["msgid"];
  const replyTo = msg.tags["+draft/reply"];
  deliver(ctx, msg, {
    time,
    window,
    kind,
    nick: from === "" ? ctx.serverName : from,
    text,
    self,
    // old lines neither ring nor count as mentions: they were seen (or missed) back then
    highlight: !history && !self && mentions(text, ctx.nick),
    ...(history ? { history: true } : {}),
    ...(msgid ? { msgid } : {}),
    ...(msg.tags["time"] !== undefined ? { stamped: true } : {}),
    ...(replyTo ? { replyTo } : {}),
  });
}

/** A reaction (TAGMSG with +draft/react and +draft/reply); other TAGMSGs (typing) are ignored. */
function onTagmsg(ctx: InboundContext, msg: IrcMessage, from: string): void {
  const reaction = msg.tags["+draft/react"];
  const parent = msg.tags["+draft/reply"];
  if (!reaction || !parent) return;
  const target = ctx.table.stripStatusPrefix(msg.params[0] ?? "");
  const e: ClientEvent = {
    type: "react",
    window: conversationOf(ctx, target, from),
    msgid: parent,
    nick: from,
    reaction,
    ...(msg.tags["msgid"] ? { id: msg.tags["msgid"] } : {}),
  };
  const b = batchOf(ctx, msg);
  if (b?.older) (b.after ??= []).push(e);
  else ctx.event(e);
}

/** A message was deleted (draft/message-redaction): `REDACT <target> <msgid> [reason]`. */
function onRedact(ctx: InboundContext, msg: IrcMessage, from: string): void {
  const [target = "", msgid = ""] = msg.params;
  if (msgid === "") return;
  const window = conversationOf(ctx, ctx.table.stripStatusPrefix(target), from);
  const b = batchOf(ctx, msg);
  const e: ClientEvent = { type: "redact", window, msgid };
  if (b?.older) (b.after ??= []).push(e);
  else ctx.event(e);
}

function onMarkread(ctx: InboundContext, msg: IrcMessage): void {
  const [target = "", param] = msg.params;
  const time = parseMarkreadParam(param);
  if (target === "" || time === undefined) return;
  const window = ctx.table.isChannel(target) ? ctx.table.windowOf(target) : target;
  ctx.event({ type: "markread", window, time });
}

/** The nicks of a 730/731 list (`a!u@h,b`). */
function monitorNicks(list: string): string[] {
  return list.split(",").filter((x) => x !== "").map((x) => nickOf(x));
}

function onPong(ctx: InboundContext, msg: IrcMessage): void {
  ctx.pong(msg.params[msg.params.length - 1] ?? "");
}

function onBatch(ctx: InboundContext, msg: IrcMessage): void {
  const [ref = "", type = "", target = ""] = msg.params;
  if (ref.startsWith("+")) {
    const b: OpenBatch = { type: type.toLowerCase(), target, tags: msg.tags, source: msg.source };
    if (b.type === "chathistory" && ctx.takeOlderRequest(target)) b.older = [];
    if (b.type === "draft/multiline") b.parts = [];
    if (b.type === "soju.im/search") b.found = [];
    ctx.batches.set(ref.slice(1), b);
  } else if (ref.startsWith("-")) {
    const b = ctx.batches.get(ref.slice(1));
    ctx.batches.delete(ref.slice(1));
    if (b?.older) {
      ctx.event({ type: "older", window: ctx.table.windowOf(b.target), lines: b.older });
      for (const e of b.after ?? []) ctx.event(e);
    }
    if (b?.parts && b.parts.length > 0) {
      // one message: handled as the PRIVMSG it stands for, with the batch's tags (msgid,
      // time, reply, and the enclosing batch when it is replayed history)
      const whole: IrcMessage = {
        tags: b.tags ?? {},
        source: b.source,
        command: "PRIVMSG",
        params: [b.target, joinMultiline(b.parts)],
      };
      onText(ctx, whole, nickOf(b.source), timeOf(whole));
    }
    if (b?.found) {
      ctx.event({ type: "search", query: ctx.takeSearch() ?? "", lines: b.found });
    }
  }
}

function timeOf(msg: IrcMessage): Date {
  const d = new Date(msg.tags["time"] ?? "");
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

function onStandardReply(ctx: InboundContext, msg: IrcMessage): void {
  // IRCv3 standard replies: COMMAND CODE [context...] :description
  const p = msg.params;
  const text = p[p.length - 1] ?? "";
  const what = (p[0] ?? "").toUpperCase();
  const fail = msg.command === "FAIL";
  ctx.emit({
    time: new Date(),
    window: ACTIVE_WINDOW,
    kind: fail ? "error" : "info",
    text: what === "REGISTER" && fail ? `Could not register the account: ${text}.` : text,
  });
  if (fail && what === "SEARCH") ctx.takeSearch();
  // a refused CHATHISTORY BEFORE must not leave its window waiting for a batch
  const target = p[3] ?? "";
  if (fail && what === "CHATHISTORY" && ctx.takeOlderRequest(target)) {
    ctx.event({ type: "older", window: ctx.table.windowOf(target), lines: [] });
  }
}

function onAway(ctx: InboundContext, msg: IrcMessage, from: string): void {
  if (ctx.table.setAway(from, msg.params.length > 0)) ctx.event({ type: "state" });
}

function onJoinError(ctx: InboundContext, msg: IrcMessage): boolean {
  if (ctx.table.refused(msg.params[1] ?? "")) ctx.joinSettled();
  return true;
}

/**
 * The handlers by command. A command missing here is ignored, a numeric missing here is
 * worded by describeNumeric.
 *
 * @example
 * ```ts
 * import { INBOUND_HANDLERS } from "./inbound.ts";
 * import assert from "node:assert/strict";
 * assert.equal(typeof INBOUND_HANDLERS["PRIVMSG"], "function");
 * ```
 */
export const INBOUND_HANDLERS: Readonly<Record<string, InboundHandler>> = {
  PING: (ctx, msg) => ctx.send(message("PONG", msg.params)),
  PONG: onPong,
  BATCH: onBatch,
  REGISTER: (ctx, msg) => {
    if ((msg.params[0] ?? "").toUpperCase() !== "SUCCESS") return;
    ctx.emit({
      time: new Date(),
      window: ACTIVE_WINDOW,
      kind: "info",
      text: `The account ${msg.params[1] ?? ""} is registered and you are logged in to it.`,
    });
  },
  FAIL: onStandardReply,
  WARN: onStandardReply,
  NOTE: onStandardReply,
  ERROR: (ctx, msg, _from, time) =>
    ctx.emit({
      time,
      window: ACTIVE_WINDOW,
      kind: ctx.stopping ? "info" : "error",
      text: `The server closed the link: ${msg.params[0] ?? ""}`,
    }),
  JOIN: onJoin,
  PART: onPart,
  KICK: onKick,
  QUIT: onQuit,
  NICK: onNick,
  TOPIC: onTopic,
  MODE: onMode,
  PRIVMSG: onText,
  NOTICE: onText,
  INVITE: (ctx, msg, from, time) => {
    const chan = msg.params[1] ?? "";
    ctx.emit({
      time,
      window: ACTIVE_WINDOW,
      kind: "info",
      text: `${from} invites you to ${chan} (type /join ${chan}).`,
    });
  },
  AWAY: onAway,
  ACCOUNT: ignore,
  CHGHOST: ignore,
  TAGMSG: onTagmsg,
  REDACT: onRedact,
  MARKREAD: onMarkread,
  [N.RPL_MONONLINE]: (ctx, msg) => ctx.presence(monitorNicks(msg.params[1] ?? ""), true),
  [N.RPL_MONOFFLINE]: (ctx, msg) => ctx.presence(monitorNicks(msg.params[1] ?? ""), false),
  [N.RPL_MONLIST]: ignore,
  [N.RPL_ENDOFMONLIST]: ignore,
  [N.ERR_MONLISTFULL]: (ctx, msg, _from, time) =>
    ctx.emit({
      time,
      window: ACTIVE_WINDOW,
      kind: "error",
      text: `Your notify list is full (at most ${msg.params[1] ?? "?"} nicks): ${
        msg.params[2] ?? ""
      } could not be added.`,
    }),
  [N.RPL_ISON]: (ctx, msg) => {
    if (!ctx.isonReply((msg.params[1] ?? "").split(" ").filter((x) => x !== ""))) return true;
  },
  [N.RPL_WELCOME]: (ctx, msg) => {
    ctx.welcome(msg);
    return true;
  },
  [N.RPL_ISUPPORT]: (ctx, msg) => {
    ctx.table.isupport(msg.params.slice(1, -1));
    ctx.isupport(msg.params.slice(1, -1));
  },
  [N.RPL_NAMREPLY]: (ctx, msg) => ctx.table.addNames(msg.params[2] ?? "", msg.params[3] ?? ""),
  [N.RPL_ENDOFNAMES]: (ctx, msg, _from, time) => {
    const chan = msg.params[1] ?? "";
    const { channel, list } = ctx.table.endOfNames(chan);
    const shown = list.map((m) => (m.prefixes[0] ?? "") + m.nick).sort((a, b) =>
      casefold(a.replace(/^[^A-Za-z\[\]\\`_^{|}]/, "")) <
          casefold(b.replace(/^[^A-Za-z\[\]\\`_^{|}]/, ""))
        ? -1
        : 1
    );
    ctx.emit({
      time,
      window: channel ? channel.name : ACTIVE_WINDOW,
      kind: "info",
      text: `${list.length} on ${chan}: ${shown.join(" ")}`,
    });
    ctx.event({ type: "state" });
  },
  [N.RPL_WHOREPLY]: (ctx, msg) => {
    const [, chan = "", , , , nick = "", flags = ""] = msg.params;
    if (!ctx.table.whoReply(chan, nick, flags)) return true;
  },
  [N.RPL_ENDOFWHO]: (ctx, msg) => {
    if (!ctx.table.whoEnd(msg.params[1] ?? "")) return true;
    ctx.event({ type: "state" });
  },
  // our own away state: away-notify does not echo it back
  [N.RPL_NOWAWAY]: (ctx) => {
    if (ctx.table.setAway(ctx.nick, true)) ctx.event({ type: "state" });
    return true;
  },
  [N.RPL_UNAWAY]: (ctx) => {
    if (ctx.table.setAway(ctx.nick, false)) ctx.event({ type: "state" });
    return true;
  },
  [N.RPL_TOPIC]: (ctx, msg) => {
    ctx.table.setTopic(msg.params[1] ?? "", msg.params[2] ?? "");
    ctx.event({ type: "state" });
    return true;
  },
  ...Object.fromEntries(JOIN_ERRORS.map((code) => [code, onJoinError])),
};

/**
 * Handles one message from the server with {@link INBOUND_HANDLERS}, wording numerics.
 *
 * @example
 * ```ts
 * import { handleInbound, type InboundContext } from "./inbound.ts";
 * import { parseMessage } from "../protocol/message.ts";
 * const sent: string[] = [];
 * const ctx = { send: (m: { params: string[] }) => sent.push(m.params[0]) } as unknown as InboundContext;
 * handleInbound(ctx, parseMessage("PING :x")!, "", new Date());
 * // sent is ["x"]
 * ```
 */
export function handleInbound(
  ctx: InboundContext,
  msg: IrcMessage,
  from: string,
  time: Date,
): void {
  const handler = INBOUND_HANDLERS[msg.command];
  const more = handler ? handler(ctx, msg, from, time) === true : true;
  if (more && /^\d{3}$/.test(msg.command)) describeInbound(ctx, msg, time);
}

function describeInbound(ctx: InboundContext, msg: IrcMessage, time: Date): void {
  const d = describeNumeric(msg);
  if (!d) return;
  let window = ACTIVE_WINDOW;
  if (!ctx.registered || STATUS_NUMERICS.has(msg.command)) window = STATUS_WINDOW;
  else if (d.channel && ctx.table.get(d.channel)) window = ctx.table.windowOf(d.channel);
  ctx.emit({ time, window, kind: d.kind, text: d.text });
}
