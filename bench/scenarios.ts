/**
 * The four bench scenarios (idle, fan-out, many rooms, connect storm), each driving a
 * {@link WorkerPool} against one {@link RunningServer} and returning plain figures.
 *
 * @module
 */

import { Histogram } from "./histogram.ts";
import { split, WorkerPool } from "./pool.ts";
import type {
  ChannelPlan,
  ConnectResult,
  JoinResult,
  ProbeResult,
  SendResult,
  StatsResult,
} from "./protocol.ts";
import { cpuSeconds, rssKiB, type RunningServer, settledRssKiB } from "./servers.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Knobs shared by the scenarios. */
export interface ScenarioOptions {
  /** Connection attempts per second (whole generator) when setting up clients. */
  regRate: number;
  /** JOINs per second (whole generator). */
  joinRate: number;
  /** Seconds of sending per measured rate point. */
  durationS: number;
  /** Extra body characters per message. */
  pad: number;
  /** Log progress to stderr. */
  verbose: boolean;
}

/** Figures of the idle scenario. */
export interface IdleResult {
  n: number;
  registered: number;
  failed: number;
  regSeconds: number;
  rssBaseKiB: number;
  rssKiB: number;
  /** (RSS with clients − RSS before) / registered clients. */
  rssPerClientKiB: number;
  /** PING→PONG round trip on a sample of the idle clients. */
  probeAnswered: number;
  probeP50Ms: number;
  probeP99Ms: number;
  probeMaxMs: number;
  errors: string[];
}

/** Figures of one measured message rate. */
export interface RatePoint {
  /** Offered messages per second (whole generator). */
  offered: number;
  members: number;
  channels: number;
  sent: number;
  expected: number;
  received: number;
  dropped: number;
  /** Receipts per socket read in the generator (1 = the server wrote every line apart). */
  linesPerRead: number;
  /** Receipts per second over the send window plus drain. */
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator fell behind its own schedule (should be a few ms). */
  genLagMaxMs: number;
  /** The generator's worker processes' CPU use over the send window, % of one core. */
  genCpuPct: number;
  /** Server CPU use over the send window, in percent of one core. */
  serverCpuPct: number;
  serverRssKiB: number;
  closedByServer: number;
  errors: string[];
}

/** Figures of the fan-out scenario. */
export interface FanoutResult {
  members: number;
  joined: number;
  setupSeconds: number;
  points: RatePoint[];
  errors: string[];
}

/** Figures of the many-rooms scenario. */
export interface RoomsResult {
  n: number;
  rooms: number;
  joined: number;
  setupSeconds: number;
  point: RatePoint;
  errors: string[];
}

/** One connect-storm stage. */
export interface StormStage {
  offered: number;
  attempted: number;
  registered: number;
  failed: number;
  achievedPerSec: number;
  regP50Ms: number;
  regP99Ms: number;
  errors: string[];
}

/** Figures of the connect-storm scenario. */
export interface StormResult {
  stages: StormStage[];
  /** Highest achieved registrations/s over the stages that did not fail. */
  peakPerSec: number;
  stopReason: string;
}

function log(opts: ScenarioOptions, text: string): void {
  if (opts.verbose) console.error(`  ${text}`);
}

/** Opens `n` connections over the pool with contiguous global indices; returns totals. */
async function connectAll(
  pool: WorkerPool,
  server: RunningServer,
  n: number,
  rate: number,
  firstIndex = 0,
  timeoutMs = 60_000,
): Promise<ConnectResult & { latency: Histogram }> {
  const shares = split(n, pool.size);
  const starts = shares.map((_, i) => firstIndex + shares.slice(0, i).reduce((a, b) => a + b, 0));
  const results = await pool.all<ConnectResult>((w) => ({
    op: "connect",
    host: server.host,
    port: server.port,
    firstIndex: starts[w],
    count: shares[w],
    ratePerSec: Math.max(1, rate / pool.size),
    maxInFlight: Math.max(50, Math.ceil(rate / pool.size)),
    timeoutMs,
  }));
  const latency = new Histogram();
  for (const r of results) latency.merge(r.regLatency);
  return {
    attempted: sum(results.map((r) => r.attempted)),
    registered: sum(results.map((r) => r.registered)),
    failed: sum(results.map((r) => r.failed)),
    elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    firstRegAt: Math.min(...results.map((r) => r.firstRegAt || Infinity)),
    lastRegAt: Math.max(...results.map((r) => r.lastRegAt)),
    regLatency: latency.toJSON(),
    latency,
    errors: uniq(results.flatMap((r) => r.errors)),
  };
}

async function joinAll(
  pool: WorkerPool,
  plan: ChannelPlan,
  rate: number,
  timeoutMs = 120_000,
): Promise<JoinResult> {
  const results = await pool.all<JoinResult>(() => ({
    op: "join",
    plan,
    ratePerSec: Math.max(1, rate / pool.size),
    timeoutMs,
  }));
  return {
    joined: sum(results.map((r) => r.joined)),
    failed: sum(results.map((r) => r.failed)),
    elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    errors: uniq(results.flatMap((r) => r.errors)),
  };
}

