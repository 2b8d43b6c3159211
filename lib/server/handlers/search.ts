/**
 * SEARCH: history search as soju specifies it (`soju.im/search`, doc/ext/search.md in soju's
 * repository), which gamja and other soju clients already speak. Ergo offers no search
 * command of its own (its history is read with CHATHISTORY and HistServ), so soju's is the
 * one vendor specification with clients to meet. Attributes come in message-tag form:
 * `SEARCH text=deploy;in=#ops;from=ann;before=…;after=…;limit=20`, and the matches come
 * back oldest first in a `soju.im/search` batch, as CHATHISTORY would replay them.
 *
 * Only what the caller may read is searched: the channels they are in, each from its
 * history floor (the channel's current incarnation), and their own private conversations.
 *
 * @module
 */

import { casefold } from "../../protocol/casemap.ts";
import { parseTags } from "../../protocol/message.ts";
import { isChannelName } from "../../protocol/validate.ts";
import { dmKey, type SearchQuery } from "../../store/store.ts";
import { historyParty, partyOfNick } from "../history_keys.ts";
import type { Context } from "../context.ts";
import { historyLine, partyLookup } from "./history.ts";

/** The capability that enables SEARCH, and the batch type of its answer. */
export const SEARCH_CAP = "soju.im/search";

/** SEARCH <attributes>. */
export async function handleSearch(ctx: Context): Promise<void> {
  const fail = (code: string, context: string[], text: string) =>
    ctx.fail("SEARCH", code, context, text);
  if (!ctx.session.caps.has(SEARCH_CAP)) {
    fail("INVALID_PARAMS", [], `Enable the ${SEARCH_CAP} capability to search`);
    return;
  }
  const attrs = parseTags(ctx.params[0] ?? "");
  const max = ctx.limits.chathistoryMax;
  const query: SearchQuery = { keys: new Map(), limit: max };
  for (const [name, value] of Object.entries(attrs)) {
    switch (name) {
      case "text":
        query.text = value;
        break;
      case "from":
        if (value === "") return fail("INVALID_PARAMS", [name], "from needs a nick");
        query.from = casefold(value);
        break;
      case "before":
      case "after": {
        const t = Date.parse(value);
        if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(t)) {
          return fail(
            "INVALID_PARAMS",
            [name],
            `${name} needs a time like 2024-01-31T12:00:00.000Z`,
          );
        }
        query[name] = t;
        break;
      }
      case "limit":
        if (!/^\d+$/.test(value) || Number(value) === 0) {
          return fail("INVALID_PARAMS", [name], "limit needs a number of 1 or more");
        }
        query.limit = Math.min(Number(value), max);
        break;
      case "in":
        break; // below, once the rest is known to be valid
      default:
        // attributes of later versions of the specification narrow nothing here
    }
  }
  const keys = query.keys as Map<string, number>;
  const target = attrs["in"];
  if (target !== undefined) {
    if (isChannelName(target)) {
      const channel = ctx.channels.find(target);
      if (!channel || !channel.members.has(ctx.user)) {
        return fail("INVALID_PARAMS", ["in", target], "You are not on that channel");
      }
      keys.set(channel.folded, channel.historyFloor);
    } else {
      const other = target === "" ? undefined : await partyOfNick(partyLookup(ctx), target);
      // nobody by that nick and no such account: nothing to search, an empty batch
      if (other !== undefined) keys.set(dmKey(historyParty(ctx.user), other), -Infinity);
    }
  } else {
    for (const channel of ctx.user.channels) keys.set(channel.folded, channel.historyFloor);
    query.party = historyParty(ctx.user);
  }
  let found;
  try {
    found = await ctx.store.search(query);
  } catch {
    return fail("INTERNAL_ERROR", [], "The search could not be run");
  }
  const id = ctx.rb.startBatch(SEARCH_CAP, []);
  const nextId = ctx.server.nextBatchId;
  // the specification answers with PRIVMSG and NOTICE only: reactions (TAGMSG) stay out
  for (const m of found) if (m.command !== "TAGMSG") ctx.send(historyLine(m, nextId));
  ctx.rb.endBatch(id);
}
