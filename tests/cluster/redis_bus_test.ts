import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import {
  type BusEntry,
  type BusHandlers,
  ClaimError,
  RedisBus,
} from "../../lib/cluster/redis_bus.ts";
import { haveRedis, startRedis, type TestRedis } from "../helpers/redis.ts";
import { freePort } from "../helpers/wait.ts";

const FAST = { leaseMs: 1500, renewMs: 300 };

/** A bus with handlers that record what arrives, and a way to wait for it. */
function node(redis: TestRedis, nodeId: string, options: { url?: string; leaseMs?: number } = {}) {
  const entries: BusEntry[] = [];
  const gaps: number[] = [];
  const fenced: string[] = [];
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const wake = () => {
    for (const w of [...waiters]) {
      if (w.test()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const handlers: BusHandlers = {
    onEntry(e) {
      entries.push(e);
      wake();
    },
    onGap(s) {
      gaps.push(s);
      wake();
    },
    onFenced(r) {
      fenced.push(r);
      wake();
    },
  };
  const bus = new RedisBus({ url: redis.url, nodeId, ...FAST, ...options }, handlers);
  /** Resolves once `test` holds (bounded: 10 s). */
  const until = (test: () => boolean, what: string, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (test()) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`${nodeId}: timed out waiting for ${what}`)),
        ms,
      );
      waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { bus, entries, gaps, fenced, until };
}

const ignore = !haveRedis();

Deno.test({
  name: "RedisBus: events published at once from three nodes reach all three in one order",
  ignore,
  async fn() {
    const redis = await startRedis();
    const nodes = ["a", "b", "c"].map((id) => node(redis, id));
    try {
      for (const n of nodes) await n.bus.start();
      const shard = nodes[0].bus.shardOf("#room");
      await Promise.all(
        nodes.flatMap((n, k) =>
          Array.from(
            { length: 100 },
            (_, j) => n.bus.publish(shard, { t: "msg", text: `${k}:${j}` }),
          )
        ),
      );
      const msgs = (n: typeof nodes[0]) => n.entries.filter((e) => e.event.t === "msg");
      for (const n of nodes) await n.until(() => msgs(n).length === 300, "300 messages");
      const order = msgs(nodes[0]).map((e) => e.id);
      for (const n of nodes) assertEquals(msgs(n).map((e) => e.id), order);
      // each node's own events kept the order it sent them in
      for (let k = 0; k < 3; k++) {
        const mine = msgs(nodes[0]).filter((e) => e.event.n === "abc"[k]).map((e) => e.event.text);
        assertEquals(mine, Array.from({ length: 100 }, (_, j) => `${k}:${j}`));
      }
    } finally {
      for (const n of nodes) await n.bus.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "RedisBus: a nick is granted to exactly one node when all try at the same moment",
  ignore,
  async fn() {
    const redis = await startRedis();
    const nodes = ["a", "b", "c"].map((id) => node(redis, id));
    try {
      for (const n of nodes) await n.bus.start();
      const nicks = Array.from({ length: 50 }, (_, i) => `nick${i}`);
      const results = await Promise.all(
        nicks.flatMap((nick) =>
          nodes.map((n) =>
            n.bus.claimNick(nick, `${n.bus.nodeId}-${nick}`, 0, { t: "user.up", nick }).then(
              () => n.bus.nodeId,
              (err) => {
                ok(err instanceof ClaimError && err.code === "TAKEN");
                return undefined;
              },
            )
          )
        ),
      );
      for (let i = 0; i < nicks.length; i++) {
        const winners = results.slice(i * 3, i * 3 + 3).filter((w) => w !== undefined);
        assertEquals(winners.length, 1, `${nicks[i]} granted to ${winners}`);
        const owner = await nodes[0].bus.nickOwner(nicks[i]);
        ok(owner?.startsWith(`${winners[0]}/`));
      }
      // the holder may rename: the old nick is free for others at once
      // (whichever node won nick0: not always the first to ask)
      const winner = results.slice(0, 3).find((w) => w !== undefined);
      const holder = nodes.find((n) => n.bus.nodeId === winner)!;
      await holder.bus.claimNick(
        "renamed0",
        `${holder.bus.nodeId}-nick0`,
        0,
        { t: "user.nick" },
        "nick0",
      );
      const other = nodes.find((n) => n !== holder)!;
      await other.bus.claimNick("nick0", "x", 0, { t: "user.up" });
      await rejects(holder.bus.claimNick("nick0", "y", 0, { t: "user.up" }), ClaimError);
    } finally {
      for (const n of nodes) await n.bus.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "RedisBus: a node killed with SIGKILL is declared dead once, and its nicks are freed",
  ignore,
  async fn() {
    const redis = await startRedis();
    const a = node(redis, "a"), c = node(redis, "c");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./bus_node.ts", import.meta.url).pathname,
        redis.url,
        "b",
        "bob",
        "bea",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      await a.bus.start();
      await c.bus.start();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("ready")) out += (await reader.read()).value ?? "";
      reader.releaseLock();
      await a.until(
        () => a.entries.filter((e) => e.event.t === "user.up").length === 2,
        "b's users",
      );
      ok((await a.bus.nickOwner("bob"))?.startsWith("b/"));
      child.kill("SIGKILL");
      await child.status;
      const deaths = (n: typeof a) =>
        n.entries.filter((e) => e.event.t === "node.dead" && e.event.node === "b");
      const t0 = Date.now();
      await a.until(() => deaths(a).length >= 1, "b's death", 8000);
      ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms`);
      await c.until(() => deaths(c).length >= 1, "b's death on c");
      assertEquals(await a.bus.nickOwner("bob"), undefined);
      assertEquals(await a.bus.nickOwner("bea"), undefined);
      // only one survivor published it, even after more checks
      await new Promise((r) => setTimeout(r, 700));
      assertEquals(deaths(a).length, 1);
      assertEquals(deaths(c).length, 1);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already dead
      }
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await a.bus.stop();
      await c.bus.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "RedisBus: Redis killed and restarted (append-only file): readers resume, nothing lost or doubled",
  ignore,
  async fn() {
    const redis = await startRedis({ aof: true });
    const a = node(redis, "a"), b = node(redis, "b");
    try {
      await a.bus.start();
      await b.bus.start();
      const sent: string[] = [];
      for (let i = 0; i < 50; i++) {
        await a.bus.publish(i % 8, { t: "msg", text: `before ${i}` });
        sent.push(`before ${i}`);
      }
      const texts = () =>
        b.entries.filter((e) => e.event.t === "msg").map((e) => e.event.text as string);
      await b.until(() => texts().length === 50, "50 before");
      await redis.kill();
      await redis.start();
      // publishing retries until Redis answers again: every acknowledged one must arrive
      for (let i = 0; i < 50; i++) {
        for (let attempt = 0;; attempt++) {
          try {
            await a.bus.publish(i % 8, { t: "msg", text: `after ${i}` });
            break;
          } catch (err) {
            if (attempt > 600) throw err; // 30 s: a loaded machine restarts Redis slowly
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        sent.push(`after ${i}`);
      }
      await b.until(() => texts().length >= 100, "100 messages", 30_000);
      assertEquals([...texts()].sort(), [...sent].sort());
      assertEquals(b.gaps, []);
      assertEquals(a.fenced, []);
    } finally {
      await a.bus.stop();
      await b.bus.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "RedisBus: Redis restarted without its data: the reader is told entries were lost",
  ignore,
  async fn() {
    const redis = await startRedis({ aof: false });
    const a = node(redis, "a"), b = node(redis, "b");
    try {
      await a.bus.start();
      await b.bus.start();
      await a.bus.publish(3, { t: "msg", text: "one" });
      await b.until(() => b.entries.some((e) => e.event.text === "one"), "one");
      await redis.kill();
      await redis.start();
      await b.until(() => b.gaps.includes(3), "a gap on shard 3", 30_000);
      // and it reads what comes next
      for (let attempt = 0;; attempt++) {
        try {
          await a.bus.publish(3, { t: "msg", text: "two" });
          break;
        } catch (err) {
          if (attempt > 600) throw err; // 30 s: a loaded machine restarts Redis slowly
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await b.until(() => b.entries.some((e) => e.event.text === "two"), "two", 30_000);
    } finally {
      await a.bus.stop();
      await b.bus.stop();
      await redis.stop();
    }
  },
});

/**
 * A TCP relay to Redis whose open connections can be frozen: they stay open, but nothing
 * passes any more either way, as with a client stuck on a socket it believes alive.
 * Connections made after the freeze pass again.
 */
function relay(to: number) {
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const open: { frozen: boolean; conns: Deno.Conn[] }[] = [];
  const pipe = async (from: Deno.Conn, into: Deno.Conn, link: { frozen: boolean }) => {
    const buf = new Uint8Array(16384);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        if (link.frozen) continue;
        await into.write(buf.subarray(0, n));
      }
    } catch {
      // closed
    }
    if (!link.frozen) { for (const c of [from, into]) tryClose(c); }
  };
  (async () => {
    for await (const conn of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: to });
      const link = { frozen: false, conns: [conn, upstream] };
      open.push(link);
      pipe(conn, upstream, link);
      pipe(upstream, conn, link);
    }
  })().catch(() => {});
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze() {
      for (const link of open) link.frozen = true;
    },
    close() {
      listener.close();
      for (const link of open) for (const c of link.conns) tryClose(c);
    },
  };
}

function tryClose(c: Deno.Conn) {
  try {
    c.close();
  } catch {
    // already closed
  }
}

Deno.test({
  name: "RedisBus: a reading connection that stops answering is replaced, and nothing is missed",
  ignore,
  async fn() {
    const redis = await startRedis();
    const r = relay(Number(new URL(redis.url).port));
    // a long lease: the frozen command connection must not fence the node during the test
    const a = node(redis, "a", { url: r.url, leaseMs: 60_000 });
    const b = node(redis, "b");
    try {
      await a.bus.start();
      await b.bus.start();
      await b.bus.publish(2, { t: "msg", text: "one" });
      await a.until(() => a.entries.some((e) => e.event.text === "one"), "one");
      r.freeze();
      await b.bus.publish(2, { t: "msg", text: "two" });
      await b.bus.publish(5, { t: "msg", text: "three" });
      await a.until(
        () => ["two", "three"].every((t) => a.entries.some((e) => e.event.text === t)),
        "two and three through a new connection",
        15_000,
      );
      ok(a.bus.stats().stuckConnections >= 1);
      assertEquals(a.entries.filter((e) => e.event.text === "two").length, 1);
      assertEquals(a.gaps, []);
    } finally {
      r.close();
      await a.bus.stop();
      await b.bus.stop();
      await redis.stop();
    }
  },
});
