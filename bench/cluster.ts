/**
 * `deno task bench -- --cluster 1,2,3`: our server as one node and as a cluster of N nodes on
 * this machine. For each N, a fresh Redis (append-only file on) and PostgreSQL (each on a free
 * 127.0.0.1 port, data in a temp folder, stopped afterwards) and N server processes
 * (`--cluster redis://… --store postgres://… --node-id nK`); the fan-out channel's members are
 * spread evenly over the nodes (member i on node i mod N). The single-node server with its
 * embedded SQLite runs the same fan-out first, as the baseline the bus's cost is measured
 * against. Then one idle run: as many registered idle clients as asked for, spread over the
 * largest N (each process here may hold 20,000 open files, the generator too, so the clients
 * are spread over enough generator processes as well).
 *
 * @module
 */

import { dirname } from "node:path";
import { postgresBinDir, startPostgres, type TestPostgres } from "../tests/helpers/postgres.ts";
import { haveRedis, startRedis, type TestRedis } from "../tests/helpers/redis.ts";
import { TestClient } from "../tests/helpers/irc_client.ts";
import { split } from "./pool.ts";
import { descendants, onCleanup } from "./procs.ts";
import {
  FANOUT_CHANNEL,
  type FanoutResult,
  type IdleResult,
  medianFanout,
  type RatePoint,
  runFanout,
  runIdle,
  type ScenarioOptions,
} from "./scenarios.ts";
import { loadOurLimitNames, type RunningServer, type StartOptions, startOurs } from "./servers.ts";

/** The options the cluster bench reads (a subset of main.ts's BenchOptions). */
export interface ClusterOptions {
  /** Node counts, e.g. [1, 2, 3]. */
  cluster: number[];
  /** Idle clients over the largest node count (`--cluster-idle`). */
  clusterIdleN: number;
  scenarios: string[];
  workers: number;
  fanoutMembers: number;
  fanoutRates: number[];
  durationS: number;
  regRate: number;
  joinRate: number;
  pad: number;
  repeat: number;
  keepLogs: boolean;
  verbose: boolean;
}

/** One fan-out configuration: `nodes` 0 is the single-node server with SQLite. */
export interface FanoutSetup {
  label: string;
  nodes: number;
  store: "sqlite" | "postgres";
}

/** What a cluster bench run will do, decided up front (and checked by tests/bench). */
export interface ClusterPlan {
  /** Fan-out setups in the order they run (each repeat runs them all, taking turns). */
  fanout: FanoutSetup[];
  rates: number[];
  members: number;
  /** Members per node, for each node count. */
  membersPerNode: Record<number, number[]>;
  /** The idle run, or null when not asked for. */
  idle: { nodes: number; clients: number; perNode: number[]; workers: number } | null;
}

/** Most nodes one machine is asked to run (each is a Deno process of its own). */
export const MAX_NODES = 8;

/** Open files a process keeps for itself besides its clients (listeners, Redis, PostgreSQL). */
const FD_HEADROOM = 1000;

/** Clients one generator worker takes in the idle run, at most: 3/4 of its open-files limit. */
function perWorker(fdLimit: number): number {
  return Math.max(100, Math.floor(fdLimit * 0.75));
}

/**
 * The plan for `--cluster`: throws (one sentence) when it cannot run on this machine, e.g.
 * when one node would need more open files than a process may have.
 *
 * @example
 * ```ts
 * import { clusterPlan } from "./cluster.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const plan = clusterPlan({
 *   cluster: [1, 3], clusterIdleN: 50_000, scenarios: ["fanout", "idle"], workers: 2,
 *   fanoutMembers: 1000, fanoutRates: [100], durationS: 10, regRate: 1000, joinRate: 1000,
 *   pad: 32, repeat: 1, keepLogs: false, verbose: false,
 * }, 20_000);
 * deepStrictEqual(plan.fanout.map((s) => s.label), ["single", "1 node", "3 nodes"]);
 * deepStrictEqual(plan.idle?.perNode, [16_667, 16_667, 16_666]);
 * ```
 */
