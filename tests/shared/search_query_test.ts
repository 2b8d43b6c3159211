import assert from "node:assert/strict";
import { searchAttributes } from "../../lib/shared/search_query.ts";

Deno.test("searchAttributes() escapes values and keeps a sane limit", () => {
  assert.equal(searchAttributes({ text: "a;b c" }), "text=a\\:b\\sc");
  assert.equal(searchAttributes({ text: "x", in: "#a", limit: 5 }), "text=x;in=#a;limit=5");
  assert.equal(
    searchAttributes({ text: "x", from: "a b", limit: 0.5 }),
    "text=x;from=a\\sb;limit=1",
  );
});
