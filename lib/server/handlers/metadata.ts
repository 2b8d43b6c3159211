/**
 * METADATA (IRCv3 `draft/metadata-2`): users set key → value pairs on themselves (a display
 * name, an avatar URL) and channel operators on their channels; anyone reads a user's, a
 * channel's members read the channel's. A connection subscribes to the keys it understands
 * and then hears of changes to them for itself, the channels it is in and their members,
 * and gets the current values when it joins a channel. Before registration a client may
 * already subscribe and set its own keys (`before-connect`); they apply once it registers.
 *
 * The state lives in the {@link MetadataTable} (lib/server/metadata.ts); this file speaks
 * the protocol: replies, batches and who is told.
 *
 * @module
 */

import {
  ERR_NEEDMOREPARAMS,
  RPL_KEYNOTSET,
  RPL_KEYVALUE,
  RPL_METADATASUBOK,
  RPL_METADATASUBS,
  RPL_METADATASYNCLATER,
  RPL_METADATAUNSUBOK,
} from "../../protocol/numerics.ts";
import { isChannelName } from "../../protocol/validate.ts";
import type { Context } from "../context.ts";
import { toPeers } from "../delivery.ts";
import { charge } from "../fakelag.ts";
import {
  isValidMetadataKey,
  METADATA_CAP,
  type MetadataTable,
  type MetadataTarget,
  valueBytes,
} from "../metadata.ts";
import { Outgoing } from "../outgoing.ts";
import type { ChatServer } from "../server.ts";
import type { Session } from "../session.ts";
import type { Channel } from "../channel.ts";
import type { User } from "../user.ts";

const CMD = "METADATA";
/** Bytes of keys in one 770/771/772 line, so it stays far below 512 with any nick. */
const KEYS_PER_LINE_BYTES = 400;
/**
 * The share of the SendQ a JOIN's metadata may take: beyond it (a large channel of members
 * with many keys) the joiner is told to SYNC later instead of being dropped for SendQ.
 */
const JOIN_SYNC_SENDQ_SHARE = 4;
/** The seconds ERR_METADATASYNCLATER asks a client to wait. */
const SYNC_RETRY_SECONDS = "10";

function isChannel(target: MetadataTarget): target is Channel {
  return "members" in target;
}

/** The name a target goes by on the wire. */
function nameOf(target: MetadataTarget): string {
  return isChannel(target) ? target.name : target.nick;
}

/** The `METADATA <target> <key> <visibility> [:value]` line (visibility is always `*`). */
function metadataLine(
  server: ChatServer,
  target: MetadataTarget,
  key: string,
  value: string | undefined,
): Outgoing {
  const params = [nameOf(target), key, "*"];
  if (value !== undefined) params.push(value);
  return new Outgoing(server.name, CMD, params);
}

/**
 * Tells the sessions that follow `target` and subscribed to `key` that it changed: for a
 * channel, its members; for a user, everyone sharing a channel with it and its own other
 * devices. `origin` (the session that made the change) is not told: it had the reply.
 */
export function notifyMetadata(
  server: ChatServer,
  target: MetadataTarget,
  key: string,
  value: string | undefined,
  origin: Session | undefined,
): void {
  const table = server.metadata;
  let out: Outgoing | undefined;
  const pick = (s: Session) => {
    if (s === origin || !table.wants(s, key)) return undefined;
    return out ??= metadataLine(server, target, key, value);
  };
  if (isChannel(target)) {
    for (const member of target.members.keys()) {
      for (const s of member.sessions) {
        const o = pick(s);
        if (o) s.send(o);
      }
    }
    return;
  }
  if (!target.registered) return;
  toPeers(target, pick, true);
}

/** Keys as few 770/771/772 lines as fit. */
function keyLines(ctx: Context, code: string, keys: readonly string[]): void {
  let line: string[] = [];
  let bytes = 0;
  for (const key of keys) {
    if (line.length > 0 && bytes + key.length + 1 > KEYS_PER_LINE_BYTES) {
      ctx.numeric(code, line.join(" "));
      line = [];
      bytes = 0;
    }
    line.push(key);
    bytes += key.length + 1;
  }
  if (line.length > 0) ctx.numeric(code, line.join(" "));
}

/** The METADATA lines a session subscribed to, of one target. */
function subscribedLines(
  server: ChatServer,
  session: Session,
  target: MetadataTarget,
  keys?: ReadonlySet<string>,
): Outgoing[] {
  const table = server.metadata;
  const subs = table.subscriptions(session);
  const lines: Outgoing[] = [];
  for (const [key, value] of table.list(target)) {
    if (subs.has(key) && (keys === undefined || keys.has(key))) {
      lines.push(metadataLine(server, target, key, value));
    }
  }
  return lines;
}

