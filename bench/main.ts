/**
 * `deno task bench`: the load generator's orchestrator. Starts each server under test on a
 * free 127.0.0.1 port, runs the scenarios against it with a pool of worker processes,
 * prints a table, writes JSON and an SVG latency plot into bench/results/.
 *
 * Usage: see `deno task bench -- --help` or bench/README.md.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  clusterMarkdown,
  clusterMissing,
  clusterPlan,
  clusterText,
  runCluster,
} from "./cluster.ts";
import { killAll } from "./procs.ts";
import { latencyPlot } from "./plot.ts";
import { markdownTable, metrics, type TargetResults, textTable } from "./report.ts";
import {
  type FanoutResult,
  medianBy,
  medianFanout,
  type RoomsResult,
  runFanout,
  runIdle,
  runRooms,
  runStorm,
  type ScenarioOptions,
} from "./scenarios.ts";
import {
  buildErgo,
  ensureDebian,
  loadOurLimitNames,
  ourServerPath,
  type RunningServer,
  setOurRoot,
  startErgo,
  startInspircd,
  startNgircd,
  type StartOptions,
  startOurs,
  type TargetName,
} from "./servers.ts";

/** Scenario names. */
export type ScenarioName = "idle" | "fanout" | "rooms" | "storm";

/** Parsed command line. */
export interface BenchOptions {
  quick: boolean;
  targets: TargetName[];
  /** Extra columns running another checkout of our server: `--variant NAME=DIR`. */
  variants: { name: string; root: string; denoFlags: string[] }[];
  scenarios: ScenarioName[];
  workers: number;
  idleN: number[];
  fanoutMembers: number;
  fanoutRates: number[];
  roomsN: number;
  roomsRate: number;
  stormRates: number[];
  stormStageS: number;
  durationS: number;
  regRate: number;
  joinRate: number;
  pad: number;
  cpuProf: boolean;
  serverRoot: string;
  repeat: number;
  outDir: string;
  verbose: boolean;
  /** Keep each server's temp dir (its log) and print where: `--keep-logs`. */
  keepLogs: boolean;
  /** Node counts for the cluster bench (`--cluster 1,2,3`); empty: the usual bench. */
  cluster: number[];
  /** Idle clients over the largest node count (`--cluster-idle`). */
  clusterIdleN: number;
}

const HELP = `deno task bench [-- options]

Targets (default: ours):
  --compare               ours, ngircd and inspircd (installed from Debian if absent)
  --ergo                  add ergo (built offline by /work/shared/tools/ergo/build.sh)
  --targets a,b           explicit list of ours,ngircd,inspircd,ergo

Scenarios (default: all):
  --scenarios a,b         idle,fanout,rooms,storm
  --quick                 small sizes, short runs (< 2 minutes for ours alone)
  --idle-n N[,N..]        idle clients (default 10000; several = one run each)
  --fanout-members N      members of the fan-out channel (default 1000)
  --fanout-rates R,..     total offered msg/s (default 100,400,800)
  --rooms-n N             many-rooms clients, N/10 rooms of 10 (default 5000)
  --rooms-rate r          msg/s per client in many-rooms (default 0.5)
  --storm-rates R,..      connect-storm stages, conn/s (default 250,500,1000,2000,4000,8000)
  --storm-stage S         seconds per storm stage (default 2)
  --duration S            seconds of sending per rate point (default 10)
  --repeat N              run fan-out and rooms N times (servers taking turns); the table
                          shows the run with the median p99 per rate, JSON keeps all

Cluster (our server only; needs redis-server and postgresql):
  --cluster N,N..         instead of the above: fan-out on the single-node server (SQLite),
                          then on clusters of N nodes (fresh Redis + PostgreSQL each, the
                          members spread evenly), then idle clients over the largest N;
                          only the fanout and idle scenarios apply
  --cluster-idle N        idle clients over the largest N (default 50000; --quick 3000)

Generator:
  --workers N             worker processes (default 2)
  --reg-rate R            registrations/s while setting up (default 1000)
  --join-rate R           JOINs/s while setting up (default 1000)
  --pad N                 extra body characters per message (default 32)

Output:
  --cpu-prof              run our server under --cpu-prof (profile kept in bench/results/prof/)
  --server-root DIR       run "ours" from another checkout (DIR/server.ts)
  --variant NAME=DIR      add a column NAME running DIR/server.ts (repeatable): before/after
                          figures in one run, e.g. --variant patched=/tmp/my-change
                          (an empty DIR means this checkout)
  --variant-flags NAME=F  extra deno flags for variant NAME, space-separated, e.g.
                          --variant-flags big=--v8-flags=--max-semi-space-size=16
  --out DIR               results dir (default bench/results)
  --keep-logs             keep each server's temp dir (server.log) and print its path
  --quiet                 no progress lines
`;

