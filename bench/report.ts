/**
 * Turns scenario results into comparable metric rows, prints them as a table (servers side
 * by side, with ours÷theirs ratios) and as Markdown for the README.
 *
 * @module
 */

import type { FanoutResult, IdleResult, RoomsResult, StormResult } from "./scenarios.ts";
import type { TargetName } from "./servers.ts";

/** Everything measured on one server. */
export interface TargetResults {
  target: TargetName;
  idle: IdleResult[];
  fanout?: FanoutResult;
  /** Every fan-out run when repeated (`fanout` is then the per-rate median). */
  fanoutRuns?: FanoutResult[];
  rooms?: RoomsResult;
  /** Every many-rooms run when repeated (`rooms` is then the median by p99). */
  roomsRuns?: RoomsResult[];
  storm?: StormResult;
  /** Scenarios that could not run, with why. */
  errors: string[];
}

/** One comparable figure across servers. */
export interface Metric {
  scenario: string;
  name: string;
  unit: string;
  /** Which direction is better; ratios are printed as ours÷theirs. */
  better: "lower" | "higher" | "none";
  values: Partial<Record<TargetName, number>>;
}

/** Builds the metric rows from every server's results (rows in a stable order). */
export function metrics(all: TargetResults[]): Metric[] {
  const rows = new Map<string, Metric>();
  const put = (
    scenario: string,
    name: string,
    unit: string,
    better: Metric["better"],
    target: TargetName,
    value: number,
  ) => {
    const key = `${scenario}\u0000${name}`;
    let m = rows.get(key);
    if (!m) rows.set(key, m = { scenario, name, unit, better, values: {} });
    m.values[target] = value;
  };
  for (const r of all) {
    const t = r.target;
    for (const i of r.idle) {
      const s = `idle ${i.n}`;
      put(s, "registered", "clients", "higher", t, i.registered);
      put(s, "registration time", "s", "lower", t, i.regSeconds);
      put(s, "server RSS", "MiB", "lower", t, Math.round(i.rssKiB / 102.4) / 10);
      put(s, "RSS per client", "KiB", "lower", t, i.rssPerClientKiB);
      put(s, "PING p99", "ms", "lower", t, i.probeP99Ms);
    }
    if (r.fanout) {
      for (const p of r.fanout.points) {
        const s = `fan-out ${r.fanout.members} @${p.offered}/s`;
        put(s, "delivered", "msg/s", "higher", t, p.deliveredPerSec);
        put(s, "latency p50", "ms", "lower", t, p.p50Ms);
        put(s, "latency p99", "ms", "lower", t, p.p99Ms);
        put(s, "latency max", "ms", "lower", t, p.maxMs);
        put(s, "dropped", "msgs", "lower", t, p.dropped);
        put(s, "server CPU", "%", "lower", t, p.serverCpuPct);
        put(s, "generator CPU", "%", "none", t, p.genCpuPct);
        put(s, "lines per read", "", "none", t, p.linesPerRead);
        put(s, "generator lag max", "ms", "none", t, p.genLagMaxMs);
      }
    }
    if (r.rooms) {
      const p = r.rooms.point;
      const s = `rooms ${r.rooms.n}/${r.rooms.rooms} @${p.offered}/s`;
      put(s, "delivered", "msg/s", "higher", t, p.deliveredPerSec);
      put(s, "latency p50", "ms", "lower", t, p.p50Ms);
      put(s, "latency p99", "ms", "lower", t, p.p99Ms);
      put(s, "dropped", "msgs", "lower", t, p.dropped);
      put(s, "server CPU", "%", "lower", t, p.serverCpuPct);
    }
    if (r.storm) {
      put("connect storm", "peak registrations", "/s", "higher", t, r.storm.peakPerSec);
      const last = r.storm.stages[r.storm.stages.length - 1];
      if (last) put("connect storm", "last stage offered", "/s", "none", t, last.offered);
    }
  }
  return [...rows.values()];
}

function fmtNum(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return String(Math.round(v * 100) / 100);
}

function ratio(m: Metric, ours: number | undefined, theirs: number | undefined): string {
  if (ours === undefined || theirs === undefined) return "–";
  if (theirs === 0) return ours === 0 ? "=" : "∞";
  const r = ours / theirs;
  const good = m.better === "none" ? "" : (m.better === "lower" ? r <= 1 : r >= 1) ? " ✓" : " ✗";
  return `${r >= 100 ? Math.round(r) : r.toFixed(2)}${good}`;
}

/** The servers present, ours first. */
export function targetsOf(all: TargetResults[]): TargetName[] {
  const known = ["ours", "ngircd", "inspircd", "ergo"];
  const present = (t: string) => all.some((r) => r.target === t);
  const variants = all.map((r) => r.target).filter((t) => !known.includes(t));
  return [...known.slice(0, 1).filter(present), ...variants, ...known.slice(1).filter(present)];
}

function rowsFor(all: TargetResults[]): { head: string[]; body: string[][] } {
  const targets = targetsOf(all);
  const others = targets.includes("ours") ? targets.filter((t) => t !== "ours") : [];
  const head = [
    "scenario",
    "metric",
    "unit",
    ...targets,
    ...others.map((o) => `ours÷${o}`),
  ];
  const body = metrics(all).map((m) => [
    m.scenario,
    m.name + (m.better === "lower" ? " ↓" : m.better === "higher" ? " ↑" : ""),
    m.unit,
    ...targets.map((t) => fmtNum(m.values[t])),
    ...others.map((o) => ratio(m, m.values.ours, m.values[o])),
  ]);
  return { head, body };
}

/** A plain-text table for the terminal. */
export function textTable(all: TargetResults[]): string {
  const { head, body } = rowsFor(all);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  ")];
  let prev = "";
  for (const r of body) {
    if (r[0] !== prev && prev !== "") out.push("");
    prev = r[0];
    out.push(line(r));
  }
  out.push("", "↓ lower is better, ↑ higher is better; ✓ ours at least as good, ✗ worse.");
  for (const r of all) for (const e of r.errors) out.push(`${r.target}: ${e}`);
  return out.join("\n");
}

/** The same table in Markdown. */
export function markdownTable(all: TargetResults[]): string {
  const { head, body } = rowsFor(all);
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out = [
    `| ${head.map(esc).join(" | ")} |`,
    `| ${head.map((_, i) => (i < 3 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const r of body) out.push(`| ${r.map(esc).join(" | ")} |`);
  return out.join("\n");
}