async function stats(pool: WorkerPool, reset: boolean) {
  const rs = await pool.all<StatsResult>(() => ({ op: "stats", reset }));
  const latency = new Histogram();
  for (const r of rs) latency.merge(r.latency);
  return {
    sent: sum(rs.map((r) => r.sent)),
    expected: sum(rs.map((r) => r.expected)),
    received: sum(rs.map((r) => r.received)),
    reads: sum(rs.map((r) => r.reads)),
    closedByPeer: sum(rs.map((r) => r.closedByPeer)),
    open: sum(rs.map((r) => r.open)),
    latency,
    errors: uniq(rs.flatMap((r) => r.errors)),
  };
}

/**
 * Sends at `offered` msg/s spread over every joined connection for `durationS`, waits for
 * the deliveries to drain, and measures.
 */
async function measureRate(
  pool: WorkerPool,
  server: RunningServer,
  offered: number,
  joined: number,
  members: number,
  channels: number,
  opts: ScenarioOptions,
): Promise<RatePoint> {
  await stats(pool, true);
  const startAt = Date.now() + 300;
  const cpu0 = cpuSeconds(server.pid);
  const gen0 = sum(pool.pids.map(cpuSeconds));
  const sends = await pool.all<SendResult>((w) => ({
    op: "send",
    startAt,
    durationMs: opts.durationS * 1000,
    ratePerConn: offered / joined,
    recipientsPerMsg: members - 1,
    phase: w / pool.size,
    pad: opts.pad,
  }));
  const cpu1 = cpuSeconds(server.pid);
  const gen1 = sum(pool.pids.map(cpuSeconds));
  const sendEnd = Date.now();
  const rss = rssKiB(server.pid);
  // drain: until everything arrived, or nothing moved for 2 s (bounded at 20 s)
  let last = await stats(pool, false);
  let lastChange = Date.now();
  let doneAt = Date.now();
  const drainDeadline = Date.now() + 20_000;
  while (last.received < last.expected && Date.now() < drainDeadline) {
    await sleep(200);
    const s = await stats(pool, false);
    if (s.received !== last.received) {
      lastChange = Date.now();
      doneAt = lastChange;
    } else if (Date.now() - lastChange > 2000) break;
    last = s;
  }
  if (last.received >= last.expected) doneAt = Math.min(doneAt, Date.now());
  const s = await stats(pool, true);
  const windowS = Math.max(0.001, (Math.max(doneAt, sendEnd) - startAt) / 1000);
  return {
    offered,
    members,
    channels,
    sent: s.sent,
    expected: s.expected,
    received: s.received,
    dropped: Math.max(0, s.expected - s.received),
    linesPerRead: round(s.received / Math.max(1, s.reads)),
    deliveredPerSec: Math.round(s.received / windowS),
    p50Ms: round(s.latency.percentileMs(50)),
    p99Ms: round(s.latency.percentileMs(99)),
    maxMs: round(s.latency.maxMs()),
    genLagMaxMs: round(Math.max(...sends.map((r) => r.lagMaxMs))),
    genCpuPct: Math.round(((gen1 - gen0) / Math.max(0.001, (sendEnd - startAt) / 1000)) * 100),
    serverCpuPct: Math.round(((cpu1 - cpu0) / Math.max(0.001, (sendEnd - startAt) / 1000)) * 100),
    serverRssKiB: rss,
    closedByServer: s.closedByPeer,
    errors: s.errors,
  };
}

/** Scenario 1: `n` registered idle clients; server RSS and responsiveness. */
export async function runIdle(
  server: RunningServer,
  workers: number,
  n: number,
  opts: ScenarioOptions,
): Promise<IdleResult> {
  const pool = new WorkerPool(workers);
  try {
    const base = await settledRssKiB(server.pid);
    log(opts, `idle: registering ${n} clients at ${opts.regRate}/s`);
    const c = await connectAll(
      pool,
      server,
      n,
      opts.regRate,
      0,
      Math.max(60_000, (n / opts.regRate) * 3000),
    );
    await sleep(1000);
    const rss = rssKiB(server.pid);
    const probes = await pool.all<ProbeResult>(() => ({
      op: "probe",
      count: Math.ceil(200 / workers),
      timeoutMs: 5000,
    }));
    const h = new Histogram();
    for (const p of probes) h.merge(p.latency);
    return {
      n,
      registered: c.registered,
      failed: c.failed,
      regSeconds: round(c.elapsedMs / 1000),
      rssBaseKiB: base,
      rssKiB: rss,
      rssPerClientKiB: round(c.registered ? (rss - base) / c.registered : 0),
      probeAnswered: sum(probes.map((p) => p.answered)),
      probeP50Ms: round(h.percentileMs(50)),
      probeP99Ms: round(h.percentileMs(99)),
      probeMaxMs: round(h.maxMs()),
      errors: c.errors,
    };
  } finally {
    await pool.all(() => ({ op: "close" })).catch(() => {});
    await pool.stop();
  }
}