/** A channel's metadata and its members', the keys `session` subscribed to. */
function channelSync(server: ChatServer, session: Session, channel: Channel): Outgoing[] {
  const lines = subscribedLines(server, session, channel);
  for (const member of channel.members.keys()) {
    lines.push(...subscribedLines(server, session, member));
  }
  return lines;
}

/**
 * Sends `lines` to `session` in a `metadata` batch (with `param`, the target, when given):
 * through the command's buffer when it is the command's session, else straight.
 */
function sendBatch(
  ctx: Context,
  session: Session,
  param: string | undefined,
  lines: readonly Outgoing[],
): void {
  const params = param === undefined ? [] : [param];
  if (session === ctx.session) {
    const id = ctx.rb.startBatch("metadata", params);
    for (const l of lines) ctx.rb.add(l);
    ctx.rb.endBatch(id);
    return;
  }
  if (!session.caps.has("batch")) {
    for (const l of lines) session.send(l);
    return;
  }
  const id = ctx.server.nextBatchId();
  session.send(new Outgoing(ctx.server.name, "BATCH", ["+" + id, "metadata", ...params]));
  for (const l of lines) session.write(l.bytesWith(session.tagMask, { batch: id }));
  session.send(new Outgoing(ctx.server.name, "BATCH", ["-" + id]));
}

/** What a METADATA command is about, as the handler resolved it. */
interface Resolved {
  target: MetadataTarget;
  /** Its name in replies: `*` for oneself before registration. */
  name: string;
}

function resolve(ctx: Context, raw: string): Resolved | undefined {
  const user = ctx.user;
  if (raw === "*") return { target: user, name: user.registered ? user.nick : "*" };
  if (!user.registered) return undefined;
  if (isChannelName(raw)) {
    const channel = ctx.channels.find(raw);
    return channel ? { target: channel, name: channel.name } : undefined;
  }
  const other = ctx.users.find(raw);
  return other ? { target: other, name: other.nick } : undefined;
}

function canSee(ctx: Context, target: MetadataTarget): boolean {
  return !isChannel(target) || target.members.has(ctx.user) || ctx.user.oper;
}

function canEdit(ctx: Context, target: MetadataTarget): boolean {
  if (isChannel(target)) return target.isOp(ctx.user) || ctx.user.oper;
  return target === ctx.user;
}

/** METADATA <target> <GET|LIST|SET|CLEAR|SUB|UNSUB|SUBS|SYNC> [params]. */
export function handleMetadata(ctx: Context): void {
  const fail = (code: string, context: string[], text: string) =>
    ctx.fail(CMD, code, context, text);
  const raw = ctx.params[0];
  const sub = ctx.params[1].toUpperCase();
  const needsKey = sub === "GET" || sub === "SET" || sub === "SUB" || sub === "UNSUB";
  if (needsKey && ctx.params.length < 3) {
    ctx.numeric(ERR_NEEDMOREPARAMS, CMD, "Not enough parameters");
    return;
  }
  switch (sub) {
    case "SUB":
      return subscribe(ctx, ctx.params.slice(2));
    case "UNSUB":
      return unsubscribe(ctx, ctx.params.slice(2));
    case "SUBS": {
      const id = ctx.rb.startBatch("metadata-subs");
      keyLines(ctx, RPL_METADATASUBS, [...ctx.server.metadata.subscriptions(ctx.session)]);
      ctx.rb.endBatch(id);
      return;
    }
    case "GET":
    case "LIST":
    case "SET":
    case "CLEAR":
    case "SYNC":
      break;
    default:
      fail("INVALID_SUBCOMMAND", [ctx.params[1]], "Invalid subcommand");
      return;
  }
  const found = resolve(ctx, raw);
  if (!found) {
    if (!ctx.user.registered) {
      fail("KEY_NO_PERMISSION", [raw, "*"], "Before registering, only your own (*) metadata");
    } else fail("INVALID_TARGET", [raw], "Invalid metadata target");
    return;
  }
  const { target, name } = found;
  const table = ctx.server.metadata;
  const keyLen = ctx.limits.metadataKeyLen;
  if (sub === "SET" || sub === "CLEAR") {
    if (sub === "SET" && !isValidMetadataKey(ctx.params[2], keyLen)) {
      fail("INVALID_KEY", [ctx.params[2]], "Invalid key");
      return;
    }
    if (!canEdit(ctx, target)) {
      const key = sub === "SET" ? ctx.params[2] : "*";
      fail("KEY_NO_PERMISSION", [name, key], `You may not change the metadata of ${name}`);
      return;
    }
    if (sub === "CLEAR") {
      const id = ctx.rb.startBatch("metadata", [name]);
      const cleared = table.clear(target);
      for (const [key] of cleared) {
        ctx.numeric(RPL_KEYNOTSET, name, key, "Key deleted");
        notifyMetadata(ctx.server, target, key, undefined, ctx.session);
      }
      ctx.rb.endBatch(id);
      if (cleared.length > 0) chargeChange(ctx);
      return;
    }
    return set(ctx, target, name, table);
  }
  if (!canSee(ctx, target)) {
    fail("KEY_NO_PERMISSION", [name, "*"], `You are not on ${name}`);
    return;
  }
  if (sub === "SYNC") {
    const lines = isChannel(target)
      ? channelSync(ctx.server, ctx.session, target)
      : subscribedLines(ctx.server, ctx.session, target);
    sendBatch(ctx, ctx.session, name, lines);
    return;
  }
  const id = ctx.rb.startBatch("metadata", [name]);
  if (sub === "LIST") {
    for (const [key, value] of table.list(target)) {
      ctx.numeric(RPL_KEYVALUE, name, key, "*", value);
    }
  } else {
    for (const key of ctx.params.slice(2)) {
      if (!isValidMetadataKey(key, keyLen)) {
        fail("INVALID_KEY", [key], "Invalid key");
        continue;
      }
      const value = table.get(target, key);
      if (value === undefined) ctx.numeric(RPL_KEYNOTSET, name, key, "Key not set");
      else ctx.numeric(RPL_KEYVALUE, name, key, "*", value);
    }
  }
  ctx.rb.endBatch(id);
}

