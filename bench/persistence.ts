/**
 * Message throughput with persistence on (`--store sqlite`) and off (`--store memory`):
 * the same server, the same load, one after the other, on 127.0.0.1.
 *
 * Load: R receivers and S senders in one channel; each sender sends M messages as fast as
 * the server takes them (flood control lifted); the clock stops when every receiver has every
 * message. Run: `deno task bench:store` (add `-- --quick` for a smaller load).
 *
 * @module
 */

import { parseArgs } from "node:util";

const encoder = new TextEncoder();

interface Result {
  store: string;
  messages: number;
  deliveries: number;
  seconds: number;
}

async function startServer(store: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-bench-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../server.ts", import.meta.url).pathname,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data",
      dataDir,
      "--store",
      store,
      "--limit",
      "floodBurst=0",
      "--limit",
      "historyPlayback=0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let port = 0;
  const deadline = Date.now() + 20_000;
  while (port === 0 && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    port = Number(buf.match(/listening on 127\.0\.0\.1:(\d+)/)?.[1] ?? 0);
  }
  if (port === 0) throw new Error("the server did not start");
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return {
    port,
    stop: async () => {
      child.kill("SIGINT");
      await child.status;
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A client that counts the PRIVMSG lines it receives. */
class Counter {
  conn!: Deno.TcpConn;
  received = 0;
  #ready!: () => void;
  readonly ready = new Promise<void>((r) => (this.#ready = r));
  #want = Infinity;
  #done!: () => void;
  readonly done = new Promise<void>((r) => (this.#done = r));

  async open(port: number, nick: string): Promise<void> {
    this.conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await this.conn.write(encoder.encode(`NICK ${nick}\r\nUSER b 0 * :b\r\nJOIN #bench\r\n`));
    this.#read();
  }

  expect(n: number): void {
    this.#want = n;
    if (this.received >= n) this.#done();
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(65536);
    const dec = new TextDecoder();
    let carry = "";
    try {
      for (;;) {
        const n = await this.conn.read(buf);
        if (n === null) break;
        const text = carry + dec.decode(buf.subarray(0, n), { stream: true });
        const lines = text.split("\r\n");
        carry = lines.pop()!;
        for (const line of lines) {
          if (line.includes(" 366 ")) this.#ready();
          else if (line.includes(" PRIVMSG #bench ")) {
            if (++this.received >= this.#want) this.#done();
          }
        }
      }
    } catch {
      // closed
    }
  }
}

async function run(store: string, receivers: number, senders: number, each: number) {
  const server = await startServer(store);
  try {
    const clients: Counter[] = [];
    for (let i = 0; i < receivers + senders; i++) {
      const c = new Counter();
      await c.open(server.port, `u${i}`);
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.ready));
    const total = senders * each;
    // each receiver sees every message; a sender sees the others' messages, not its own
    clients.forEach((c, i) => c.expect(i < receivers ? total : total - each));
    const started = performance.now();
    await Promise.all(
      clients.slice(receivers).map(async (c, s) => {
        const lines = Array.from({ length: each }, (_, i) => `PRIVMSG #bench :s${s} m${i}\r\n`);
        for (let i = 0; i < lines.length; i += 100) {
          await c.conn.write(encoder.encode(lines.slice(i, i + 100).join("")));
        }
      }),
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((
      r,
    ) => (timer = setTimeout(() => r("timeout"), 120_000)));
    const outcome = await Promise.race([Promise.all(clients.map((c) => c.done)), timeout]);
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    for (const c of clients) c.conn.close();
    if (outcome === "timeout") throw new Error(`${store}: not every message arrived in 120 s`);
    const deliveries = clients.reduce((n, c) => n + c.received, 0);
    return { store, messages: total, deliveries, seconds } satisfies Result;
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { quick: { type: "boolean", default: false } },
  });
  const [receivers, senders, each] = values.quick ? [20, 5, 200] : [100, 20, 1000];
  console.log(
    `persistence bench: ${receivers} receivers, ${senders} senders x ${each} messages`,
  );
  const results: Result[] = [];
  for (const store of ["memory", "sqlite"]) {
    results.push(await run(store, receivers, senders, each));
  }
  console.log("store    messages  msgs/s   deliveries/s  seconds");
  for (const r of results) {
    console.log(
      `${r.store.padEnd(8)} ${String(r.messages).padStart(8)}  ${
        Math.round(r.messages / r.seconds).toString().padStart(7)
      }  ${Math.round(r.deliveries / r.seconds).toString().padStart(12)}  ${r.seconds.toFixed(2)}`,
    );
  }
  const [mem, sql] = results;
  console.log(
    `sqlite / memory throughput: ${((mem.seconds / sql.seconds) * 100).toFixed(0)}%`,
  );
}
