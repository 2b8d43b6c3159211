import assert from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { decodePlain } from "../../lib/auth/sasl.ts";

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
