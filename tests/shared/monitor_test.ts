import assert from "node:assert/strict";
import { monitorNicks } from "../../lib/shared/monitor.ts";

Deno.test("monitorNicks() reads 730 and 731 lists, skipping empty items", () => {
  assert.deepEqual(monitorNicks("a!u@h,b,,c!x@y"), ["a", "b", "c"]);
  assert.deepEqual(monitorNicks(" ann , bob!b@h"), ["ann", "bob"]);
  assert.deepEqual(monitorNicks(""), []);
});
