/**
 * History: IRCv3 `draft/chathistory` (LATEST, BEFORE, AFTER, AROUND, BETWEEN, TARGETS) and
 * the replay of a channel's last lines on join for clients that cannot ask for them.
 *
 * @module
 */

import { isChannelName } from "../../protocol/validate.ts";
import {
  dmKey,
  dmParties,
  type HistoryBound,
  type HistoryMessage,
  StoreUnavailableError,
} from "../../store/store.ts";
import { historyParty, type PartyLookup, partyNick, partyOfNick } from "../history_keys.ts";
import type { Channel } from "../channel.ts";
import type { Context } from "../context.ts";
import { MultilineOutgoing, splitParts } from "../multiline.ts";
import { Outgoing } from "../outgoing.ts";

/** Parses a CHATHISTORY reference: `*`, `timestamp=<ISO 8601>` or `msgid=<id>`. */
export function parseReference(
  ref: string,
  findMessage: (msgid: string) => Promise<HistoryBound | undefined>,
): Promise<HistoryBound | "*" | undefined> {
  if (ref === "*") return Promise.resolve("*");
  if (ref.startsWith("timestamp=")) {
    const t = Date.parse(ref.slice(10));
    return Promise.resolve(Number.isNaN(t) ? undefined : { time: t });
  }
  if (ref.startsWith("msgid=")) return findMessage(ref.slice(6));
  return Promise.resolve(undefined);
}

/**
 * A stored message as it is replayed: a multiline message as one (a draft/multiline batch
 * inside the history batch, or its lines), a reaction as its TAGMSG.
 */
export function historyLine(m: HistoryMessage, nextId: () => string): Outgoing {
  const tags: Record<string, string> = {
    ...(m.tags ?? {}),
    time: new Date(m.time).toISOString(),
    msgid: m.msgid,
  };
  if (m.account) tags["account"] = m.account;
  if (m.command === "TAGMSG") return new Outgoing(m.source, "TAGMSG", [m.rawTarget], tags);
  if (m.multiline !== undefined) {
    const parts = splitParts(m.text, m.multiline);
    return new MultilineOutgoing(m.source, m.command, m.rawTarget, parts, tags, nextId);
  }
  return new Outgoing(m.source, m.command, [m.rawTarget, m.text], tags);
}

/** The stored messages this session can take: a TAGMSG means nothing without message-tags. */
function forSession(ctx: Context, messages: HistoryMessage[]): HistoryMessage[] {
  if (ctx.session.caps.has("message-tags")) return messages;
  return messages.filter((m) => m.command !== "TAGMSG");
}

/** Replies with messages, inside a batch of `type` when the client accepts batches. */
function sendBatch(ctx: Context, type: string, params: string[], lines: Outgoing[]): void {
  const id = ctx.rb.startBatch(type, params);
  for (const out of lines) ctx.send(out);
  ctx.rb.endBatch(id);
}

/** A key no stored conversation has (a private one always names two parties). */
const NO_CONVERSATION = "dm:";

/**
 * CHATHISTORY <subcommand> ...: windows of a channel's or a private conversation's history.
 * Channels need membership; private history is the pair's own.
 */
