import assert from "node:assert/strict";
import { actionText, mentions, sourceNick, splitText } from "../../lib/shared/message_text.ts";
import { formatRuns, stripFormatting } from "../../lib/shared/formatting.ts";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { decodePlain } from "../../lib/auth/sasl.ts";

Deno.test("splitText() keeps each piece under the byte limit without breaking characters", () => {
  const text = "日本語 ".repeat(100);
  const parts = splitText(text, 50);
  for (const p of parts) assert.ok(new TextEncoder().encode(p).length <= 50);
  assert.equal(parts.join(" ").replace(/ +/g, " ").trim(), text.trim());
});

Deno.test("mentions() matches the nick as a whole word, ignoring case", () => {
  assert.equal(mentions("ANN: hi", "ann"), true);
  assert.equal(mentions("hi ann", "Ann"), true);
  assert.equal(mentions("annie", "ann"), false);
  assert.equal(mentions("joann", "ann"), false);
});

Deno.test("mentions() folds IRC case and knows nick characters", () => {
  assert.equal(mentions("ping ann: hi", "Ann"), true);
  assert.equal(mentions("annabel", "ann"), false);
  assert.equal(mentions("[x]: hi", "[x]"), true);
  assert.equal(mentions("{x}: hi", "[X]"), true);
  assert.equal(mentions("anything", ""), false);
});

Deno.test("splitText() returns short text whole and cuts at a space when it can", () => {
  assert.deepEqual(splitText("short", 400), ["short"]);
  assert.deepEqual(splitText("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
  assert.deepEqual(splitText("abcdefghij", 4), ["abcd", "efgh", "ij"]);
});

Deno.test("actionText() and sourceNick()", () => {
  assert.equal(actionText("\x01ACTION waves\x01"), "waves");
  assert.equal(actionText("\x01ACTION\x01"), "");
  assert.equal(actionText("\x01VERSION\x01"), undefined);
  assert.equal(sourceNick("ann!u@h"), "ann");
  assert.equal(sourceNick("srv.local"), "srv.local");
});

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

Deno.test("encodePlain() is what the server's decodePlain() reads, in 400-byte chunks", () => {
  assert.deepEqual(decodePlain(encodePlain("ann", "pw").join("")), {
    authzid: "",
    authcid: "ann",
    password: "pw",
  });
  const long = encodePlain("a", "x".repeat(297)); // exactly 400 base64 characters
  assert.deepEqual(long.map((c) => c.length), [400, 1]);
  assert.equal(long[1], "+");
  assert.equal(encodePlain("ann", "ü").length, 1);
});