const KINDS: string[] = ["ours", "ngircd", "inspircd", "ergo"];

function list(v: string): string[] {
  return v.split(",").map((s) => s.trim()).filter(Boolean);
}

function nums(v: string, name: string): number[] {
  const out = list(v).map(Number);
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0)) {
    throw new Error(`${name}: expected positive numbers, got "${v}"`);
  }
  return out;
}

/** Parses the command line (see HELP). Throws on unknown options. */
export function parseArgs(args: string[]): BenchOptions | "help" {
  const o: BenchOptions = {
    quick: false,
    targets: ["ours"],
    variants: [],
    scenarios: ["idle", "fanout", "rooms", "storm"],
    workers: 2,
    idleN: [10_000],
    fanoutMembers: 1000,
    fanoutRates: [100, 400, 800],
    roomsN: 5000,
    roomsRate: 0.5,
    stormRates: [250, 500, 1000, 2000, 4000, 8000],
    stormStageS: 2,
    durationS: 10,
    regRate: 1000,
    joinRate: 1000,
    pad: 32,
    cpuProf: false,
    serverRoot: "",
    repeat: 1,
    outDir: new URL("./results/", import.meta.url).pathname,
    verbose: true,
    keepLogs: false,
    cluster: [],
    clusterIdleN: 50_000,
  };
  const set = new Set<string>();
  let compare = false, ergo = false;
  const rest = [...args];
  while (rest.length) {
    const a = rest.shift()!;
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    const val = () => {
      const v = eq > 0 ? a.slice(eq + 1) : rest.shift();
      if (v === undefined) throw new Error(`${key} needs a value`);
      return v;
    };
    set.add(key);
    switch (key) {
      case "--":
        break;
      case "-h":
      case "--help":
        return "help";
      case "--quick":
        o.quick = true;
        break;
      case "--compare":
        compare = true;
        break;
      case "--ergo":
        ergo = true;
        break;
      case "--targets": {
        const t = list(val());
        for (const x of t) {
          if (!["ours", "ngircd", "inspircd", "ergo"].includes(x)) {
            throw new Error(`unknown target ${x}`);
          }
        }
        o.targets = t as TargetName[];
        break;
      }
      case "--scenarios": {
        const s = list(val());
        for (const x of s) {
          if (!["idle", "fanout", "rooms", "storm"].includes(x)) {
            throw new Error(`unknown scenario ${x}`);
          }
        }
        o.scenarios = s as ScenarioName[];
        break;
      }
      case "--workers":
        o.workers = nums(val(), key)[0];
        break;
      case "--idle-n":
        o.idleN = nums(val(), key);
        break;
      case "--fanout-members":
        o.fanoutMembers = nums(val(), key)[0];
        break;
      case "--fanout-rates":
        o.fanoutRates = nums(val(), key);
        break;
      case "--rooms-n":
        o.roomsN = nums(val(), key)[0];
        break;
      case "--rooms-rate":
        o.roomsRate = nums(val(), key)[0];
        break;
      case "--storm-rates":
        o.stormRates = nums(val(), key);
        break;
      case "--storm-stage":
        o.stormStageS = nums(val(), key)[0];
        break;
      case "--duration":
        o.durationS = nums(val(), key)[0];
        break;
      case "--reg-rate":
        o.regRate = nums(val(), key)[0];
        break;
      case "--join-rate":
        o.joinRate = nums(val(), key)[0];
        break;
      case "--pad":
        o.pad = Number(val());
        break;
      case "--cpu-prof":
        o.cpuProf = true;
        break;
      case "--variant": {
        const v = val();
        const eqAt = v.indexOf("=");
        const name = v.slice(0, eqAt);
        if (eqAt < 1 || !/^[a-z][a-z0-9_.-]*$/i.test(name) || KINDS.includes(name)) {
          throw new Error(`--variant wants NAME=DIR with a new name, got "${v}"`);
        }
        // absolute: the server runs in its own temp dir
        const root = resolve(v.slice(eqAt + 1) || ".");
        o.variants.push({ name, root, denoFlags: [] });
        break;
      }
      case "--variant-flags": {
        const v = val();
        const eqAt = v.indexOf("=");
        const variant = o.variants.find((x) => x.name === v.slice(0, eqAt));
        if (eqAt < 1 || !variant) {
          throw new Error(
            `--variant-flags wants NAME=FLAGS for a --variant given before, got "${v}"`,
          );
        }
        variant.denoFlags.push(...v.slice(eqAt + 1).split(" ").filter(Boolean));
        break;
      }
      case "--repeat":
        o.repeat = Math.round(nums(val(), key)[0]);
        break;
      case "--server-root":
        o.serverRoot = val();
        break;
      case "--out":
        o.outDir = val().replace(/\/?$/, "/");
        break;
      case "--keep-logs":
        o.keepLogs = true;
        break;
      case "--cluster": {
        const v = val();
        o.cluster = list(v).map(Number);
        if (o.cluster.length === 0 || o.cluster.some((n) => !Number.isInteger(n) || n < 1)) {
          throw new Error(`--cluster wants node counts such as 1,2,3, got "${v}"`);
        }
        break;
      }
      case "--cluster-idle":
        o.clusterIdleN = Math.round(nums(val(), key)[0]);
        break;
      case "--quiet":
        o.verbose = false;
        break;
      default:
        throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  if (compare && !set.has("--targets")) o.targets = ["ours", "ngircd", "inspircd"];
  if (ergo && !o.targets.includes("ergo")) o.targets.push("ergo");
  for (const v of o.variants) o.targets.push(v.name);
  if (o.quick) {
    if (!set.has("--idle-n")) o.idleN = [2000];
    if (!set.has("--fanout-members")) o.fanoutMembers = 1000;
    if (!set.has("--fanout-rates")) o.fanoutRates = [100, 400];
    if (!set.has("--rooms-n")) o.roomsN = 1000;
    if (!set.has("--rooms-rate")) o.roomsRate = 1;
    if (!set.has("--storm-rates")) o.stormRates = [500, 1000, 2000, 4000];
    if (!set.has("--storm-stage")) o.stormStageS = 1;
    if (!set.has("--duration")) o.durationS = 3;
    if (!set.has("--cluster-idle")) o.clusterIdleN = 3000;
  }
  return o;
}

/** The 1-minute load average (other work on the machine makes figures noisy). */
function loadAvg(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return 0;
  }
}

/** Reads the soft limit on open files of this process. */
function openFilesLimit(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/limits").match(/^Max open files\s+(\d+)/m);
    return m ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

async function hostInfo(): Promise<Record<string, string | number>> {
  const cpu = (() => {
    try {
      return Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?";
    } catch {
      return "?";
    }
  })();
  const git = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: new URL("../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "null",
  }).output().then((r) => new TextDecoder().decode(r.stdout).trim()).catch(() => "?");
  return {
    loadAvg: loadAvg(),
    cpus: navigator.hardwareConcurrency,
    cpu,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    commit: git,
    openFilesLimit: openFilesLimit(),
  };
}

async function prepareTargets(
  o: BenchOptions,
): Promise<{ ok: TargetName[]; skipped: string[]; ergoBin: string | null }> {
  const skipped: string[] = [];
  const ok: TargetName[] = [];
  let ergoBin: string | null = null;
  const deb: { pkg: string; bin: string }[] = [];
  if (o.targets.includes("ngircd")) deb.push({ pkg: "ngircd", bin: "ngircd" });
  if (o.targets.includes("inspircd")) deb.push({ pkg: "inspircd", bin: "inspircd" });
  const debOk = deb.length === 0 || await ensureDebian(deb);
  for (const t of o.targets) {
    if (t === "ours") {
      try {
        if (o.serverRoot) setOurRoot(o.serverRoot);
        await Deno.stat(ourServerPath());
        await loadOurLimitNames();
        ok.push(t);
      } catch {
        skipped.push("ours: server.ts not found");
      }
    } else if (o.variants.some((v) => v.name === t)) {
      const v = o.variants.find((x) => x.name === t)!;
      try {
        await Deno.stat(`${v.root}/server.ts`);
        await loadOurLimitNames();
        ok.push(t);
      } catch {
        skipped.push(`${t}: ${v.root}/server.ts not found`);
      }
    } else if (t === "ergo") {
      ergoBin = await buildErgo();
      if (ergoBin) ok.push(t);
      else skipped.push("ergo: build failed or build script missing");
    } else if (debOk) ok.push(t);
    else skipped.push(`${t}: not installed and apt-get failed`);
  }
  return { ok, skipped, ergoBin };
}

async function start(
  t: TargetName,
  o: BenchOptions,
  ergoBin: string | null,
  maxClients: number,
): Promise<RunningServer> {
  const so: StartOptions = { maxClients, keepDir: o.keepLogs };
  if (t === "ours" && o.cpuProf) {
    const dir = `${o.outDir}prof`;
    await Deno.mkdir(dir, { recursive: true });
    so.denoFlags = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
  }
  const variant = o.variants.find((v) => v.name === t);
  if (variant) {
    so.denoFlags = [...(so.denoFlags ?? []), ...variant.denoFlags];
    return await startOurs(so, variant.root, variant.name);
  }
  switch (t) {
    case "ours":
      return await startOurs(so);
    case "ngircd":
      return await startNgircd(so);
    case "inspircd":
      return await startInspircd(so);
    case "ergo":
      return await startErgo(so, ergoBin!);
    default:
      throw new Error(`unknown target ${t}`);
  }
}

/** Runs one scenario on a fresh server; errors are recorded, not thrown. */
async function withServer(
  t: TargetName,
  o: BenchOptions,
  ergoBin: string | null,
  maxClients: number,
  r: TargetResults,
  label: string,
  body: (s: RunningServer) => Promise<void>,
): Promise<void> {
  let server: RunningServer | null = null;
  try {
    server = await start(t, o, ergoBin, maxClients);
    if (o.verbose) {
      const kept = o.keepLogs ? `, log ${server.dir}/server.log` : "";
      console.error(`[${t}] ${label} (pid ${server.pid}, port ${server.port}${kept})`);
    }
    await body(server);
  } catch (e) {
    const msg = `${label}: ${(e as Error).message}`;
    console.error(`[${t}] ${msg}`);
    r.errors.push(msg.split("\n")[0]);
  } finally {
    await server?.stop();
  }
}

async function main(): Promise<number> {
  let parsed: BenchOptions | "help";
  try {
    parsed = parseArgs(Deno.args);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  if (parsed === "help") {
    console.log(HELP);
    return 0;
  }
  const o = parsed;
  const t0 = Date.now();
  const limit = openFilesLimit();
  const load0 = loadAvg();
  if (load0 > 0.5) {
    console.error(`bench: load average is ${load0} before starting; figures will be noisy`);
  }
  if (o.cluster.length > 0) return await clusterMain(o, t0, load0, limit);
  const biggest = Math.max(
    o.scenarios.includes("idle") ? Math.max(...o.idleN) : 0,
    o.scenarios.includes("fanout") ? o.fanoutMembers : 0,
    o.scenarios.includes("rooms") ? o.roomsN : 0,
  );
  if (biggest / o.workers > limit - 100) {
    console.error(
      `bench: ${biggest} connections over ${o.workers} workers need more than the open-files ` +
        `limit ${limit}; use more --workers or bench/run.sh (raises ulimit -n)`,
    );
  }
  const { ok, skipped, ergoBin } = await prepareTargets(o);
  for (const s of skipped) console.error(`bench: skipping ${s}`);
  const so: ScenarioOptions = {
    regRate: o.regRate,
    joinRate: o.joinRate,
    durationS: o.durationS,
    pad: o.pad,
    verbose: o.verbose,
  };
  // scenario-major, then repeat, then server: the servers take turns, so background load
  // on the machine is shared out between them rather than hitting one server's whole run
  const all: TargetResults[] = ok.map((t) => ({ target: t, idle: [], errors: [] }));
  const fanoutRuns = new Map<TargetName, FanoutResult[]>();
  const roomsRuns = new Map<TargetName, RoomsResult[]>();
  if (o.scenarios.includes("idle")) {
    for (const n of o.idleN) {
      for (const r of all) {
        await withServer(r.target, o, ergoBin, n + 100, r, `idle ${n}`, async (s) => {
          r.idle.push(await runIdle(s, o.workers, n, so));
        });
      }
    }
  }
  for (let rep = 0; rep < o.repeat && o.scenarios.includes("fanout"); rep++) {
    for (const r of all) {
      await withServer(r.target, o, ergoBin, o.fanoutMembers + 100, r, "fan-out", async (s) => {
        const f = await runFanout(s, o.workers, o.fanoutMembers, o.fanoutRates, so);
        fanoutRuns.set(r.target, [...(fanoutRuns.get(r.target) ?? []), f]);
      });
    }
  }
  for (let rep = 0; rep < o.repeat && o.scenarios.includes("rooms"); rep++) {
    for (const r of all) {
      await withServer(r.target, o, ergoBin, o.roomsN + 100, r, "rooms", async (s) => {
        const x = await runRooms(s, o.workers, o.roomsN, o.roomsRate, so);
        roomsRuns.set(r.target, [...(roomsRuns.get(r.target) ?? []), x]);
      });
    }
  }
  if (o.scenarios.includes("storm")) {
    const maxConns = Math.min(15_000, (limit - 200) * o.workers);
    for (const r of all) {
      await withServer(r.target, o, ergoBin, maxConns + 100, r, "connect storm", async (s) => {
        r.storm = await runStorm(s, o.workers, o.stormRates, o.stormStageS, maxConns, so);
      });
    }
  }
  for (const r of all) {
    const f = fanoutRuns.get(r.target);
    if (f) {
      r.fanout = medianFanout(f);
      if (f.length > 1) r.fanoutRuns = f;
    }
    const x = roomsRuns.get(r.target);
    if (x) {
      r.rooms = medianBy(x, (v) => v.point.p99Ms);
      if (x.length > 1) r.roomsRuns = x;
    }
  }
  const info = await hostInfo();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  await Deno.mkdir(o.outDir, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - t0) / 1000),
    host: { ...info, loadAvgAtStart: load0 },
    options: o,
    skipped,
    results: all,
    metrics: metrics(all),
  };
  const jsonPath = `${o.outDir}bench-${stamp}.json`;
  await Deno.writeTextFile(jsonPath, JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(`${o.outDir}latest.json`, JSON.stringify(json, null, 2) + "\n");
  const series = all
    .filter((r) => r.fanout && r.fanout.points.length > 0)
    .map((r) => ({ name: r.target, points: r.fanout!.points }));
  let svgPath = "";
  if (series.length > 0) {
    svgPath = `${o.outDir}latency-${stamp}.svg`;
    const members = all.find((r) => r.fanout)?.fanout?.members ?? 0;
    const svg = latencyPlot(`fan-out, ${members}-member channel: latency vs offered rate`, series);
    await Deno.writeTextFile(svgPath, svg);
  }
  console.log("");
  console.log(textTable(all));
  console.log("");
  console.log(
    `host: ${info.cpus} CPUs (${info.cpu}), deno ${info.deno}, commit ${info.commit}; ` +
      `${json.seconds} s`,
  );
  console.log(`json: ${jsonPath}`);
  if (svgPath) console.log(`plot: ${svgPath}`);
  await Deno.writeTextFile(`${o.outDir}latest.md`, markdownTable(all) + "\n");
  return all.length === 0 ? 1 : 0;
}

/** `--cluster`: runs the cluster plan, prints its tables, writes cluster-*.json and .md. */
async function clusterMain(
  o: BenchOptions,
  t0: number,
  load0: number,
  limit: number,
): Promise<number> {
  let plan;
  try {
    plan = clusterPlan(o, Number.isFinite(limit) ? limit : 20_000);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  const missing = clusterMissing();
  if (missing) {
    console.error(`bench: ${missing}`);
    return 2;
  }
  const results = await runCluster(o, plan);
  const info = await hostInfo();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  await Deno.mkdir(o.outDir, { recursive: true });
  const json = JSON.stringify(
    {
      date: new Date().toISOString(),
      seconds: Math.round((Date.now() - t0) / 1000),
      host: { ...info, loadAvgAtStart: load0, loadAvgAtEnd: loadAvg() },
      options: o,
      results,
    },
    null,
    2,
  ) + "\n";
  const jsonPath = `${o.outDir}cluster-${stamp}.json`;
  await Deno.writeTextFile(jsonPath, json);
  await Deno.writeTextFile(`${o.outDir}cluster-latest.json`, json);
  await Deno.writeTextFile(`${o.outDir}cluster-latest.md`, clusterMarkdown(results) + "\n");
  console.log("");
  console.log(clusterText(results));
  console.log("");
  console.log(
    `host: ${info.cpus} CPUs (${info.cpu}), deno ${info.deno}, commit ${info.commit}; ` +
      `load average ${load0} at the start, ${loadAvg()} at the end; ` +
      `${Math.round((Date.now() - t0) / 1000)} s`,
  );
  console.log(`json: ${jsonPath}`);
  const ran = results.fanout.some((f) => f.runs.length > 0) || results.idle !== undefined;
  return ran ? 0 : 1;
}

if (import.meta.main) {
  let code = 1;
  try {
    code = await main();
  } catch (e) {
    console.error(`bench: ${(e as Error).stack ?? e}`);
  } finally {
    killAll();
  }
  Deno.exit(code);
}
