import assert from "node:assert/strict";
import { formatRuns, stripFormatting } from "../../lib/shared/formatting.ts";

Deno.test("stripFormatting() removes every formatting code and keeps the text", () => {
  assert.equal(stripFormatting("\x0312,04blue\x03 \x1ditalic\x1d\x0f"), "blue italic");
  assert.equal(stripFormatting("\x04ff0000red\x04 \x02b\x02"), "red b");
});

Deno.test("formatRuns() reads styles and colours and never hides text", () => {
  const runs = formatRuns("\x02bold\x02 \x1dit\x1d \x0304,02red on blue\x0f end");
  assert.deepEqual(runs.map((r) => r.text), ["bold", " ", "it", " ", "red on blue", " end"]);
  assert.equal(runs[0].style.bold, true);
  assert.equal(runs[2].style.italic, true);
  assert.equal(runs[4].style.fg, 4);
  assert.equal(runs[4].style.bg, 2);
  assert.equal(runs[5].style.fg, undefined);
  // same colour on same colour: the background goes, the text stays readable
  assert.equal(formatRuns("\x0305,05secret")[0].style.bg, undefined);
  // reverse of the defaults, and out-of-palette colours mean default
  assert.deepEqual(formatRuns("\x0399,99x")[0].style, formatRuns("x")[0].style);
  // other control characters are dropped, tabs become spaces
  assert.deepEqual(formatRuns("a\x07b\tc").map((r) => r.text).join(""), "ab c");
});