/** SET <key> [value]: no value removes the key (an empty one is a value). */
function set(ctx: Context, target: MetadataTarget, name: string, table: MetadataTable): void {
  const key = ctx.params[2];
  const value = ctx.params.length > 3 ? ctx.params[3] : undefined;
  const max = ctx.limits.metadataMaxValueBytes;
  if (value !== undefined && valueBytes(value) > max) {
    ctx.fail(CMD, "INVALID_VALUE", [key], `The value is longer than ${max} bytes`);
    return;
  }
  switch (table.set(target, key, value)) {
    case "limit":
      ctx.fail(
        CMD,
        "LIMIT_REACHED",
        [name],
        `Metadata limit reached: ${ctx.limits.metadataMaxKeys} keys`,
      );
      return;
    case "not-set":
      ctx.fail(CMD, "KEY_NOT_SET", [name, key], "Key not set");
      return;
    case "unchanged":
      ctx.numeric(RPL_KEYVALUE, name, key, "*", value!);
      return;
    case "set":
      ctx.numeric(RPL_KEYVALUE, name, key, "*", value!);
      break;
    case "deleted":
      ctx.numeric(RPL_KEYNOTSET, name, key, "Key deleted");
      break;
  }
  notifyMetadata(ctx.server, target, key, value, ctx.session);
  chargeChange(ctx);
}

/**
 * The rate limit of changes: through flood control, as every line, at a higher price (its
 * next lines wait; nothing is refused, so no RATE_LIMITED is ever needed).
 */
function chargeChange(ctx: Context): void {
  charge(ctx.session, ctx.limits, ctx.limits.metadataChangeCost, Date.now());
}

function validKeys(ctx: Context, keys: readonly string[]): string[] {
  const valid: string[] = [];
  for (const key of keys) {
    if (isValidMetadataKey(key, ctx.limits.metadataKeyLen)) valid.push(key);
    else ctx.fail(CMD, "INVALID_KEY", [key], "Invalid key");
  }
  return valid;
}

/**
 * SUB: in order, up to `max-subs` (the first key that did not fit is named). Once
 * registered, the current values of the newly subscribed keys follow, for the user itself,
 * its channels and their members, in one `metadata` batch.
 */
