/**
 * How long a history SEARCH takes on a large SQLite store: the search rows of the store
 * query benchmark. {@link searchRows} is what `bench/store_queries.ts` times beside its
 * other queries; run alone, this fills its own database with `--rows` messages (1,000,000 by
 * default, every one containing the words "message", "number" and "ordinary") over 200
 * channels and 2,000 accounts' private talk, and prints the median and the worst call.
 *
 * ```sh
 * deno run -A bench/search_queries.ts                 # 1M rows: about a minute to fill
 * deno run -A bench/search_queries.ts --rows 100000   # quicker
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { SqliteStore } from "../lib/store/sqlite.ts";
import { type ChatStore, dmKey, type SearchQuery } from "../lib/store/store.ts";

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

if (import.meta.main) {
  const args = parseArgs({
    args: Deno.args,
    options: {
      rows: { type: "string", default: "1000000" },
      repeat: { type: "string", default: "50" },
    },
  });
  const ROWS = Number(args.values.rows), REPEAT = Number(args.values.repeat);
  const CHANNELS = 200, ACCOUNTS = 2000;
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-search-" });
  try {
    const store = SqliteStore.open(join(dir, "chat.db"));
    const now = Date.now();
    const t0 = performance.now();
    for (let n = 0; n < ROWS; n += 5000) {
      const batch: Promise<void>[] = [];
      for (let i = n; i < Math.min(ROWS, n + 5000); i++) {
        let target: string, raw: string;
        if (i % 2 === 0) {
          raw = target = `#c${(i >> 1) % CHANNELS}`;
        } else {
          const h = Math.imul(i, 0x9e3779b1) >>> 0;
          const a = h % ACCOUNTS, b = (h >>> 16) % ACCOUNTS;
          const other = a === b ? (b + 1) % ACCOUNTS : b;
          target = dmKey(`@u${a}`, `@u${other}`);
          raw = `u${other}`;
        }
        batch.push(store.appendMessage({
          msgid: `m${i}`,
          time: now - 7 * DAY + Math.floor((i / ROWS) * 7 * DAY),
          target,
          rawTarget: raw,
          source: "nick!~user@127.0.0.1",
          account: "nick",
          command: "PRIVMSG",
          text: `message number ${i} with some ordinary length of text in it`,
          tags: undefined,
        }));
      }
      await Promise.all(batch);
    }
    console.log(`filled ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const channels = Array.from({ length: 20 }, (_, i) => `#c${i * 10}`);
    console.log("query                              p50      max   rows");
    for (const [kind, call] of searchRows(store, now, "@u7", channels, ROWS)) {
      const ms: number[] = [];
      let found = 0;
      for (let i = 0; i < REPEAT; i++) {
        const t = performance.now();
        found = ((await call(i)) as unknown[]).length;
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      const p50 = ms[ms.length >> 1], max = ms[ms.length - 1];
      console.log(
        `${kind.padEnd(32)} ${p50.toFixed(2).padStart(7)} ${max.toFixed(2).padStart(8)} ${
          String(found).padStart(6)
        }`,
      );
    }
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
