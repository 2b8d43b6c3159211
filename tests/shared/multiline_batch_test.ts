import assert from "node:assert/strict";
import {
  fitsMultiline,
  joinMultiline,
  multilineParts,
  parseMultilineCap,
  planMultiline,
} from "../../lib/shared/multiline_batch.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

Deno.test("planMultiline() keeps every batch within max-bytes and max-lines, and loses nothing", () => {
  const text = [
    "first line",
    "",
    "a much longer line that needs to be cut somewhere",
    "é".repeat(30),
  ]
    .join("\n");
  const limits = { maxBytes: 40, maxLines: 3 };
  const plan = planMultiline(text, limits, 16);
  for (const batch of plan) {
    assert.ok(batch.length <= 3, JSON.stringify(batch));
    assert.ok(bytes(joinMultiline(batch)) <= 40, JSON.stringify(batch));
    for (const p of batch) assert.ok(bytes(p.text) <= 16);
    assert.equal(batch[0].concat, false);
  }
  // nothing lost: every character is in some part, in order
  assert.equal(plan.flat().map((p) => p.text).join(""), text.replaceAll("\n", ""));
  // a line that fits stays whole within its batch
  assert.ok(plan.some((b) => joinMultiline(b).startsWith("first line\n")));
});

Deno.test("planMultiline() drops blank lines at the edges and never splits inside a character", () => {
  const plan = planMultiline("\n\n😀😀😀\n\n", { maxBytes: 100, maxLines: 10 }, 5);
  assert.deepEqual(plan, [[
    { text: "😀", concat: false },
    { text: "😀", concat: true },
    { text: "😀", concat: true },
  ]]);
  assert.deepEqual(planMultiline("\n \n", { maxBytes: 100, maxLines: 10 }, 50), []);
});

Deno.test("multilineParts() keeps every character and joinMultiline() gives the text back", () => {
  const text = "short\n\nthis line is long enough to be cut ééé\nend";
  const parts = multilineParts(text, 10);
  for (const p of parts) assert.ok(bytes(p.text) <= 10, p.text);
  assert.equal(joinMultiline(parts), text);
  assert.deepEqual(parts[0], { text: "short", concat: false });
  assert.deepEqual(parts[1], { text: "", concat: false });
  assert.deepEqual(parts[2], { text: "this line ", concat: false });
  assert.equal(parts[3].concat, true);
});

Deno.test("multilineParts() never cuts inside a character, even one over the budget", () => {
  assert.deepEqual(multilineParts("é😀a", 3), [
    { text: "é", concat: false },
    { text: "😀", concat: true },
    { text: "a", concat: true },
  ]);
});

Deno.test("parseMultilineCap() and fitsMultiline() count one LF between lines", () => {
  assert.deepEqual(parseMultilineCap("max-bytes=40,max-lines=2"), { maxBytes: 40, maxLines: 2 });
  assert.deepEqual(parseMultilineCap("max-bytes=40"), { maxBytes: 40, maxLines: Infinity });
  assert.equal(parseMultilineCap(""), undefined);
  assert.equal(parseMultilineCap("max-bytes=0,max-lines=2"), undefined);
  const parts = multilineParts("a\nb\nc", 100);
  assert.equal(fitsMultiline(parts, { maxBytes: 5, maxLines: 3 }), true);
  assert.equal(fitsMultiline(parts, { maxBytes: 5, maxLines: 2 }), false);
  assert.equal(fitsMultiline(parts, { maxBytes: 4, maxLines: 3 }), false);
  // a concat part adds no LF
  assert.equal(fitsMultiline(multilineParts("ab cd", 3), { maxBytes: 5, maxLines: 2 }), true);
});
