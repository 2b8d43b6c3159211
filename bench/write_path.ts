/**
 * `deno task bench:writes`: what one write per recipient costs on each output path. One
 * process accepts N loopback connections and writes a 100-byte IRC line to each of them,
 * round after round, first with Deno's asynchronous `conn.write`, then with the direct
 * `send(2)` the server uses on Linux (lib/transport/socket_send.ts), alternating; a second
 * process (this file with `--sink`) reads and discards everything.
 *
 * ```sh
 * deno task bench:writes                       # 1000 connections, 200 rounds, 2 passes each
 * deno task bench:writes --conns 500 --rounds 100
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { directSendFd, sendNow } from "../lib/transport/socket_send.ts";

const LINE = new TextEncoder().encode(
  ":nick!user@127.0.0.1 PRIVMSG #bench :~L1764310000000000 0123456789abcdef0123456789abcdef\r\n",
);

/** Reads from `conns` connections to `port` until they close (the `--sink` process). */
async function sink(port: number, conns: number): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  const readers: Promise<void>[] = [];
  for (let i = 0; i < conns; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    readers.push((async () => {
      try {
        while ((await c.read(buf)) !== null) { /* discard */ }
      } catch {
        // reset at the end: done
      }
    })());
  }
  await Promise.all(readers);
}

/** Writes one line to every connection per round; returns writes per second. */
async function pass(
  rounds: number,
  count: number,
  write: (i: number) => Promise<unknown> | number,
): Promise<number> {
  const t0 = performance.now();
  let pauses = 0;
  for (let r = 0; r < rounds; r++) {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const p = write(i);
      if (typeof p !== "number") pending.push(p);
    }
    await Promise.all(pending);
    // let the sink drain, as the server's turns do between messages; not counted
    const p0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    pauses += performance.now() - p0;
  }
  return (rounds * count) / ((performance.now() - t0 - pauses) / 1000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sink: { type: "string" },
      conns: { type: "string", default: "1000" },
      rounds: { type: "string", default: "200" },
      passes: { type: "string", default: "2" },
    },
  });
  const count = Number(values.conns);
  if (values.sink) return await sink(Number(values.sink), count);
  const rounds = Number(values.rounds);
  const passes = Number(values.passes);

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename!,
      "--sink",
      String(listener.addr.port),
      "--conns",
      String(count),
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const c = await listener.accept();
      c.setNoDelay(true);
      conns.push(c);
    }
    const fds = conns.map((c) => directSendFd(c));
    const direct = fds.every((fd) => fd >= 0);
    if (!direct) {
      console.log(
        "direct sends not available here (Linux with --allow-ffi needed); conn.write only",
      );
    }
    let short = 0;
    for (let p = 0; p < passes; p++) {
      const w = await pass(rounds, count, (i) => conns[i].write(LINE));
      console.log(`conn.write     ${Math.round(w).toLocaleString("en-US").padStart(9)} writes/s`);
      if (!direct) continue;
      const d = await pass(rounds, count, (i) => {
        const n = sendNow(fds[i], LINE);
        // a full socket buffer would need the ordinary path; count it rather than hide it
        if (n < LINE.length) short++;
        return n;
      });
      console.log(`direct send    ${Math.round(d).toLocaleString("en-US").padStart(9)} writes/s`);
    }
    if (short > 0) console.log(`${short} direct sends were short (socket buffer full)`);
  } finally {
    for (const c of conns) c.close();
    listener.close();
    await child.status;
  }
}

if (import.meta.main) await main();
