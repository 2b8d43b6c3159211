/**
 * The SEARCH rows of `deno task bench:queries` (bench/store_queries.ts): a history search
 * timed on its million-row store, where every message contains the words "message",
 * "number" and "ordinary" and its own number.
 *
 * @module
 */

import type { ChatStore, SearchQuery } from "../lib/store/store.ts";

const DAY = 86_400_000;

/**
 * The search calls to time, by name: the caller `me` in `channels` (keys as stored), with
 * `rows` messages numbered from 0 in the store, the newest at `now`.
 */
export function searchRows(
  store: ChatStore,
  now: number,
  me: string,
  channels: readonly string[],
  rows: number,
): [string, (i: number) => Promise<unknown>][] {
  const mine = (extra: Partial<SearchQuery>): SearchQuery => ({
    keys: new Map(channels.map((c) => [c, -Infinity])),
    party: me,
    limit: 50,
    ...extra,
  });
  return [
    // every row has the word: the newest 50 of the caller's come straight off the index
    ["search common word, 50", () => store.search(mine({ text: "ordinary" }))],
    // one row has it (its number), wherever it is
    ["search rare word", (i) => store.search(mine({ text: String((i * 7919) % rows) }))],
    [
      "search two words, 3 days back",
      () => store.search(mine({ text: "message ordinary", before: now - 3 * DAY })),
    ],
    ["search two words", () => store.search(mine({ text: "message ordinary" }))],
    [
      "search a word, 3 days back",
      () => store.search(mine({ text: "ordinary", before: now - 3 * DAY })),
    ],
    ["search a sender, no words", () => store.search(mine({ from: "nick" }))],
    // a channel the caller is in, a word in none of its rows: the index says so at once
    ["search, no match in scope", () => store.search(mine({ text: "nowhere" }))],
    [
      "search in one channel",
      () => store.search({ keys: new Map([[channels[0], -Infinity]]), text: "number", limit: 50 }),
    ],
  ];
}