export async function handleChathistory(ctx: Context): Promise<void> {
  const store = ctx.store;
  const sub = (ctx.params[0] ?? "").toUpperCase();
  const max = ctx.limits.chathistoryMax;
  const fail = (code: string, context: string[], text: string) =>
    ctx.fail("CHATHISTORY", code, context, text);
  const needed: Record<string, number> = {
    LATEST: 4,
    BEFORE: 4,
    AFTER: 4,
    AROUND: 4,
    BETWEEN: 5,
    TARGETS: 4,
  };
  if (!(sub in needed)) {
    fail("INVALID_PARAMS", [sub || "*"], "Unknown CHATHISTORY subcommand");
    return;
  }
  if (ctx.params.length < needed[sub]) {
    fail("NEED_MORE_PARAMS", [sub], "Missing parameters");
    return;
  }
  const limitRaw = ctx.params[needed[sub] - 1];
  const limit = Math.min(Number(limitRaw), max);
  if (!/^\d+$/.test(limitRaw)) {
    fail("INVALID_PARAMS", [sub, limitRaw], "The limit must be a number");
    return;
  }
  const ref = (i: number) => parseReference(ctx.params[i], (id) => store.findMessage(id));

  if (sub === "TARGETS") {
    const a = await ref(1), b = await ref(2);
    if (!a || !b || a === "*" || b === "*") {
      fail("INVALID_PARAMS", [sub], "TARGETS takes two timestamps");
      return;
    }
    const me = historyParty(ctx.user);
    const lookup = partyLookup(ctx);
    // a private conversation is listed under the other side's nick, and only while it can
    // still be asked for (a guest who left cannot)
    const names = new Map<string, string | undefined>();
    const nameOf = (key: string): string | undefined => {
      const parties = dmParties(key);
      if (!parties) return undefined;
      if (!names.has(key)) {
        const other = parties[0] === me ? parties[1] : parties[0];
        names.set(key, other === me ? ctx.user.nick : partyNick(lookup, other));
      }
      return names.get(key);
    };
    const keys = [...ctx.user.channels].map((c) => c.folded);
    const found = await store.targets(a.time, b.time, limit, { keys, party: me });
    // a conversation with a guest who has left cannot be asked for; a channel's is listed
    // only when it has lines of this channel's own
    const listed = found.filter((t) => {
      if (dmParties(t.target)) return nameOf(t.target) !== undefined;
      const chan = ctx.channels.get(t.target);
      return chan === undefined || t.latest >= chan.historyFloor;
    });
    const lines = listed.map((t) =>
      new Outgoing(ctx.server.name, "CHATHISTORY", [
        "TARGETS",
        nameOf(t.target) ?? t.rawTarget,
        new Date(t.latest).toISOString(),
      ])
    );
    sendBatch(ctx, "draft/chathistory-targets", [], lines);
    return;
  }

  const target = ctx.params[1];
  let key: string;
  // where a channel's history starts (see Channel.historyFloor); private history has none
  let floor = -Infinity;
  if (isChannelName(target)) {
    const channel = ctx.channels.find(target);
    if (!channel || !channel.members.has(ctx.user)) {
      fail("INVALID_TARGET", [sub, target], "You are not on that channel");
      return;
    }
    key = channel.folded;
    floor = channel.historyFloor;
  } else {
    const other = await partyOfNick(partyLookup(ctx), target);
    // nobody online by that nick and no such account: an empty batch, after the same checks
    key = other === undefined ? NO_CONVERSATION : dmKey(historyParty(ctx.user), other);
  }
  const r1 = await ref(2);
  if (r1 === undefined || (r1 === "*" && sub !== "LATEST")) {
    fail("INVALID_PARAMS", [sub, ctx.params[2]], "Unknown message reference");
    return;
  }
  // a bound before the floor counts from the floor (exclusive bounds: just below it)
  const clamp = (b: HistoryBound): HistoryBound => b.time >= floor ? b : { time: floor - 1 };
  let messages: HistoryMessage[];
  switch (sub) {
    case "LATEST": {
      const after = r1 === "*"
        ? (floor === -Infinity ? undefined : { time: floor - 1 })
        : clamp(r1);
      messages = await store.latest(key, limit, after);
      break;
    }
    case "BEFORE":
      messages = await store.before(key, r1 as HistoryBound, limit);
      break;
    case "AFTER":
      messages = await store.after(key, clamp(r1 as HistoryBound), limit);
      break;
    case "AROUND": {
      const bound = r1 as HistoryBound;
      const before = await store.before(key, bound, Math.floor(limit / 2));
      const after = await store.after(key, bound, limit - before.length, true);
      messages = [...before, ...after];
      break;
    }
    default: { // BETWEEN
      const r2 = await ref(3);
      if (r2 === undefined || r2 === "*" || r1 === "*") {
        fail("INVALID_PARAMS", [sub, ctx.params[3]], "Unknown message reference");
        return;
      }
      const ascending = r1.time <= r2.time;
      messages =
        await (ascending
          ? store.between(key, clamp(r1), r2, limit, false)
          : store.between(key, clamp(r2), r1, limit, true));
    }
  }
  messages = forSession(ctx, messages.filter((m) => m.time >= floor));
  const nextId = ctx.server.nextBatchId;
  sendBatch(ctx, "chathistory", [target], messages.map((m) => historyLine(m, nextId)));
}

/** When a session started hearing a channel live: a time, and a mark in the msgid sequence. */
export interface LiveFrom {
  readonly time: number;
  readonly mark: number;
}

/** Now, as a {@link LiveFrom}: taken right before a session starts hearing a channel. */
export function liveFrom(ctx: Context): LiveFrom {
  return { time: Date.now(), mark: ctx.server.msgidMark() };
}

/**
 * On join, replays a channel's last lines to clients without chathistory (those with it
 * ask for exactly what they want). Clients without server-time see the time in the text.
 * With `since` (ms), only the lines after it: what a returning device missed. `live` is
 * when the session started hearing the channel live (see {@link liveFrom}): the store is
 * read after that, so what came meanwhile was delivered already and is left out.
 */
