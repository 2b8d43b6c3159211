/**
 * Memory per idle registered client, and where it goes (bench/README.md, "Memory per idle
 * client"). For each N: a fresh server, N clients registered by the bench's generator
 * processes (the idle scenario's own code), then the server's RSS; the same against a bare
 * Deno accept loop (the runtime's floor); with `--snapshot`, V8 heap snapshots of our server
 * before and after the clients, taken over the inspector protocol and compared by object
 * kind, so the JavaScript objects one session keeps can be counted.
 *
 * ```sh
 * bash -c 'ulimit -n $(ulimit -Hn); deno run -A bench/idle_memory.ts --n 10000,19000 --floor'
 * deno run -A bench/idle_memory.ts --n 2000 --snapshot          # per-session objects
 * deno run -A bench/idle_memory.ts --root ../before --n 10000   # another checkout
 * ```
 *
 * Everything listens on 127.0.0.1; every child is killed on exit (procs.ts).
 *
 * @module
 */

import { pollLines } from "../lib/transport/socket_poll.ts";
import { directSendFd, sendNow } from "../lib/transport/socket_send.ts";
import { killAll, track, untrack } from "./procs.ts";
import { split, WorkerPool } from "./pool.ts";
import type { ConnectResult } from "./protocol.ts";
import {
  freePort,
  loadOurLimitNames,
  rssKiB,
  type RunningServer,
  setOurRoot,
  settledRssKiB,
  startOurs,
} from "./servers.ts";

const HOST = "127.0.0.1";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Options {
  ns: number[];
  workers: number;
  regRate: number;
  floor: boolean;
  floorBuffer: number;
  ours: boolean;
  snapshot: boolean;
  byOwner: boolean;
  top: number;
  later: number;
  v8Flags: string;
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    ns: [10_000],
    workers: 2,
    regRate: 1000,
    floor: false,
    floorBuffer: 512,
    ours: true,
    snapshot: false,
    byOwner: false,
    top: 25,
    later: 0,
    v8Flags: "",
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--n") o.ns = next().split(",").map(Number);
    else if (a === "--workers") o.workers = Number(next());
    else if (a === "--reg-rate") o.regRate = Number(next());
    else if (a === "--floor") o.floor = true;
    else if (a === "--floor-only") [o.floor, o.ours] = [true, false];
    else if (a === "--floor-buffer") o.floorBuffer = Number(next());
    else if (a === "--snapshot") o.snapshot = true;
    else if (a === "--by-owner") [o.snapshot, o.byOwner] = [true, true];
    else if (a === "--top") o.top = Number(next());
    else if (a === "--v8-flags") o.v8Flags = next();
    else if (a === "--later") o.later = Math.min(24, Number(next()));
    else if (a === "--root") setOurRoot(next());
    else if (a === "--help") {
      console.log(
        "idle_memory.ts [--n 10000,19000] [--floor | --floor-only] [--floor-buffer B|0|-1]\n" +
          "  [--snapshot] [--by-owner] [--top K] [--later K] [--v8-flags F]\n  [--workers W] [--reg-rate R] [--root DIR]",
      );
      Deno.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const n of o.ns) {
    if (!Number.isInteger(n) || n < 1 || n > 19_500) throw new Error(`--n: 1 … 19500, got ${n}`);
  }
  return o;
}

// ---- the floor: a bare Deno server, one pending read per connection, nothing else ----

/**
 * Runs as the floor server (a child of this script): accepts, keeps one `read()` pending per
 * connection with a `buffer`-byte buffer, answers registration with 001 and PING with PONG so
 * the generator treats it as registered, and holds nothing else per connection. `buffer` 0:
 * never reads (the connection alone); -1: reads through the server's shared epoll
 * (lib/transport/socket_poll.ts), as our server does on Linux with FFI.
 */
