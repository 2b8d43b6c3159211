import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { HashQueue } from "../../lib/auth/hash_queue.ts";

/** A job that finishes when told to, recording when it started. */
function deferred(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return {
    job: () => {
      log.push(name);
      return done.then(() => name);
    },
    finish: () => finish(),
  };
}

Deno.test("HashQueue runs at most `running` jobs at once and refuses beyond `waiting`", async () => {
  const q = new HashQueue({ running: 2, waiting: 2, perSource: 0 });
  const log: string[] = [];
  const jobs = ["a", "b", "c", "d"].map((n) => deferred(log, n));
  const results = jobs.map((j) => q.submit("s", j.job));
  ok(results.every((r) => r !== undefined));
  assertEquals(q.submit("s", () => Promise.resolve("e")), undefined);
  assertEquals([q.running, q.waiting], [2, 2]);
  assertEquals(log, ["a", "b"]);
  jobs[0].finish();
  assertEquals(await results[0], "a");
  assertEquals(log, ["a", "b", "c"]);
  for (const j of jobs) j.finish();
  assertEquals(await Promise.all(results), ["a", "b", "c", "d"]);
  assertEquals([q.running, q.waiting], [0, 0]);
});

Deno.test("HashQueue caps one source's share, except when uncapped", () => {
  const q = new HashQueue({ running: 1, waiting: 10, perSource: 2 });
  const never = () => new Promise<never>(() => {});
  ok(q.submit("flood", never));
  ok(q.submit("flood", never));
  assertEquals(q.submit("flood", never), undefined);
  ok(q.submit("other", never));
  ok(q.submit("local", never, false));
  ok(q.submit("local", never, false));
  ok(q.submit("local", never, false));
});

Deno.test("HashQueue serves waiting sources round-robin, so a flood delays others by one job", async () => {
  const q = new HashQueue({ running: 1, waiting: 20, perSource: 0 });
  const log: string[] = [];
  const flood = Array.from({ length: 6 }, (_, i) => deferred(log, `flood${i}`));
  const pending = flood.map((j) => q.submit("flood", j.job)!);
  const real = deferred(log, "real");
  const realDone = q.submit("real", real.job)!;
  real.finish();
  for (const j of flood) j.finish();
  await Promise.all([...pending, realDone]);
  assertEquals(log.indexOf("real"), 2);
});

Deno.test("HashQueue frees the slot of a job that throws", async () => {
  const q = new HashQueue({ running: 1, waiting: 0, perSource: 1 });
  const failing = q.submit("s", () => Promise.reject(new Error("boom")))!;
  await failing.then(() => ok(false), (err) => assertEquals(err.message, "boom"));
  assertEquals(await q.submit("s", () => Promise.resolve(7)), 7);
  const sync = q.submit("s", () => {
    throw new Error("sync");
  })!;
  await sync.then(() => ok(false), (err) => assertEquals(err.message, "sync"));
  assertEquals(q.running, 0);
});