export async function playHistoryOnJoin(
  ctx: Context,
  channel: Channel,
  since = -Infinity,
  live?: LiveFrom,
): Promise<void> {
  const n = ctx.limits.historyPlayback;
  if (n <= 0 || ctx.session.caps.has("draft/chathistory")) return;
  // only this channel's own history (see Channel.historyFloor), and with `since` (a device
  // returning to an always-on user) only what came after
  let messages: HistoryMessage[];
  try {
    messages = await replayable(ctx, channel, n, since);
    if (live !== undefined) {
      // this process's own messages by their place in its msgid sequence (two in the same
      // millisecond as the join can fall on either side of it); others' by their time
      messages = messages.filter((m) =>
        ctx.server.madeBefore(m.msgid, live.mark) ?? m.time < live.time
      );
    }
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    // the JOIN itself is done: say why no history came, and carry on
    ctx.reply("NOTE", [
      "JOIN",
      "HISTORY_UNAVAILABLE",
      channel.name,
      "The history is unavailable right now (the server's database is away)",
    ]);
    return;
  }
  if (messages.length === 0) return;
  sendBatch(ctx, "chathistory", [channel.name], replayLines(ctx, messages));
}

/** Stored lines as replayed: with their time as a tag, or in the text without server-time. */
function replayLines(ctx: Context, messages: HistoryMessage[]): Outgoing[] {
  const stamped = ctx.session.caps.has("server-time");
  const nextId = ctx.server.nextBatchId;
  return messages.map((m) => {
    if (stamped || m.command === "TAGMSG") return historyLine(m, nextId);
    const when = new Date(m.time).toISOString().replace("T", " ").slice(0, 16);
    // the stamp goes before the first line (a multiline message's offsets shift with it)
    const stamp = `[${when}] `;
    const multiline = m.multiline?.map((i) => i + stamp.length);
    return historyLine({ ...m, text: stamp + m.text, multiline }, nextId);
  });
}

/**
 * For a device returning to an always-on user: replays the private messages that came while
 * no device was connected (after `since`, ms), one batch per conversation, up to
 * `historyPlayback` lines each, to clients without chathistory (those with it ask).
 */
export async function playMissedPrivate(ctx: Context, since: number): Promise<void> {
  const n = ctx.limits.historyPlayback;
  if (n <= 0 || ctx.session.caps.has("draft/chathistory")) return;
  const me = historyParty(ctx.user);
  const found = await ctx.store.targets(since, Date.now() + 1, ctx.limits.chathistoryMax, {
    keys: [],
    party: me,
  });
  const lookup = partyLookup(ctx);
  // oldest conversation first, as they happened
  for (const t of found.reverse()) {
    const parties = dmParties(t.target);
    if (!parties || ctx.session.dead) continue;
    const other = parties[0] === me ? parties[1] : parties[0];
    const messages = forSession(ctx, await ctx.store.latest(t.target, n, { time: since }));
    if (messages.length === 0) continue;
    const name = other === me ? ctx.user.nick : partyNick(lookup, other) ?? t.rawTarget;
    sendBatch(ctx, "chathistory", [name], replayLines(ctx, messages));
  }
}

/** Reads of older history the join replay makes at most to make up for skipped reactions. */
const REPLAY_READS = 4;

/**
 * The channel's last `n` messages this session can take, from this channel's own history
 * (see Channel.historyFloor). For a client without message-tags, reactions are skipped and
 * older messages read in their place (a few reads at most), so that a lively round of
 * reactions does not leave it with only a handful of lines.
 */
async function replayable(
  ctx: Context,
  channel: Channel,
  n: number,
  since = -Infinity,
): Promise<HistoryMessage[]> {
  const floor = Math.max(channel.historyFloor, since + 1);
  let page = await ctx.store.latest(channel.folded, n, { time: floor - 1 });
  if (ctx.session.caps.has("message-tags")) return page;
  let kept = forSession(ctx, page);
  for (let i = 0; i < REPLAY_READS && kept.length < n && page.length > 0; i++) {
    const oldest = page[0];
    page = (await ctx.store.before(channel.folded, oldest, n - kept.length))
      .filter((m) => m.time >= floor);
    kept = [...forSession(ctx, page), ...kept];
  }
  return kept;
}

/** The server's users and accounts, as the private-history lookups need them. */
export function partyLookup(ctx: Context): PartyLookup {
  const server = ctx.server;
  return {
    findUser: (nick) => ctx.users.find(nick),
    accountExists: async (folded) => (await ctx.store.getAccount(folded)) !== undefined,
    users: server.users,
  };
}
