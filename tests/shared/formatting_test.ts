import assert from "node:assert/strict";
import {
  formatRuns,
  MIRC_RGB,
  nearestBaseColour,
  stripFormatting,
} from "../../lib/shared/formatting.ts";

Deno.test("stripFormatting() removes every formatting code and keeps the text", () => {
  assert.equal(stripFormatting("\x0312,04blue\x03 \x1ditalic\x1d\x0f"), "blue italic");
  assert.equal(stripFormatting("\x04ff0000red\x04 \x02b\x02"), "red b");
});

Deno.test("formatRuns() reads styles, mIRC and hex colours, and leaves other text alone", () => {
  const runs = formatRuns("\x02bold\x02 \x1dit\x1d \x0304,02red on blue\x0f end");
  assert.deepEqual(runs.map((r) => r.text), ["bold", " ", "it", " ", "red on blue", " end"]);
  assert.equal(runs[0].style.bold, true);
  assert.equal(runs[2].style.italic, true);
  assert.equal(runs[4].style.fg, 4);
  assert.equal(runs[4].style.bg, 2);
  assert.equal(runs[5].style.fg, undefined);
  assert.equal(formatRuns("\x0352x")[0].style.fg, 52);
  assert.equal(formatRuns("\x0399x")[0].style.fg, undefined); // 99: the default colour
  assert.equal(formatRuns("\x04FF8000,000000x")[0].style.bg, "#000000");
  assert.equal(formatRuns("\x16r")[0].style.reverse, true);
  // a colour code without digits ends the colours; runs of one style are merged
  assert.deepEqual(formatRuns("\x0304a\x03b").map((r) => [r.text, r.style.fg]), [
    ["a", 4],
    ["b", undefined],
  ]);
  assert.deepEqual(formatRuns("a\x02\x02b").map((r) => r.text), ["ab"]);
  // other control characters stay for the view to neutralise
  assert.equal(formatRuns("a\x07b\tc")[0].text, "a\x07b\tc");
  assert.deepEqual(formatRuns(""), []);
});

Deno.test("nearestBaseColour() maps extended and hex colours onto the 16 base ones", () => {
  assert.equal(MIRC_RGB.length, 99);
  assert.equal(nearestBaseColour(12), 12);
  assert.equal(nearestBaseColour(52), 4); // extended bright red
  assert.equal(nearestBaseColour("#000001"), 1);
  assert.equal(nearestBaseColour("#fefefe"), 0);
  assert.equal(nearestBaseColour(undefined), undefined);
});