async function serveFloor(port: number, buffer: number): Promise<void> {
  const enc = new TextEncoder();
  const welcome = enc.encode(":floor 001 x :hi\r\n");
  const listener = Deno.listen({ hostname: HOST, port });
  const held = new Set<Deno.Conn>();
  for await (const conn of listener) {
    (async () => {
      if (buffer < 0) {
        const fd = directSendFd(conn);
        const reader = fd < 0 ? undefined : pollLines(fd, (line) => {
          if (line.kind !== "line") return;
          if (line.text.startsWith("USER ")) sendNow(fd, welcome);
          else if (line.text.startsWith("PING ")) {
            sendNow(fd, enc.encode(`:floor PONG floor ${line.text.slice(5)}\r\n`));
          }
        });
        if (reader === undefined) throw new Error("the epoll floor needs Linux and --allow-ffi");
        await reader.done;
        reader.stop();
        conn.close();
        return;
      }
      if (buffer === 0) {
        // the connection alone, never read: welcomed at once and kept
        held.add(conn);
        await conn.write(welcome).catch(() => {});
        return;
      }
      const buf = new Uint8Array(buffer);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          const text = new TextDecoder().decode(buf.subarray(0, n));
          if (text.includes("USER ")) await conn.write(welcome);
          const ping = text.match(/PING :?(\S+)/);
          if (ping) await conn.write(enc.encode(`:floor PONG floor :${ping[1]}\r\n`));
        }
      } catch { /* reset */ }
      try {
        conn.close();
      } catch { /* closed */ }
    })();
  }
}

async function startFloor(buffer: number, inspectPort: number): Promise<RunningServer> {
  const port = freePort();
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"',
      "floor",
      Deno.execPath(),
      "run",
      "--allow-net",
      ...(inspectPort ? [`--inspect=${HOST}:${inspectPort}`] : []),
      "--allow-ffi",
      new URL(import.meta.url).pathname,
      "--serve-floor",
      String(port),
      String(buffer),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  track(child);
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      break;
    } catch {
      await sleep(50);
    }
  }
  let stopped = false;
  return {
    name: buffer < 0 ? "floor-epoll" : buffer === 0 ? "floor-held" : `floor-read${buffer}`,
    pid: child.pid,
    host: HOST,
    port,
    dir: "",
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      untrack(child);
    },
  };
}

// ---- heap snapshots over the inspector protocol ----

interface Inspector {
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  snapshot(): Promise<HeapSnapshot>;
  close(): void;
}

async function inspector(port: number, byOwner: boolean): Promise<Inspector> {
  let targets: { webSocketDebuggerUrl: string }[] = [];
  for (let i = 0; i < 100 && targets.length === 0; i++) {
    try {
      targets = await (await fetch(`http://${HOST}:${port}/json/list`)).json();
    } catch {
      await sleep(100);
    }
  }
  if (targets.length === 0) throw new Error("no inspector target");
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise<void>((res, rej) => {
    ws.onopen = () => res();
    ws.onerror = () => rej(new Error("inspector websocket failed"));
  });
  let id = 0;
  const waiting = new Map<number, (r: Record<string, unknown>) => void>();
  let chunks: string[] = [];
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data as string);
    if (m.id !== undefined) waiting.get(m.id)?.(m.result ?? { error: m.error });
    else if (m.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(m.params.chunk);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const n = ++id;
      waiting.set(n, (r) => {
        waiting.delete(n);
        resolve(r);
      });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await call("Runtime.enable");
  await call("HeapProfiler.enable");
  return {
    call,
    async snapshot() {
      chunks = [];
      await call("HeapProfiler.collectGarbage");
      await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      const text = chunks.join("");
      const save = Deno.env.get("IDLE_MEMORY_SAVE");
      if (save) Deno.writeTextFileSync(save, text);
      const snap = JSON.parse(text);
      chunks = [];
      return summarize(snap, byOwner);
    },
    close: () => ws.close(),
  };
}

