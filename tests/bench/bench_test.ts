import { assert, assertAlmostEquals, assertEquals } from "./assert.ts";
import { Histogram } from "../../bench/histogram.ts";
import { latencyPlot } from "../../bench/plot.ts";
import { parseArgs } from "../../bench/main.ts";
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
