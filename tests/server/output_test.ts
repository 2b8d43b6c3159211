import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { type OutputEnd, OutputScheduler } from "../../lib/server/output.ts";
import { FanoutPace } from "../../lib/server/pace.ts";
import type { Connection } from "../../lib/transport/connection.ts";
import { memoryConnectionPair } from "../../lib/transport/memory.ts";

const enc = new TextEncoder();
const line = (text: string) => enc.encode(text + "\r\n");

/** A connection that records what each path was given; `take` decides what direct writes take. */
function recording(take: (data: Uint8Array) => number) {
  const direct: Uint8Array[] = [];
  const writes: Uint8Array[] = [];
  const conn: Connection = {
    remoteAddress: "127.0.0.1",
    kind: "tcp",
    readLines: () => Promise.resolve(),
    write(data) {
      writes.push(data.slice());
      return Promise.resolve();
    },
    takeDirectWrite: () => (data) => {
      direct.push(data);
      return take(data);
    },
    close() {},
  };
  return { conn, direct, writes };
}

Deno.test("OutputQueue writes nothing before the current work is done, then one batch", async () => {
  const output = new OutputScheduler();
  const { server, client } = memoryConnectionPair();
  const queue = output.open(server, { sendQ: 1 << 20 }, () => {});
  queue.push(line("a"));
  queue.push(line("b"));
  assertEquals(client.text(), "");
  assertEquals(queue.queuedBytes, 6);
  await queue.drained();
  assertEquals(client.text(), "a\r\nb\r\n");
  assertEquals(queue.queuedBytes, 0);
});

Deno.test("OutputQueue makes no write (no promise) when the direct write takes everything", async () => {
  const r = recording((data) => data.length);
  const queue = new OutputScheduler().open(r.conn, { sendQ: 1 << 20 }, () => {});
  ok(queue.direct);
  queue.push(line("one"));
  queue.push(line("two"));
  await Promise.resolve();
  assertEquals(r.writes.length, 0);
  assertEquals(r.direct.map((d) => new TextDecoder().decode(d)), ["one\r\ntwo\r\n"]);
  assertEquals(queue.queuedBytes, 0);
});

Deno.test("queues holding the same lines share one concatenated batch", async () => {
  const r = recording((data) => data.length);
  const output = new OutputScheduler();
  const queues = [0, 1, 2].map(() => output.open(r.conn, { sendQ: 1 << 20 }, () => {}));
  const a = line("PRIVMSG #t :a");
  const b = line("PRIVMSG #t :b");
  for (const q of queues) {
    q.push(a);
    q.push(b);
  }
  await Promise.resolve();
  assertEquals(r.direct.length, 3);
  ok(r.direct[1].buffer === r.direct[0].buffer && r.direct[2].buffer === r.direct[0].buffer);
  assertEquals(r.direct[0].byteOffset, r.direct[2].byteOffset);
});

Deno.test("the queue alone holds the direct write", () => {
  const { server } = memoryConnectionPair({ directWindow: 100 });
  const queue = new OutputScheduler().open(server, { sendQ: 100 }, () => {});
  ok(queue.direct);
  assertEquals(server.takeDirectWrite(), undefined);
});