function subscribe(ctx: Context, keys: readonly string[]): void {
  const table = ctx.server.metadata;
  const before = new Set(table.subscriptions(ctx.session));
  const { added, refused } = table.subscribe(ctx.session, validKeys(ctx, keys));
  if (refused !== undefined) {
    ctx.fail(
      CMD,
      "TOO_MANY_SUBS",
      [refused],
      `Too many subscriptions: ${ctx.limits.metadataMaxSubs} keys`,
    );
  }
  keyLines(ctx, RPL_METADATASUBOK, added);
  const fresh = new Set(added.filter((k) => !before.has(k)));
  const user = ctx.user;
  if (!user.registered || fresh.size === 0 || !ctx.session.caps.has(METADATA_CAP)) return;
  const lines = subscribedLines(ctx.server, ctx.session, user, fresh);
  const seen = new Set<User>([user]);
  for (const channel of user.channels) {
    lines.push(...subscribedLines(ctx.server, ctx.session, channel, fresh));
    for (const member of channel.members.keys()) {
      if (seen.has(member)) continue;
      seen.add(member);
      lines.push(...subscribedLines(ctx.server, ctx.session, member, fresh));
    }
  }
  if (lines.length > 0) sendBatch(ctx, ctx.session, undefined, lines);
}

function unsubscribe(ctx: Context, keys: readonly string[]): void {
  const removed = ctx.server.metadata.unsubscribe(ctx.session, validKeys(ctx, keys));
  keyLines(ctx, RPL_METADATAUNSUBOK, removed);
}

/**
 * After a JOIN (and its NAMES): the channel's metadata and its members' to the joining
 * user's sessions that subscribed (only the command's with `onlyThisSession`: a device
 * attaching), each in a `metadata` batch; and the joiner's own metadata to the members who
 * did not share a channel with it before, so they can show its display name.
 */
export function sendMetadataOnJoin(
  ctx: Context,
  channel: Channel,
  onlyThisSession = false,
): void {
  const user = ctx.user;
  const server = ctx.server;
  const budget = server.sendQ / JOIN_SYNC_SENDQ_SHARE;
  for (const s of user.sessions) {
    if (onlyThisSession && s !== ctx.session) continue;
    if (!s.caps.has(METADATA_CAP) || server.metadata.subscriptions(s).size === 0) continue;
    const lines = channelSync(server, s, channel);
    let bytes = 0;
    for (const l of lines) bytes += 48 + l.params.reduce((n, p) => n + p.length, 0);
    if (bytes <= budget) {
      sendBatch(ctx, s, channel.name, lines);
      continue;
    }
    const later = new Outgoing(server.name, RPL_METADATASYNCLATER, [
      user.nick,
      channel.name,
      SYNC_RETRY_SECONDS,
    ]);
    if (s === ctx.session) ctx.send(later);
    else s.send(later);
  }
  if (onlyThisSession) return;
  const own = server.metadata.list(user);
  if (own.size === 0) return;
  for (const member of channel.members.keys()) {
    if (member === user) continue;
    let shared = false;
    for (const c of member.channels) {
      if (c !== channel && c.members.has(user)) {
        shared = true;
        break;
      }
    }
    if (shared) continue;
    for (const s of member.sessions) {
      for (const l of subscribedLines(server, s, user)) s.send(l);
    }
  }
}

/**
 * At the end of registration: metadata set before registering goes to the user it became
 * (a device attaching to its account's user adds its keys there), an account's stored
 * metadata is taken up, and a session with the capability gets its user's metadata in a
 * `metadata` batch (empty when there is none), as the specification asks.
 */
export async function sendMetadataOnWelcome(ctx: Context, placeholder: User): Promise<void> {
  const user = ctx.user;
  const table = ctx.server.metadata;
  if (placeholder !== user) {
    for (const [key, value] of [...table.list(placeholder)]) {
      if (table.set(user, key, value) === "set") {
        notifyMetadata(ctx.server, user, key, value, ctx.session);
      }
    }
  } else if (user.account !== undefined) {
    try {
      await table.adopt(user);
    } catch (err) {
      console.error(`reading metadata failed: ${(err as Error).message}`);
    }
    if (ctx.session.dead) return;
  }
  if (!ctx.session.caps.has(METADATA_CAP)) return;
  const lines = [...table.list(user)].map(([k, v]) => metadataLine(ctx.server, user, k, v));
  sendBatch(ctx, ctx.session, user.nick, lines);
}

/**
 * A registered user logged in: the account's stored metadata is taken up, and whoever
 * follows the user (its own devices included) hears of the keys it brought.
 */
export async function adoptAccountMetadata(server: ChatServer, user: User): Promise<void> {
  try {
    for (const [key, value] of await server.metadata.adopt(user)) {
      notifyMetadata(server, user, key, value, undefined);
    }
  } catch (err) {
    console.error(`reading metadata failed: ${(err as Error).message}`);
  }
}
