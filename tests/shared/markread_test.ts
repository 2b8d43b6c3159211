import assert from "node:assert/strict";
import { markreadParam, parseMarkreadParam } from "../../lib/shared/markread.ts";

Deno.test("parseMarkreadParam() reads its own form back and ignores a bad time", () => {
  const t = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
  assert.equal(parseMarkreadParam(markreadParam(t))?.getTime(), t.getTime());
  assert.equal(parseMarkreadParam("*"), null);
  assert.equal(parseMarkreadParam("timestamp=nonsense"), undefined);
  assert.equal(parseMarkreadParam(undefined), undefined);
});
