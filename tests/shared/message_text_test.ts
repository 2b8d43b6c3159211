import assert from "node:assert/strict";
import { actionText, mentions, sourceNick, splitText } from "../../lib/shared/message_text.ts";

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