/** Count and self size per object kind ("type name"). */
type HeapSnapshot = Map<string, { count: number; bytes: number }>;

/**
 * Counts and self sizes per object kind; with `byOwner`, per kind and the kind of its first
 * retainer and the edge from it (`array ← object Set .table`), which says whose a hidden
 * array or closure is.
 */
// deno-lint-ignore no-explicit-any
function summarize(snap: any, byOwner: boolean): HeapSnapshot {
  const meta = snap.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const iEdges = fields.indexOf("edge_count");
  const eFields: string[] = meta.edge_fields;
  const eWidth = eFields.length;
  const eType = eFields.indexOf("type");
  const eName = eFields.indexOf("name_or_index");
  const eTo = eFields.indexOf("to_node");
  const edgeTypes: string[] = meta.edge_types[0];
  const nodes: number[] = snap.nodes;
  const edges: number[] = snap.edges;
  const strings: string[] = snap.strings;
  const count = nodes.length / width;
  const kind = (i: number): string => {
    const type = types[nodes[i + iType]];
    let name = strings[nodes[i + iName]];
    // strings and numbers by kind, not by content
    if (type === "string" || type === "concatenated string" || type === "sliced string") {
      name = "";
    } else if (type === "number" || type === "hidden" || type === "code") name = "";
    else if (name.length > 60) name = name.slice(0, 57) + "…";
    return `${type} ${name}`;
  };
  // the first retainer of each node, and the edge's name
  const owner = new Int32Array(byOwner ? count : 0).fill(-1);
  const ownerEdge: string[] = byOwner ? new Array(count) : [];
  if (byOwner) {
    let e = 0;
    for (let n = 0; n < count; n++) {
      const from = n * width;
      for (let k = 0; k < nodes[from + iEdges]; k++, e += eWidth) {
        const et = edgeTypes[edges[e + eType]];
        if (et === "weak" || et === "shortcut") continue;
        const to = edges[e + eTo] / width;
        if (owner[to] !== -1) continue;
        owner[to] = from;
        const nm = edges[e + eName];
        ownerEdge[to] = et === "element" || et === "hidden" ? `[${et}]` : String(strings[nm]);
      }
    }
  }
  const out: HeapSnapshot = new Map();
  for (let n = 0; n < count; n++) {
    const i = n * width;
    let key = kind(i);
    if (byOwner && owner[n] !== -1) key += ` ← ${kind(owner[n])} .${ownerEdge[n]}`;
    const e = out.get(key);
    if (e) {
      e.count++;
      e.bytes += nodes[i + iSize];
    } else out.set(key, { count: 1, bytes: nodes[i + iSize] });
  }
  return out;
}

function printDiff(before: HeapSnapshot, after: HeapSnapshot, n: number, top: number): void {
  const rows: { key: string; count: number; bytes: number }[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: a.count - b.count, bytes: a.bytes - b.bytes });
  }
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`\nheap objects added per client (${n} clients), largest first:`);
  console.log("| objects per client | bytes per client | kind |");
  console.log("| -----------------: | ---------------: | ---- |");
  for (const r of rows.slice(0, top)) {
    console.log(`| ${(r.count / n).toFixed(2)} | ${(r.bytes / n).toFixed(0)} | \`${r.key}\` |`);
  }
  console.log(`| | ${(total / n).toFixed(0)} | all kinds |`);
}

// ---- runs ----

/**
 * The idle scenario's measurement (scenarios.ts runIdle): RSS with the server settled, N
 * clients registered at the generator's rate, one second to settle, RSS again; the heap
 * snapshots (when asked for) are taken after that reading, with the clients still connected.
 */
