import assert from "node:assert/strict";
import { sanitize, stripFormatting } from "../../lib/tui/sanitize.ts";

Deno.test("sanitize() shows ESC of an escape sequence as harmless ^[ text", () => {
  assert.equal(sanitize("evil\x1b[2J\x1b]0;title\x07nick"), "evil^[[2J^[]0;title^Gnick");
});

Deno.test("sanitize() leaves no C0, DEL or C1 control character in its output", () => {
  let all = "";
  for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c);
  const out = sanitize(all);
  // deno-lint-ignore no-control-regex
  assert.equal(/[\x00-\x1f\x7f-\x9f]/.test(out), false);
});

Deno.test("sanitize() replaces the 8-bit CSI (U+009B) with U+FFFD", () => {
  assert.equal(sanitize("a\u009b31mb"), "a\uFFFD31mb");
});

Deno.test("sanitize() removes bidirectional overrides and isolates", () => {
  assert.equal(sanitize("abc\u202Edef\u2066g\u2069"), "abcdefg");
});

Deno.test("sanitize() turns tabs and line separators into spaces", () => {
  assert.equal(sanitize("a\tb\u2028c"), "a b c");
});

Deno.test("sanitize() keeps ordinary text, CJK and emoji unchanged", () => {
  const s = "héllo 日本語 😀 [ok]";
  assert.equal(sanitize(s), s);
});

Deno.test("stripFormatting() removes bold, colours with their digits, and reset codes", () => {
  assert.equal(
    stripFormatting("\x02b\x02 \x0304,12red\x03 \x0312blue \x1funder\x0f"),
    "b red blue under",
  );
  assert.equal(stripFormatting("\x04FF0000hex\x04"), "hex");
});
