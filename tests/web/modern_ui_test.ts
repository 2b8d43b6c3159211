import assert from "node:assert/strict";
import { isInlineImage, mayRedact, QUICK_REACTIONS } from "../../lib/web/static/modern_ui.ts";

Deno.test("isInlineImage() shows only images of the page's own upload place", () => {
  const up = "http://h:1/upload";
  assert.equal(isInlineImage("http://h:1/uploads/x.PNG", up, "http://h:1"), true);
  assert.equal(isInlineImage("http://h:1/uploads/x.html", up, "http://h:1"), false);
  assert.equal(isInlineImage("http://h:1/upload/abc", up, "http://h:1"), true);
  assert.equal(isInlineImage("http://other/x.png", up, "http://h:1"), false);
  assert.equal(isInlineImage("not a url", up, "http://h:1"), false);
});

Deno.test("mayRedact() allows our own messages and operators", () => {
  assert.deepEqual([mayRedact(true, ""), mayRedact(false, "~"), mayRedact(false, "+v")], [
    true,
    true,
    false,
  ]);
  assert.ok(QUICK_REACTIONS.includes("👍"));
});