/** Scenario 2: one channel of `members`; everybody sends; total rate stepped over `rates`. */
export async function runFanout(
  server: RunningServer,
  workers: number,
  members: number,
  rates: number[],
  opts: ScenarioOptions,
): Promise<FanoutResult> {
  const pool = new WorkerPool(workers);
  try {
    const t0 = Date.now();
    log(opts, `fan-out: ${members} members`);
    const c = await connectAll(pool, server, members, opts.regRate);
    const j = await joinAll(pool, { kind: "single", name: "#fanout" }, opts.joinRate);
    const setupSeconds = round((Date.now() - t0) / 1000);
    await sleep(500);
    await stats(pool, true);
    const points: RatePoint[] = [];
    for (const rate of rates) {
      if (j.joined < 2) break;
      log(opts, `fan-out: ${rate} msg/s for ${opts.durationS} s`);
      const p = await measureRate(pool, server, rate, j.joined, j.joined, 1, opts);
      points.push(p);
      log(opts, `  p99 ${p.p99Ms} ms, dropped ${p.dropped}`);
      if (p.closedByServer > 0 && p.received === 0) break;
    }
    return {
      members,
      joined: j.joined,
      setupSeconds,
      points,
      errors: uniq([...c.errors, ...j.errors]),
    };
  } finally {
    await pool.all(() => ({ op: "close" })).catch(() => {});
    await pool.stop();
  }
}

/** Scenario 3: `n` clients in n/10 channels of 10, each client sending `perClient` msg/s. */
export async function runRooms(
  server: RunningServer,
  workers: number,
  n: number,
  perClient: number,
  opts: ScenarioOptions,
): Promise<RoomsResult> {
  n = Math.max(10, Math.floor(n / 10) * 10);
  const pool = new WorkerPool(workers);
  try {
    const t0 = Date.now();
    log(opts, `rooms: ${n} clients in ${n / 10} rooms`);
    const c = await connectAll(pool, server, n, opts.regRate);
    const j = await joinAll(pool, { kind: "groups", size: 10, prefix: "#room" }, opts.joinRate);
    const setupSeconds = round((Date.now() - t0) / 1000);
    await sleep(500);
    log(opts, `rooms: ${perClient * j.joined} msg/s for ${opts.durationS} s`);
    const point = await measureRate(pool, server, perClient * j.joined, j.joined, 10, n / 10, opts);
    return {
      n,
      rooms: n / 10,
      joined: j.joined,
      setupSeconds,
      point,
      errors: uniq([...c.errors, ...j.errors]),
    };
  } finally {
    await pool.all(() => ({ op: "close" })).catch(() => {});
    await pool.stop();
  }
}

/**
 * Scenario 4: stages of connection+registration bursts at rising rates (each `stageS`
 * seconds long, connections closed between stages) until the server refuses (over 1% of
 * attempts fail) or slows (achieved < 80% of offered, or registration p99 more than 2 s
 * above the first stage's).
 */
export async function runStorm(
  server: RunningServer,
  workers: number,
  rates: number[],
  stageS: number,
  maxConns: number,
  opts: ScenarioOptions,
): Promise<StormResult> {
  const pool = new WorkerPool(workers);
  const stages: StormStage[] = [];
  let stopReason = "all stages passed";
  let firstIndex = 0;
  let baseP99 = 0;
  try {
    for (const rate of rates) {
      const count = Math.min(maxConns, Math.max(1, Math.round(rate * stageS)));
      log(opts, `storm: ${count} connections at ${rate}/s`);
      const c = await connectAll(pool, server, count, rate, firstIndex, 30_000);
      firstIndex += count;
      // throughput: registrations over the span in which they completed (at least the
      // stage's nominal length), so a constant registration delay does not count as slow
      const spanS = Math.max(count / rate, (c.lastRegAt - c.firstRegAt) / 1000);
      const achieved = c.registered / spanS;
      const st: StormStage = {
        offered: rate,
        attempted: c.attempted,
        registered: c.registered,
        failed: c.failed,
        achievedPerSec: Math.round(achieved),
        regP50Ms: round(c.latency.percentileMs(50)),
        regP99Ms: round(c.latency.percentileMs(99)),
        errors: c.errors,
      };
      stages.push(st);
      if (stages.length === 1) baseP99 = st.regP99Ms;
      await pool.all(() => ({ op: "close" }));
      await sleep(500);
      if (c.failed > count * 0.01) {
        stopReason = `refused: ${c.failed} of ${count} failed at ${rate}/s`;
        break;
      }
      if (achieved < rate * 0.8) {
        stopReason = `slowdown: ${Math.round(achieved)}/s achieved of ${rate}/s offered`;
        break;
      }
      if (st.regP99Ms > baseP99 + 2000) {
        stopReason = `slowdown: registration p99 ${st.regP99Ms} ms at ${rate}/s`;
        break;
      }
    }
  } finally {
    await pool.stop();
  }
  const ok = stages.filter((s) => s.failed <= s.attempted * 0.01);
  return { stages, peakPerSec: Math.max(0, ...ok.map((s) => s.achievedPerSec)), stopReason };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)].slice(0, 8);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