export function clusterPlan(o: ClusterOptions, fdLimit: number): ClusterPlan {
  const counts = o.cluster;
  if (counts.length === 0) throw new Error("--cluster wants node counts, e.g. --cluster 1,2,3");
  for (const n of counts) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) {
      throw new Error(`--cluster takes whole node counts from 1 to ${MAX_NODES}, got ${n}`);
    }
  }
  if (new Set(counts).size !== counts.length) {
    throw new Error(`--cluster names a node count twice: ${counts.join(",")}`);
  }
  const members = o.fanoutMembers;
  const fanout: FanoutSetup[] = o.scenarios.includes("fanout")
    ? [
      { label: "single", nodes: 0, store: "sqlite" },
      ...counts.map((n): FanoutSetup => ({
        label: `${n} node${n === 1 ? "" : "s"}`,
        nodes: n,
        store: "postgres",
      })),
    ]
    : [];
  const membersPerNode: Record<number, number[]> = {};
  for (const n of counts) membersPerNode[n] = split(members, n);
  let idle: ClusterPlan["idle"] = null;
  if (o.scenarios.includes("idle")) {
    const nodes = Math.max(...counts);
    const perNode = split(o.clusterIdleN, nodes);
    if (perNode[0] > fdLimit - FD_HEADROOM) {
      throw new Error(
        `--cluster-idle ${o.clusterIdleN} over ${nodes} node${nodes === 1 ? "" : "s"} puts ` +
          `${perNode[0]} clients on one node, more than its open-files limit ${fdLimit} allows ` +
          `(at most ${fdLimit - FD_HEADROOM}); add nodes or ask for fewer clients`,
      );
    }
    const workers = Math.max(o.workers, Math.ceil(o.clusterIdleN / perWorker(fdLimit)));
    idle = { nodes, clients: o.clusterIdleN, perNode, workers };
  }
  return { fanout, rates: o.fanoutRates, members, membersPerNode, idle };
}

/** Every fan-out run of one setup, and the figures shown (per rate, the median-p99 run). */
export interface ClusterFanout {
  setup: FanoutSetup;
  /** The per-rate median over `runs`. */
  fanout?: FanoutResult;
  runs: FanoutResult[];
  errors: string[];
}

/** Everything a cluster bench run measured. */
export interface ClusterResults {
  plan: ClusterPlan;
  fanout: ClusterFanout[];
  idle?: IdleResult & { nodes: number; workers: number };
  errors: string[];
}

/** Flags every server of the cluster bench gets: no TLS or web port (they would collide). */
const COMMON_ARGS = ["--http-port", "0", "--tls-port", "0"];

/** A Redis or PostgreSQL server of the helper, found among this process's descendants. */
function guard(kind: string, match: (cmdline: string) => boolean, prefix: string) {
  const p = descendants().find((d) => match(d.cmdline));
  if (!p) throw new Error(`cannot find the ${kind} process that was just started`);
  let dir = "";
  try {
    dir = Deno.readLinkSync(`/proc/${p.pid}/cwd`);
  } catch { /* no /proc */ }
  // PostgreSQL runs in DIR/data; Redis in DIR
  if (dir.endsWith("/data")) dir = dirname(dir);
  const forget = onCleanup(() => {
    // on Ctrl+C or a crash only: the helper's stop() is the normal way
    try {
      Deno.kill(p.pid, "SIGKILL");
    } catch { /* gone */ }
    if (dir.includes(prefix)) {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* best effort */ }
    }
  });
  return { pid: p.pid, forget };
}

/** The started cluster: Redis, PostgreSQL and N nodes, as one server of the scenarios. */
interface Cluster extends RunningServer {
  nodes: RunningServer[];
}

