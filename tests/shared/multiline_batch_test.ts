import assert from "node:assert/strict";
import { joinMultiline, planMultiline } from "../../lib/shared/multiline_batch.ts";
import { uploadedLocation, uploadUrl } from "../../lib/shared/filehost_upload.ts";
import { parseMarkreadParam } from "../../lib/shared/markread.ts";

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

Deno.test("uploadUrl() refuses an unknown scheme and a relative Location is resolved", () => {
  assert.match(
    (uploadUrl(new Map([["soju.im/FILEHOST", "ftp://h/up"]]), false) as { error: string }).error,
    /not http/,
  );
  assert.equal(
    uploadUrl(new Map([["draft/FILEHOST", "https://h/up"]]), true),
    "https://h/up",
  );
  assert.equal(uploadedLocation("javascript:alert(1)", "https://h/up"), undefined);
  assert.equal(uploadedLocation(null, "https://h/up"), undefined);
});

Deno.test("parseMarkreadParam() ignores a bad time", () => {
  assert.equal(parseMarkreadParam("timestamp=nonsense"), undefined);
  assert.equal(parseMarkreadParam(undefined), undefined);
});
