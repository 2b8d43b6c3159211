import assert from "node:assert/strict";
import {
  graphemes,
  padToWidth,
  spansText,
  spansToAnsi,
  textWidth,
  truncateToWidth,
  wrapSpans,
} from "../../lib/tui/width.ts";

Deno.test("textWidth() counts CJK characters and emoji as two columns", () => {
  assert.equal(textWidth("abc"), 3);
  assert.equal(textWidth("日本語"), 6);
  assert.equal(textWidth("😀"), 2);
  assert.equal(textWidth("e\u0301"), 1);
});

Deno.test("graphemes() keeps a flag and a combining accent as single clusters", () => {
  assert.deepEqual(graphemes("🇫🇷e\u0301"), ["🇫🇷", "e\u0301"]);
});

Deno.test("truncateToWidth() never cuts a wide character in half", () => {
  assert.equal(truncateToWidth("日本語", 5), "日本");
  assert.equal(truncateToWidth("ab日", 3), "ab");
});

Deno.test("padToWidth() pads wide text to the exact column count", () => {
  assert.equal(padToWidth("日", 4), "日  ");
  assert.equal(textWidth(padToWidth("日本語", 5)), 4 + 1);
});

Deno.test("wrapSpans() breaks at spaces and indents continuation rows", () => {
  const rows = wrapSpans([{ text: "hello big world" }], 10, 2).map(spansText);
  assert.deepEqual(rows, ["hello big ", "  world"]);
});

Deno.test("wrapSpans() splits a word longer than the row", () => {
  const rows = wrapSpans([{ text: "abcdefghijkl" }], 5).map(spansText);
  assert.deepEqual(rows, ["abcde", "fghij", "kl"]);
});

Deno.test("wrapSpans() never makes a row wider than the width with wide characters", () => {
  const text = "日本語のテキストと😀絵文字がたくさん混ざった長い行 mixed with ascii words";
  for (const width of [5, 7, 10, 13]) {
    const rows = wrapSpans([{ text }], width, 2);
    for (const r of rows) assert.ok(textWidth(spansText(r)) <= width, `width ${width}`);
    assert.equal(rows.map(spansText).join("").replace(/ /g, ""), text.replace(/ /g, ""));
  }
});

Deno.test("wrapSpans() keeps each span's style across a break", () => {
  const rows = wrapSpans([{ text: "<al> ", style: "31" }, { text: "one two three" }], 9);
  assert.equal(rows[0][0].style, "31");
  assert.equal(spansText(rows[1]), "two three");
  assert.equal(rows[1][0].style, "");
});

Deno.test("spansToAnsi() emits SGR only on style changes and resets at the end", () => {
  assert.equal(
    spansToAnsi([{ text: "a", style: "1" }, { text: "b", style: "1" }]),
    "\x1b[0;1mab\x1b[0m",
  );
  assert.equal(spansToAnsi([{ text: "plain" }]), "plain");
});