async function startCluster(
  n: number,
  maxClients: number,
  o: ClusterOptions,
): Promise<Cluster> {
  let redis: TestRedis | undefined, pg: TestPostgres | undefined;
  const forget: (() => void)[] = [];
  const nodes: RunningServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((s) => s.stop()));
    await redis?.stop();
    await pg?.stop();
    for (const f of forget) f();
  };
  try {
    redis = await startRedis({ aof: true });
    const port = redis.port;
    const r = guard("redis-server", (c) => c.endsWith(`127.0.0.1:${port}`), "deno-chat-redis-");
    forget.push(r.forget);
    pg = await startPostgres();
    const pgPort = pg.port;
    const p = guard(
      "PostgreSQL",
      (c) => /\/postgres -D /.test(c) && c.includes(` -p ${pgPort} `) && !c.startsWith("/usr/sbin"),
      "deno-chat-pg-",
    );
    forget.push(p.forget);
    const url = await pg.newDatabase();
    // one after another: a node asks the running ones for their state when it starts
    for (let k = 1; k <= n; k++) {
      const so: StartOptions = {
        maxClients,
        keepDir: o.keepLogs,
        serverArgs: [
          ...COMMON_ARGS,
          "--cluster",
          redis.url,
          "--store",
          url,
          "--node-id",
          `n${k}`,
        ],
      };
      nodes.push(await startOurs(so, undefined, `node ${k}`));
    }
    return {
      name: `${n} nodes`,
      pid: nodes[0].pid,
      host: nodes[0].host,
      port: nodes[0].port,
      ports: nodes.map((s) => s.port),
      dir: nodes[0].dir,
      nodes,
      cpuGroups: () => ({
        server: nodes.map((s) => s.pid),
        redis: [r.pid],
        // the backends come and go with the nodes' connections: asked for every time
        postgres: [p.pid, ...descendants(p.pid).map((d) => d.pid)],
      }),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Waits (bounded) until every node lists all `count` members of the fan-out channel: joins
 * made on one node reach the others over the bus a little later. Returns what fell short.
 */
async function everyNodeSees(ports: number[], count: number, ms = 30_000): Promise<string[]> {
  const seen = ports.map(() => -1);
  const clients: TestClient[] = [];
  try {
    for (const [k, port] of ports.entries()) {
      const c = await TestClient.connect(port);
      clients.push(c);
      await c.register(`watch${k + 1}`);
    }
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      for (const [k, c] of clients.entries()) {
        if (seen[k] === count) continue;
        c.send(`LIST ${FANOUT_CHANNEL}`);
        const lines = await c.collectUntil(/ 323 /, Math.max(1, deadline - Date.now()));
        const row = lines.map((l) => l.split(" ")).find((w) =>
          w[1] === "322" && w[3] === FANOUT_CHANNEL
        );
        seen[k] = row ? Number(row[4]) : 0;
      }
      if (seen.every((s) => s === count)) return [];
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    return [`watching the members: ${(e as Error).message.split("\n")[0]}`];
  } finally {
    for (const c of clients) await c.close();
  }
  return seen.flatMap((s, k) =>
    s === count ? [] : [`node ${k + 1} saw ${s} of ${count} members after ${ms / 1000} s`]
  );
}

function log(o: ClusterOptions, text: string): void {
  if (o.verbose) console.error(text);
}

/**
 * Runs the plan: every fan-out setup `repeat` times (setups taking turns), then the idle
 * run. A setup that fails is recorded in its errors; the others still run.
 */
export async function runCluster(o: ClusterOptions, plan: ClusterPlan): Promise<ClusterResults> {
  // the limits the bench lifts are the ones this server's --help names
  await loadOurLimitNames();
  const so: ScenarioOptions = {
    regRate: o.regRate,
    joinRate: o.joinRate,
    durationS: o.durationS,
    pad: o.pad,
    verbose: o.verbose,
  };
  const results: ClusterResults = {
    plan,
    fanout: plan.fanout.map((setup) => ({ setup, runs: [], errors: [] })),
    errors: [],
  };
  for (let rep = 0; rep < o.repeat; rep++) {
    for (const r of results.fanout) {
      const { nodes } = r.setup;
      let server: RunningServer | undefined;
      try {
        server = nodes === 0
          ? await startOurs(
            {
              maxClients: plan.members + 100,
              keepDir: o.keepLogs,
              serverArgs: COMMON_ARGS,
            },
            undefined,
            "single",
          )
          : await startCluster(nodes, plan.members + 100, o);
        log(
          o,
          `[cluster] fan-out, ${r.setup.label} (${r.setup.store}), ports ${
            (server.ports ?? [server.port]).join(",")
          }` + (o.keepLogs ? `, logs in ${server.dir}` : ""),
        );
        const ports = server.ports;
        const settle = ports && ports.length > 1
          ? (joined: number) => everyNodeSees(ports, joined)
          : undefined;
        const f = await runFanout(server, o.workers, plan.members, plan.rates, so, settle);
        r.runs.push(f);
      } catch (e) {
        const msg = `fan-out ${r.setup.label}: ${(e as Error).message}`;
        console.error(`[cluster] ${msg}`);
        r.errors.push(msg.split("\n")[0]);
      } finally {
        await server?.stop();
      }
    }
  }
  for (const r of results.fanout) if (r.runs.length > 0) r.fanout = medianFanout(r.runs);
  if (plan.idle) {
    const { nodes, clients, workers } = plan.idle;
    let cluster: Cluster | undefined;
    try {
      cluster = await startCluster(nodes, Math.max(...plan.idle.perNode) + 100, o);
      log(o, `[cluster] idle: ${clients} clients over ${nodes} nodes, ${workers} generators`);
      const t0 = Date.now();
      const idle = await runIdle(cluster, workers, clients, so);
      results.idle = { ...idle, nodes, workers };
      log(o, `  idle: done in ${Math.round((Date.now() - t0) / 1000)} s`);
    } catch (e) {
      const msg = `idle: ${(e as Error).message}`;
      console.error(`[cluster] ${msg}`);
      results.errors.push(msg.split("\n")[0]);
    } finally {
      await cluster?.stop();
    }
  }
  return results;
}

/** Why the cluster bench cannot run here (Redis or PostgreSQL missing), or undefined. */
export function clusterMissing(): string | undefined {
  if (haveRedis() && postgresBinDir() !== undefined) return undefined;
  return "--cluster needs Debian's redis-server and postgresql (apt-get install redis-server " +
    "postgresql)";
}

/** CPU microseconds per delivered line in a rate point, by group and in total. */
export function cpuPerDelivery(p: RatePoint): Record<string, number> & { total: number } {
  const by = p.cpuSecondsBy ?? { server: 0 };
  const per = (s: number) => p.received > 0 ? (s * 1e6) / p.received : 0;
  const out: Record<string, number> = {};
  let total = 0;
  for (const [g, s] of Object.entries(by)) {
    out[g] = per(s);
    total += per(s);
  }
  return { ...out, total };
}

/** CPU microseconds of one process group per message sent (the bus and the store work per message). */
export function perMessage(p: RatePoint, group: string): number {
  const s = p.cpuSecondsBy?.[group];
  return s === undefined || p.sent === 0 ? NaN : (s * 1e6) / p.sent;
}

/** The fan-out table's columns. */
const FANOUT_HEAD = [
  "setup",
  "offered msg/s",
  "delivered/s",
  "p50 ms",
  "p99 ms",
  "lost",
  "lines/read",
  "nodes CPU %",
  "Redis CPU %",
  "PG CPU %",
  "gen CPU %",
  "nodes µs/dlv",
  "total µs/dlv",
  "+ vs single",
  "+ vs 1 node",
  "Redis µs/msg",
  "PG µs/msg",
];

const IDLE_HEAD = [
  "nodes",
  "clients",
  "registered",
  "connect s",
  "RSS per node MiB",
  "RSS per client KiB",
  "open files per node",
  "Redis RSS MiB",
  "PING p99 ms",
];

function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return String(Math.round(v * 10 ** digits) / 10 ** digits);
}

function signed(v: number | undefined): string {
  if (v === undefined) return "–";
  return (v >= 0 ? "+" : "") + fmt(v, 2);
}

/** The rows of the two tables (fan-out per setup and rate; idle), as text cells. */
export function clusterRows(r: ClusterResults): { fanout: string[][]; idle: string[][] } {
  const pointOf = (label: string, offered: number) =>
    r.fanout.find((f) => f.setup.label === label)?.fanout?.points.find((p) =>
      p.offered === offered
    );
  const single = r.fanout.find((f) => f.setup.nodes === 0)?.setup.label;
  const one = r.fanout.find((f) => f.setup.nodes === 1)?.setup.label;
  const fanout: string[][] = [];
  for (const f of r.fanout) {
    for (const p of f.fanout?.points ?? []) {
      const cost = cpuPerDelivery(p);
      const base = single ? pointOf(single, p.offered) : undefined;
      const base1 = one ? pointOf(one, p.offered) : undefined;
      const cpu = p.cpuPctBy ?? {};
      const isCluster = f.setup.nodes > 0;
      fanout.push([
        `${f.setup.label} (${f.setup.store === "sqlite" ? "SQLite" : "PostgreSQL"})`,
        fmt(p.offered),
        fmt(p.deliveredPerSec),
        fmt(p.p50Ms),
        fmt(p.p99Ms),
        fmt(p.dropped),
        fmt(p.linesPerRead),
        fmt(cpu.server ?? p.serverCpuPct, 0),
        isCluster ? fmt(cpu.redis) : "–",
        isCluster ? fmt(cpu.postgres) : "–",
        fmt(p.genCpuPct, 0),
        fmt(cost.server, 2),
        fmt(cost.total, 2),
        isCluster && base ? signed(cost.total - cpuPerDelivery(base).total) : "–",
        isCluster && f.setup.nodes !== 1 && base1
          ? signed(cost.total - cpuPerDelivery(base1).total)
          : "–",
        isCluster ? fmt(perMessage(p, "redis")) : "–",
        isCluster ? fmt(perMessage(p, "postgres")) : "–",
      ]);
    }
  }
  const idle: string[][] = [];
  const i = r.idle;
  if (i) {
    const perNode = i.rssPerNodeKiB ?? [i.rssKiB];
    idle.push([
      String(i.nodes),
      fmt(i.n),
      fmt(i.registered),
      fmt(i.regSeconds),
      perNode.map((k) => fmt(k / 1024, 0)).join(" / "),
      fmt(i.rssPerClientKiB),
      (i.openFilesPerNode ?? []).map((n) => fmt(n)).join(" / ") || "–",
      i.rssByKiB?.redis !== undefined ? fmt(i.rssByKiB.redis / 1024) : "–",
      fmt(i.probeP99Ms),
    ]);
  }
  return { fanout, idle };
}

function textOf(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function markdownOf(head: string[], body: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${head.map(esc).join(" | ")} |`,
    `| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...body.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

function problems(r: ClusterResults): string[] {
  const out = [...r.errors];
  for (const f of r.fanout) {
    for (const e of f.errors) out.push(e);
    for (const run of f.runs) {
      for (const e of run.errors) out.push(`${f.setup.label}: ${e}`);
      for (const p of run.points) {
        for (const e of p.errors) out.push(`${f.setup.label} @${p.offered}/s: ${e}`);
      }
    }
  }
  for (const e of r.idle?.errors ?? []) out.push(`idle: ${e}`);
  return [...new Set(out)].slice(0, 20);
}

/** Both tables for the terminal, with the problems met. */
export function clusterText(r: ClusterResults): string {
  const { fanout, idle } = clusterRows(r);
  const out: string[] = [];
  if (fanout.length > 0) {
    out.push(`fan-out, ${r.plan.members}-member channel`, textOf(FANOUT_HEAD, fanout), "");
  }
  if (idle.length > 0) out.push("idle registered clients", textOf(IDLE_HEAD, idle), "");
  if (fanout.length > 0) {
    out.push(
      "µs/dlv: CPU microseconds per delivered line, from the first send to the end of the " +
        "drain; + vs: total µs/dlv minus the single server's (or the 1-node cluster's) at the " +
        "same rate.",
    );
  }
  for (const p of problems(r)) out.push(`problem: ${p}`);
  return out.join("\n");
}

/** Both tables in Markdown (bench/results/cluster-latest.md). */
export function clusterMarkdown(r: ClusterResults): string {
  const { fanout, idle } = clusterRows(r);
  const out: string[] = [];
  if (fanout.length > 0) out.push(markdownOf(FANOUT_HEAD, fanout), "");
  if (idle.length > 0) out.push(markdownOf(IDLE_HEAD, idle), "");
  for (const p of problems(r)) out.push(`- problem: ${p}`);
  return out.join("\n");
}
