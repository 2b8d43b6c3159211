import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { BUSY_TEXT, LoginGate, type LoginGateOptions } from "../../lib/auth/login_gate.ts";

/** A gate whose "hash" is a comparison that finishes when released, counting the calls. */
function gate(extra: Partial<LoginGateOptions> = {}) {
  const calls: string[] = [];
  let release!: () => void;
  let released = new Promise<void>((r) => (release = r));
  const g = new LoginGate({
    attempts: 3,
    sourceAttempts: 20,
    accountCeiling: 100,
    windowMs: 60_000,
    hashing: { running: 2, waiting: 4, perSource: 0 },
    registrations: 2,
    registrationWindowMs: 600_000,
    verify: async (password, stored) => {
      calls.push(stored);
      await released;
      return `hash:${password}` === stored;
    },
    hash: (password) => Promise.resolve(`hash:${password}`),
    ...extra,
  });
  return {
    g,
    calls,
    release: () => {
      release();
      released = Promise.resolve();
    },
  };
}

Deno.test("LoginGate.check(): parallel wrong guesses, only the allowance is verified", async () => {
  const { g, calls, release } = gate();
  const all = Array.from(
    { length: 10 },
    (_, i) => g.check("account:a", "192.0.2.1", `p${i}`, "hash:x"),
  );
  release();
  const results = await Promise.all(all);
  assertEquals(calls.length, 3);
  assertEquals(results.filter((r) => !r.ok && r.reason === "invalid").length, 3);
  assertEquals(results.filter((r) => !r.ok && r.reason === "throttled").length, 7);
});

Deno.test("LoginGate.check(): an unknown account is verified too (against a dummy hash), never accepted", async () => {
  const { g, calls, release } = gate();
  release();
  assertEquals(await g.check("account:ghost", "192.0.2.1", "x", undefined), {
    ok: false,
    reason: "invalid",
  });
  assertEquals(calls.length, 1);
  match(calls[0], /^scrypt\$16384\$8\$1\$/);
  // accept decides when there is no stored hash (configured operator credentials)
  assertEquals(await g.check("oper:boss", "192.0.2.1", "y", undefined, () => true), { ok: true });
  assertEquals(calls.length, 2);
});

Deno.test("LoginGate.check(): beyond the queue the answer is busy, and busy does not count", async () => {
  const { g, release } = gate({ attempts: 100 });
  const all = Array.from(
    { length: 10 },
    (_, i) => g.check(`account:u${i}`, "192.0.2.1", "p", "hash:p"),
  );
  const results = await Promise.race([
    Promise.all(all.slice(6)),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("busy waited")), 1000)),
  ]);
  assertEquals(results, Array(4).fill({ ok: false, reason: "busy" }));
  release();
  const first = await Promise.all(all.slice(0, 6));
  assertEquals(first, Array(6).fill({ ok: true }));
  assertEquals(BUSY_TEXT, "the server is busy, try again in a moment");
});

Deno.test("LoginGate.admitRegistration() counts per source and gives back a cancelled one", async () => {
  const { g } = gate();
  const a = g.admitRegistration("192.0.2.1", "pw", 1000);
  const b = g.admitRegistration("192.0.2.1", "pw", 1000);
  if (!("hashing" in a) || !("hashing" in b)) throw new Error("refused too early");
  assertEquals(await a.hashing, "hash:pw");
  const c = g.admitRegistration("192.0.2.1", "pw", 2000);
  assertEquals(c, {
    refused: "too many accounts registered from your address, try again in 599 seconds",
  });
  b.cancel();
  b.cancel();
  const d = g.admitRegistration("192.0.2.1", "pw", 2000);
  assertEquals("hashing" in d, true);
  assertEquals("hashing" in g.admitRegistration("198.51.100.1", "pw", 2000), true);
});