Deno.test("no direct write while a write is in flight: bytes arrive whole and in order", async () => {
  // the memory connection throws on a direct write while one of its writes is pending
  const { server, client } = memoryConnectionPair({ paused: true, directWindow: 10 });
  const queue = new OutputScheduler().open(server, { sendQ: 1 << 20 }, () => {});
  const sent: string[] = [];
  for (let turn = 0; turn < 5; turn++) {
    for (let i = 0; i < 3; i++) {
      const text = `turn ${turn} line ${i}`;
      sent.push(text);
      queue.push(line(text));
    }
    // a turn: the scheduler starts what it can, the rest waits for the peer
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  ok(queue.pending, "the peer reads nothing, so a write must still be in flight");
  client.resume();
  await queue.drained();
  assertEquals(client.text(), sent.map((s) => s + "\r\n").join(""));
  assertEquals(queue.queuedBytes, 0);
});

Deno.test("over SendQ, a queue drops its output and says so on a later microtask, once", async () => {
  const { server, client } = memoryConnectionPair({ paused: true });
  const ended: OutputEnd[] = [];
  const queue = new OutputScheduler().open(server, { sendQ: 10 }, (why) => ended.push(why));
  queue.push(line("12345"));
  queue.push(line("67890"));
  assertEquals(ended, []);
  ok(queue.overflowed);
  assertEquals(queue.queuedBytes, 0);
  queue.push(line("more"));
  assertEquals(queue.queuedBytes, 0);
  await Promise.resolve();
  assertEquals(ended, ["SendQ exceeded"]);
  queue.shut();
  client.resume();
  assertEquals(client.text(), "");
});

Deno.test("a failed write ends the session once, with Write error", async () => {
  const { server, client } = memoryConnectionPair();
  const ended: OutputEnd[] = [];
  const queue = new OutputScheduler().open(server, { sendQ: 1 << 20 }, (why) => ended.push(why));
  client.close();
  queue.push(line("late"));
  await queue.drained();
  assertEquals(ended, ["Write error"]);
  queue.push(line("later"));
  await Promise.resolve();
  assertEquals(ended, ["Write error"]);
});

Deno.test("two schedulers are independent (no state shared between servers)", async () => {
  const r = recording((data) => data.length);
  const one = new OutputScheduler().open(r.conn, { sendQ: 1 << 20 }, () => {});
  const two = new OutputScheduler().open(r.conn, { sendQ: 1 << 20 }, () => {});
  const a = line("a");
  for (const q of [one, two]) {
    q.push(a);
    q.push(a);
  }
  await Promise.resolve();
  assertEquals(r.direct.length, 2);
  ok(r.direct[0].buffer !== r.direct[1].buffer);
});

/** A pace whose CPU clock the test sets; wall time is real, so the timers agree with it. */
function pacedScheduler() {
  const clock = { cpuMs: 0, now: () => performance.now(), cpu: () => clock.cpuMs };
  // every start is a measurement of its own (no 100 ms window)
  return { clock, output: new OutputScheduler(new FanoutPace(20, clock, 0)) };
}

Deno.test("after a fan-out to 200 queues or more, the next start waits by what the last one cost, then the waiting lines go together", async () => {
  const { clock, output } = pacedScheduler();
  const recs = Array.from({ length: 200 }, () => recording((d) => d.length));
  const queues = recs.map((r) => output.open(r.conn, { sendQ: 1 << 20 }, () => {}));
  for (const q of queues) q.push(line("first"));
  await Promise.resolve();
  // the first fan-out goes out at the end of the current work, as ever
  ok(recs.every((r) => r.direct.length === 1));
  // nothing measured yet: the second goes out at the end of the work too
  clock.cpuMs += 11;
  for (const q of queues) q.push(line("second"));
  await Promise.resolve();
  ok(recs.every((r) => r.direct.length === 2), "no wait before a cost is known");
  // the first start cost 11 ms of CPU: at a share of 0.55 the next waits 20 ms
  const started = performance.now();
  for (const q of queues) q.push(line("third"));
  await new Promise((r) => setTimeout(r, 0));
  ok(recs.every((r) => r.direct.length === 2), "the next writes wait");
  // what comes meanwhile joins them: one write of both lines
  for (const q of queues) q.push(line("fourth"));
  await Promise.all(queues.map((q) => q.drained()));
  ok(performance.now() - started >= 19, "for about 20 ms");
  assertEquals(new TextDecoder().decode(recs[0].direct[2]), "third\r\nfourth\r\n");
  ok(recs.every((r) => r.direct.length === 3));
  // a small turn (one queue) ends the pacing: the next write goes out at the end of the work
  const q = queues[0];
  q.push(line("solo"));
  await q.drained();
  q.push(line("again"));
  await Promise.resolve();
  assertEquals(recs[0].direct.length, 5);
});

Deno.test("a fan-out start that cost no CPU to speak of makes no one wait", async () => {
  const { output } = pacedScheduler();
  const recs = Array.from({ length: 200 }, () => recording((d) => d.length));
  const queues = recs.map((r) => output.open(r.conn, { sendQ: 1 << 20 }, () => {}));
  for (let round = 1; round <= 3; round++) {
    for (const q of queues) q.push(line(`round ${round}`));
    await Promise.resolve();
    ok(recs.every((r) => r.direct.length === round), `round ${round} went out at once`);
  }
});

Deno.test("without direct sends, the paced writes of a big fan-out carry several fan-outs each", async () => {
  const { clock, output } = pacedScheduler();
  const recs = Array.from({ length: 200 }, () => recording(() => 0));
  // no direct write: every write is Deno's asynchronous one
  for (const r of recs) delete (r.conn as { takeDirectWrite?: unknown }).takeDirectWrite;
  const queues = recs.map((r) => output.open(r.conn, { sendQ: 1 << 20 }, () => {}));
  for (const q of queues) q.push(line("one"));
  // the first goes out at the end of the work; its writes finish
  await new Promise((r) => setTimeout(r, 0));
  ok(recs.every((r) => r.writes.length === 1));
  // it cost 16 ms of CPU: at the asynchronous share of 0.8 the next start waits 20 ms
  clock.cpuMs += 16;
  for (const q of queues) q.push(line("two"));
  await new Promise((r) => setTimeout(r, 0));
  ok(recs.every((r) => r.writes.length === 2), "no wait before a cost is known");
  for (const q of queues) q.push(line("three"));
  await new Promise((r) => setTimeout(r, 0));
  for (const q of queues) q.push(line("four"));
  await new Promise((r) => setTimeout(r, 0));
  ok(recs.every((r) => r.writes.length === 2), "still waiting after two turns");
  await Promise.all(queues.map((q) => q.drained()));
  assertEquals(new TextDecoder().decode(recs[0].writes[2]), "three\r\nfour\r\n");
  ok(recs.every((r) => r.writes.length === 3));
});

Deno.test("an asynchronous write the socket takes in parts goes on with the rest, in order", async () => {
  const sent: string[] = [];
  let calls = 0;
  const conn: Connection = {
    remoteAddress: "127.0.0.1",
    kind: "tcp",
    readLines: () => Promise.resolve(),
    write: () => Promise.reject(new Error("not this path")),
    // takes 3 bytes a call
    writeSome(data) {
      calls++;
      sent.push(new TextDecoder().decode(data.subarray(0, 3)));
      return Promise.resolve(Math.min(3, data.length));
    },
    close() {},
  };
  const q = new OutputScheduler().open(conn, { sendQ: 1 << 20 }, () => {});
  q.push(line("abcd"));
  q.push(line("ef"));
  assertEquals(q.queuedBytes, 10);
  await q.drained();
  assertEquals(sent.join(""), "abcd\r\nef\r\n");
  assertEquals(calls, 4);
  assertEquals(q.queuedBytes, 0);
});
