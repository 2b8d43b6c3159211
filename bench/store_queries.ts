/**
 * `deno task bench:queries`: how long each kind of history query takes on a large SQLite
 * store. Fills a temporary database with `--rows` messages (1,000,000 by default) spread over
 * channels and private conversations, then times every {@link ChatStore} read the server
 * makes (and an append batch, and a prune that has nothing to drop), each many times, and
 * prints the median and the worst call in milliseconds. Each call runs on the event loop,
 * so the worst figure is how long one request can hold up every client.
 *
 * ```sh
 * deno task bench:queries                 # 1M rows: about a minute to fill
 * deno task bench:queries --rows 100000   # quicker
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { SqliteStore } from "../lib/store/sqlite.ts";
import { type ChatStore, dmKey, type HistoryMessage } from "../lib/store/store.ts";
import { searchRows } from "./search_queries.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    repeat: { type: "string", default: "50" },
  },
});
const ROWS = Number(args.values.rows);
const REPEAT = Number(args.values.repeat);
const CHANNELS = 200;
const ACCOUNTS = 2000;
const DAY = 86_400_000;

/** The caller whose TARGETS is timed: in 20 channels, with its share of private talk. */
const ME = "@u7";
const MY_CHANNELS = Array.from({ length: 20 }, (_, i) => `#c${i * 10}`);

function message(n: number, now: number): HistoryMessage {
  // half the rows in channels, half in private conversations between accounts
  let target: string, raw: string;
  if (n % 2 === 0) {
    raw = `#c${(n >> 1) % CHANNELS}`;
    target = raw;
  } else {
    // pairs mixed so each account talks with a few hundred others
    const h = Math.imul(n, 0x9e3779b1) >>> 0;
    const a = h % ACCOUNTS, b = (h >>> 16) % ACCOUNTS;
    const other = a === b ? (b + 1) % ACCOUNTS : b;
    target = dmKey(`@u${a}`, `@u${other}`);
    raw = `u${other}`;
  }
  return {
    msgid: `m${n}`,
    // evenly over the last week, oldest first
    time: now - 7 * DAY + Math.floor((n / ROWS) * 7 * DAY),
    target,
    rawTarget: raw,
    source: "nick!~user@127.0.0.1",
    account: "nick",
    command: "PRIVMSG",
    text: `message number ${n} with some ordinary length of text in it`,
    tags: undefined,
  };
}

async function fill(store: ChatStore, now: number): Promise<void> {
  const t0 = performance.now();
  const chunk = 5000;
  for (let n = 0; n < ROWS; n += chunk) {
    const batch: Promise<void>[] = [];
    for (let i = n; i < Math.min(ROWS, n + chunk); i++) {
      batch.push(store.appendMessage(message(i, now)));
    }
    await Promise.all(batch);
  }
  console.log(`filled ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface Figure {
  kind: string;
  p50: number;
  max: number;
  rows: number;
}

async function time(
  kind: string,
  call: (i: number) => Promise<unknown>,
  repeat = REPEAT,
): Promise<Figure> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await call(i);
    ms.push(performance.now() - t0);
    rows = Array.isArray(r) ? r.length : r === undefined ? 0 : 1;
  }
  ms.sort((a, b) => a - b);
  return { kind, p50: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], rows };
}

const dir = await Deno.makeTempDir({ prefix: "deno-chat-queries-" });
try {
  const store = SqliteStore.open(join(dir, "chat.db"));
  const now = Date.now();
  await fill(store, now);
  // a msgid about in the middle of a channel's history, and one near its start
  const mid = (i: number) =>
    `m${(ROWS >> 1) - ((ROWS >> 1) % (2 * CHANNELS)) + 2 * (i % CHANNELS)}`;
  const early = (i: number) => `m${2 * (i % CHANNELS)}`;
  const chan = (i: number) => `#c${i % CHANNELS}`;
  const dm = message(1, now).target;
  const figures: Figure[] = [];
  const bound = async (msgid: string) => (await store.findMessage(msgid))!;
  figures.push(await time("findMessage", (i) => store.findMessage(mid(i))));
  figures.push(await time("latest channel 100", (i) => store.latest(chan(i), 100)));
  figures.push(await time("latest dm 100", () => store.latest(dm, 100)));
  figures.push(
    await time(
      "latest 100 after an early msgid",
      async (i) => store.latest(chan(i), 100, await bound(early(i))),
    ),
  );
  figures.push(
    await time("before msgid 100", async (i) => store.before(chan(i), await bound(mid(i)), 100)),
  );
  figures.push(
    await time("after msgid 100", async (i) => store.after(chan(i), await bound(mid(i)), 100)),
  );
  figures.push(
    await time(
      "after early msgid 100",
      async (i) => store.after(chan(i), await bound(early(i)), 100),
    ),
  );
  figures.push(
    await time("before timestamp 100", (i) => store.before(chan(i), { time: now - 3 * DAY }, 100)),
  );
  figures.push(
    await time(
      "between msgids 100",
      async (i) => store.between(chan(i), await bound(early(i)), await bound(mid(i)), 100, true),
    ),
  );
  const mine = { keys: MY_CHANNELS, party: ME };
  figures.push(
    await time("targets, last week, 50", () => store.targets(now - 7 * DAY, now, 50, mine), 5),
  );
  figures.push(
    await time("targets, last hour, 50", () => store.targets(now - 3600_000, now, 50, mine), 5),
  );
  for (const [kind, call] of searchRows(store, now, ME, MY_CHANNELS, ROWS)) {
    figures.push(await time(kind, call));
  }
  let seq = ROWS;
  figures.push(
    await time(
      "append 100 in one turn",
      () =>
        Promise.all(Array.from({ length: 100 }, () => store.appendMessage(message(seq++, now)))),
    ),
  );
  figures.push(await time("prune, nothing to drop", () => store.prune(30 * DAY, 100_000), 3));
  // prune works in steps between turns of the event loop: what counts is the longest step
  const stalls: number[] = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const t = performance.now();
    stalls.push(t - last);
    last = t;
  }, 1);
  const t0 = performance.now();
  await store.prune(30 * DAY, 100); // the 200 channels hold 2500 rows each: 480,000 to drop
  const pruneMs = performance.now() - t0;
  clearInterval(ticker);
  const stall = Math.max(0, ...stalls);
  await store.close();

  console.log(`\n${ROWS} rows, ${REPEAT} calls each; milliseconds per call`);
  console.log("query                              p50      max   rows");
  for (const f of figures) {
    console.log(
      `${f.kind.padEnd(32)} ${f.p50.toFixed(2).padStart(7)} ${f.max.toFixed(2).padStart(8)} ${
        String(f.rows).padStart(6)
      }`,
    );
  }
  console.log(
    `prune to 100 per conversation: ${(pruneMs / 1000).toFixed(1)} s in all, ` +
      `the event loop held at most ${stall.toFixed(1)} ms at a time`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