async function measure(
  server: RunningServer,
  n: number,
  o: Options,
  snap?: Inspector,
): Promise<void> {
  let before: HeapSnapshot | undefined;
  let heapBefore = 0;
  if (snap) {
    before = await snap.snapshot();
    heapBefore = (await snap.call("Runtime.getHeapUsage")).usedSize as number;
  }
  const pool = new WorkerPool(o.workers);
  try {
    // as the bench's idle scenario does: the base once a fresh server's RSS has settled
    const base = await settledRssKiB(server.pid);
    const shares = split(n, pool.size);
    const results = await pool.all<ConnectResult>((w) => ({
      op: "connect",
      host: server.host,
      port: server.port,
      firstIndex: shares.slice(0, w).reduce((a, b) => a + b, 0),
      count: shares[w],
      ratePerSec: Math.max(1, o.regRate / pool.size),
      maxInFlight: Math.max(50, Math.ceil(o.regRate / pool.size)),
      timeoutMs: Math.max(60_000, (n / o.regRate) * 3000),
    }));
    await sleep(1000);
    const rss = rssKiB(server.pid);
    const later: number[] = [];
    for (let i = 0; i < o.later; i++) {
      await sleep(5000);
      later.push(rssKiB(server.pid));
    }
    const registered = results.reduce((s, r) => s + r.registered, 0);
    const errors = [...new Set(results.flatMap((r) => r.errors))];
    console.log(
      `${server.name} ${n}: registered ${registered}, RSS ${(base / 1024).toFixed(1)} → ` +
        `${(rss / 1024).toFixed(1)} MiB, ${((rss - base) / registered).toFixed(2)} KiB per ` +
        `client` +
        (later.length
          ? ` (later, every 5 s: ${
            later.map((r) => ((r - base) / registered).toFixed(2)).join(", ")
          })`
          : "") +
        (errors.length ? `, errors: ${errors.slice(0, 3).join("; ")}` : ""),
    );
    if (snap && before) {
      const heap = (await snap.call("Runtime.getHeapUsage")).usedSize as number;
      const after = await snap.snapshot();
      console.log(
        `${server.name} ${n}: V8 heap used +${((heap - heapBefore) / registered).toFixed(0)} B ` +
          `per client (${(heapBefore / 1048576).toFixed(1)} → ${(heap / 1048576).toFixed(1)} MiB)`,
      );
      printDiff(before, after, registered, o.top);
      console.log(
        `${server.name} ${n}: RSS after the snapshots ${
          (rssKiB(server.pid) / 1024).toFixed(1)
        } MiB`,
      );
    }
  } finally {
    await pool.all(() => ({ op: "close" })).catch(() => {});
    await pool.stop();
  }
}

async function main(): Promise<void> {
  const o = parseArgs(Deno.args);
  // the bench's lifted limits (connections, per IP, per-port descriptor share) are the ones
  // this server's --help names
  await loadOurLimitNames();
  for (const n of o.ns) {
    if (o.ours) {
      const inspectPort = o.snapshot ? freePort() : 0;
      const server = await startOurs({
        maxClients: n + 100,
        denoFlags: [
          ...(o.snapshot ? [`--inspect=${HOST}:${inspectPort}`] : []),
          ...(o.v8Flags ? [`--v8-flags=${o.v8Flags}`] : []),
        ],
      });
      let snap: Inspector | undefined;
      try {
        if (o.snapshot) snap = await inspector(inspectPort, o.byOwner);
        await measure(server, n, o, snap);
      } finally {
        snap?.close();
        await server.stop();
      }
    }
    if (o.floor) {
      const inspectPort = o.snapshot ? freePort() : 0;
      const floor = await startFloor(o.floorBuffer, inspectPort);
      let snap: Inspector | undefined;
      try {
        if (o.snapshot) snap = await inspector(inspectPort, o.byOwner);
        await measure(floor, n, o, snap);
      } finally {
        snap?.close();
        await floor.stop();
      }
    }
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--serve-floor") {
    await serveFloor(Number(Deno.args[1]), Number(Deno.args[2]));
  } else {
    try {
      await main();
    } finally {
      killAll();
    }
  }
}
