import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { Histogram } from "../../bench/histogram.ts";
import { latencyPlot } from "../../bench/plot.ts";
import { parseArgs } from "../../bench/main.ts";
import { clusterPlan, type ClusterResults, clusterRows } from "../../bench/cluster.ts";
import { split } from "../../bench/pool.ts";
import { yamlSet } from "../../bench/servers.ts";
import { markdownTable, metrics, type TargetResults } from "../../bench/report.ts";

Deno.test("Histogram.percentileMs() stays within 2% of the exact percentile", () => {
  const h = new Histogram();
  const values: number[] = [];
  for (let i = 1; i <= 10_000; i++) {
    const v = (i * 7919) % 100_000 + 1; // 1 µs .. 100 ms, scrambled
    values.push(v);
    h.recordUs(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1] / 1000;
    assertAlmostEquals(h.percentileMs(p), exact, exact * 0.02);
  }
  assertEquals(h.maxMs(), values[values.length - 1] / 1000);
});

Deno.test("Histogram merges through its JSON form", () => {
  const a = new Histogram(), b = new Histogram();
  for (let i = 0; i < 100; i++) a.recordMs(1);
  for (let i = 0; i < 100; i++) b.recordMs(100);
  a.merge(Histogram.fromJSON(JSON.parse(JSON.stringify(b.toJSON()))));
  assertEquals(a.count, 200);
  assertAlmostEquals(a.percentileMs(25), 1, 0.02);
  assertAlmostEquals(a.percentileMs(99), 100, 2);
});

Deno.test("Histogram clamps negative values (clock skew) to 0", () => {
  const h = new Histogram();
  h.recordUs(-5);
  assertEquals(h.percentileMs(50), 0);
});

Deno.test("split() shares a total near-equally", () => {
  assertEquals(split(10, 3), [4, 3, 3]);
  assertEquals(split(2, 4), [1, 1, 0, 0]);
});

Deno.test("parseArgs() --quick --compare picks small sizes and the three servers", () => {
  const o = parseArgs(["--quick", "--compare"]);
  assert(o !== "help");
  assertEquals(o.targets, ["ours", "ngircd", "inspircd"]);
  assertEquals(o.idleN, [2000]);
  assertEquals(o.durationS, 3);
  const e = parseArgs(["--targets=ngircd", "--fanout-rates", "100,200", "--ergo"]);
  assert(e !== "help");
  assertEquals(e.targets, ["ngircd", "ergo"]);
  assertEquals(e.fanoutRates, [100, 200]);
});

Deno.test("yamlSet() replaces a nested scalar and a whole block", () => {
  const y = "a:\n    # c\n    b: 1\n    l:\n        x: 1\n        y: 2\nz: 3\n";
  assertEquals(yamlSet(y, ["a", "b"], "2"), y.replace("b: 1", "b: 2"));
  const r = yamlSet(y, ["a", "l"], null, ["q: {}"]);
  assert(r.includes("    l:\n        q: {}\n"));
  assert(!r.includes("x: 1"));
  assert(r.includes("z: 3"));
});

Deno.test("latencyPlot() draws one p99 and one p50 line per server", () => {
  const svg = latencyPlot("t", [
    {
      name: "ours",
      points: [{ offered: 100, p50Ms: 1, p99Ms: 5 }, { offered: 400, p50Ms: 2, p99Ms: 9 }],
    },
    { name: "ngircd", points: [{ offered: 100, p50Ms: 1.5, p99Ms: 6 }] },
  ]);
  assert(svg.startsWith("<svg"));
  assertEquals(svg.match(/<polyline/g)?.length, 4);
});

Deno.test("metrics() puts servers side by side and markdownTable() adds ratios", () => {
  const idle = (n: number, rss: number) => ({
    n: 10,
    registered: n,
    failed: 0,
    regSeconds: 1,
    rssBaseKiB: 0,
    rssKiB: rss,
    rssPerClientKiB: rss / n,
    probeAnswered: 1,
    probeP50Ms: 1,
    probeP99Ms: 1,
    probeMaxMs: 1,
    errors: [],
  });
  const all: TargetResults[] = [
    { target: "ours", idle: [idle(10, 100)], errors: [] },
    { target: "ngircd", idle: [idle(10, 50)], errors: [] },
  ];
  const m = metrics(all).find((r) => r.name === "RSS per client")!;
  assertEquals(m.values, { ours: 10, ngircd: 5 });
  assert(markdownTable(all).includes("| 2.00 ✗ |"));
});

