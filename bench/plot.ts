/**
 * A hand-written SVG line plot: latency (log scale) against offered rate, one colour per
 * server, p99 solid and p50 dashed. No library.
 *
 * @module
 */

/** One server's measured points. */
export interface PlotSeries {
  /** Legend label (server name). */
  name: string;
  /** (offered msg/s, p50 ms, p99 ms) triples. */
  points: { offered: number; p50Ms: number; p99Ms: number }[];
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(x: number): string {
  return x >= 100 ? String(Math.round(x)) : x >= 1 ? x.toFixed(1).replace(/\.0$/, "") : String(x);
}

/**
 * Renders the plot as an SVG document.
 *
 * @example
 * ```ts
 * import { latencyPlot } from "./plot.ts";
 * const svg = latencyPlot("fan-out", [
 *   { name: "ours", points: [{ offered: 100, p50Ms: 1, p99Ms: 5 }] },
 * ]);
 * svg.startsWith("<svg"); // true
 * ```
 */
export function latencyPlot(title: string, series: PlotSeries[]): string {
  const W = 720, H = 440;
  const L = 70, R = 170, T = 40, B = 55;
  const pw = W - L - R, ph = H - T - B;
  const all = series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map((p) => p.offered)) * 1.05;
  const ys = all.flatMap((p) => [p.p50Ms, p.p99Ms]).filter((y) => y > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(1, ...ys)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(10, ...ys))));
  const x = (v: number) => L + (v / maxX) * pw;
  const y = (v: number) => {
    const c = Math.min(hi, Math.max(lo, v));
    return T + ph - ((Math.log10(c) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  };
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  );
  // y grid: decades
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const yy = y(d).toFixed(1);
    out.push(
      `<line x1="${L}" y1="${yy}" x2="${L + pw}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${fmt(d)}</text>`,
    );
  }
  // x grid: ~6 round ticks
  const rawStep = maxX / 6;
  const mag = Math.pow(10, Math.floor(Math.log10(rawStep)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= rawStep) ?? rawStep;
  for (let v = 0; v <= maxX; v += step) {
    const xx = x(v).toFixed(1);
    out.push(
      `<line x1="${xx}" y1="${T}" x2="${xx}" y2="${T + ph}" stroke="#eee"/>`,
      `<text x="${xx}" y="${T + ph + 16}" text-anchor="middle">${fmt(v)}</text>`,
    );
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${L + pw / 2}" y="${H - 14}" text-anchor="middle">offered messages/s (total)</text>`,
    `<text transform="translate(18 ${
      T + ph / 2
    }) rotate(-90)" text-anchor="middle">latency send→receipt, ms (log)</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.offered - b.offered);
    for (const [key, dash] of [["p99Ms", ""], ["p50Ms", ' stroke-dasharray="5 4"']] as const) {
      const path = pts.map((p) => `${x(p.offered).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
      out.push(
        `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      );
      for (const p of pts) {
        out.push(
          `<circle cx="${x(p.offered).toFixed(1)}" cy="${
            y(p[key]).toFixed(1)
          }" r="3" fill="${color}"><title>${
            esc(`${s.name} ${key.slice(0, 3)} at ${p.offered}/s: ${p[key]} ms`)
          }</title></circle>`,
        );
      }
    }
    const ly = T + 10 + i * 38;
    out.push(
      `<line x1="${L + pw + 15}" y1="${ly}" x2="${
        L + pw + 45
      }" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${L + pw + 50}" y="${ly}" dominant-baseline="middle">${esc(s.name)} p99</text>`,
      `<line x1="${L + pw + 15}" y1="${ly + 16}" x2="${L + pw + 45}" y2="${
        ly + 16
      }" stroke="${color}" stroke-width="2" stroke-dasharray="5 4"/>`,
      `<text x="${L + pw + 50}" y="${ly + 16}" dominant-baseline="middle">${
        esc(s.name)
      } p50</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
