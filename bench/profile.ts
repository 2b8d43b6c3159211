/**
 * Summarises a V8 `.cpuprofile` (as written by `deno run --cpu-prof`): the functions with
 * the most self time and the most total (inclusive) time, in percent of all samples.
 *
 * Usage: `deno run --allow-read bench/profile.ts FILE.cpuprofile [top=25]`
 *
 * @module
 */

/** One node of the V8 CPU profile call tree. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of a V8 CPU profile used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One summary row. */
export interface ProfileRow {
  /** `function (file:line)`. */
  name: string;
  selfPct: number;
  totalPct: number;
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(lib|bench|ext|node)\//, "$1/") : "";
  const fn = f.functionName || "(anonymous)";
  return file ? `${fn} (${file}:${f.lineNumber + 1})` : fn;
}

/**
 * Self and inclusive time per function (summed over every call-tree node of that function,
 * recursion counted once), weighted by the sample time deltas.
 *
 * @example
 * ```ts
 * import { summarize } from "./profile.ts";
 * const rows = summarize({
 *   nodes: [{ id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: 0, columnNumber: 0 }, children: [] }],
 *   samples: [1],
 *   timeDeltas: [1],
 * });
 * rows[0].selfPct; // 100
 * ```
 */
export function summarize(p: CpuProfile): ProfileRow[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = Math.max(0, p.timeDeltas[i] ?? 0);
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const node = byId.get(id)!;
    self.set(label(node), (self.get(label(node)) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + t);
    }
  }
  const pct = (t: number) => Math.round((t / Math.max(1, total)) * 1000) / 10;
  return [...incl.keys()].map((name) => ({
    name,
    selfPct: pct(self.get(name) ?? 0),
    totalPct: pct(incl.get(name) ?? 0),
  }));
}

if (import.meta.main) {
  const [file, topArg] = Deno.args;
  if (!file) {
    console.error("usage: deno run --allow-read bench/profile.ts FILE.cpuprofile [top]");
    Deno.exit(2);
  }
  const top = Number(topArg ?? 25);
  const rows = summarize(JSON.parse(await Deno.readTextFile(file)) as CpuProfile);
  console.log("self%  total%  function");
  for (const r of [...rows].sort((a, b) => b.selfPct - a.selfPct).slice(0, top)) {
    console.log(
      `${r.selfPct.toFixed(1).padStart(5)}  ${r.totalPct.toFixed(1).padStart(6)}  ${r.name}`,
    );
  }
  console.log("\nby total (inclusive) time:");
  for (const r of [...rows].sort((a, b) => b.totalPct - a.totalPct).slice(0, top)) {
    console.log(
      `${r.selfPct.toFixed(1).padStart(5)}  ${r.totalPct.toFixed(1).padStart(6)}  ${r.name}`,
    );
  }
}