Deno.test("parseArgs() --cluster takes node counts; --quick makes the idle run small", () => {
  const o = parseArgs(["--cluster", "1,2,3"]);
  assert(o !== "help");
  assertEquals(o.cluster, [1, 2, 3]);
  assertEquals(o.clusterIdleN, 50_000);
  const q = parseArgs(["--cluster=3", "--quick"]);
  assert(q !== "help");
  assertEquals([q.cluster, q.clusterIdleN, q.fanoutRates], [[3], 3000, [100, 400]]);
  const i = parseArgs(["--cluster=2", "--quick", "--cluster-idle", "500"]);
  assert(i !== "help");
  assertEquals(i.clusterIdleN, 500);
  for (const bad of ["0", "1,x", "", "1.5"]) {
    let msg = "";
    try {
      parseArgs(["--cluster", bad]);
    } catch (e) {
      msg = (e as Error).message;
    }
    assertEquals(msg, `--cluster wants node counts such as 1,2,3, got "${bad}"`);
  }
});

Deno.test("clusterPlan(): the single server first, members and idle clients dealt evenly", () => {
  const o = parseArgs(["--cluster", "1,2,3"]);
  assert(o !== "help");
  const plan = clusterPlan(o, 20_000);
  assertEquals(plan.fanout.map((s) => [s.label, s.nodes, s.store]), [
    ["single", 0, "sqlite"],
    ["1 node", 1, "postgres"],
    ["2 nodes", 2, "postgres"],
    ["3 nodes", 3, "postgres"],
  ]);
  assertEquals(plan.membersPerNode, { 1: [1000], 2: [500, 500], 3: [334, 333, 333] });
  assertEquals(plan.rates, [100, 400, 800]);
  // 50,000 over 3 nodes, each under 20,000 open files; the generator needs 4 processes
  assertEquals(plan.idle, {
    nodes: 3,
    clients: 50_000,
    perNode: [16_667, 16_667, 16_666],
    workers: 4,
  });
  const fanoutOnly = parseArgs(["--cluster", "2", "--scenarios", "fanout"]);
  assert(fanoutOnly !== "help");
  assertEquals(clusterPlan(fanoutOnly, 20_000).idle, null);
});

Deno.test("clusterPlan() refuses what one node's open-files limit cannot hold", () => {
  const refused = (args: string[], fdLimit: number) => {
    const o = parseArgs(args);
    assert(o !== "help");
    try {
      clusterPlan(o, fdLimit);
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };
  assertEquals(
    refused(["--cluster", "1,2"], 20_000),
    "--cluster-idle 50000 over 2 nodes puts 25000 clients on one node, more than its " +
      "open-files limit 20000 allows (at most 19000); add nodes or ask for fewer clients",
  );
  assertEquals(refused(["--cluster", "1,2", "--scenarios", "fanout"], 20_000), "");
  assertEquals(
    refused(["--cluster", "1,9"], 20_000),
    "--cluster takes whole node counts from 1 to 8, got 9",
  );
  assertEquals(refused(["--cluster", "2,2"], 20_000), "--cluster names a node count twice: 2,2");
});

Deno.test("clusterRows(): CPU per delivery, and the extra over the single server and 1 node", () => {
  const point = (cpuSecondsBy: Record<string, number>) => ({
    offered: 100,
    members: 1000,
    channels: 1,
    sent: 1000,
    expected: 999_000,
    received: 1_000_000,
    dropped: 0,
    linesPerRead: 1,
    deliveredPerSec: 100_000,
    p50Ms: 1,
    p99Ms: 9,
    maxMs: 20,
    genLagMaxMs: 1,
    genCpuPct: 50,
    serverCpuPct: 40,
    cpuPctBy: { server: 40, redis: 5, postgres: 3 },
    cpuSecondsBy,
    serverRssKiB: 1,
    closedByServer: 0,
    errors: [],
  });
  const o = parseArgs(["--cluster", "1,2", "--scenarios", "fanout"]);
  assert(o !== "help");
  const plan = clusterPlan(o, 20_000);
  const run = (i: number, p: ReturnType<typeof point>) => {
    const fanout = { members: 1000, joined: 1000, setupSeconds: 1, points: [p], errors: [] };
    return { setup: plan.fanout[i], fanout, runs: [fanout], errors: [] };
  };
  const results: ClusterResults = {
    plan,
    fanout: [
      run(0, point({ server: 4 })),
      run(1, point({ server: 5, redis: 1, postgres: 0.5 })),
      run(2, point({ server: 6, redis: 1.5, postgres: 0.5 })),
    ],
    errors: [],
  };
  // 1,000,000 deliveries: 4 s of CPU is 4 µs per delivery
  // 1,000 messages sent: 1 s of Redis is 1,000 µs per message
  assertEquals(clusterRows(results).fanout.map((r) => r.slice(11)), [
    ["4", "4", "–", "–", "–", "–"],
    ["5", "6.5", "+2.5", "–", "1,000", "500"],
    ["6", "8", "+4", "+1.5", "1,500", "500"],
  ]);
  assertEquals(clusterRows(results).fanout[0][0], "single (SQLite)");
});
