import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { LoginThrottle, sourceKey, WindowCounter } from "../../lib/auth/throttle.ts";

const options = { attempts: 3, sourceAttempts: 5, accountCeiling: 6, windowMs: 60_000 };
const reserved = (r: unknown) => typeof r === "object";

Deno.test("LoginThrottle.reserve() counts an attempt before it is verified", () => {
  const t = new LoginThrottle(options);
  // three guesses in flight at once: the fourth is refused although none has failed yet
  for (let i = 0; i < 3; i++) ok(reserved(t.reserve("alice", "192.0.2.1", 1000)));
  const wait = t.reserve("alice", "192.0.2.1", 1000);
  assertEquals(wait, 60_000);
});

Deno.test("LoginThrottle: a success gives its reservation back and forgets the pair's failures", () => {
  const t = new LoginThrottle(options);
  const a = t.reserve("alice", "192.0.2.1", 1000);
  const b = t.reserve("alice", "192.0.2.1", 1000);
  ok(reserved(a) && reserved(b));
  if (typeof b === "object") b.succeeded();
  for (let i = 0; i < 3; i++) ok(reserved(t.reserve("alice", "192.0.2.1", 2000)));
  ok(!reserved(t.reserve("alice", "192.0.2.1", 2000)));
});

Deno.test("LoginThrottle: a cancelled (never verified) attempt does not count", () => {
  const t = new LoginThrottle(options);
  for (let i = 0; i < 10; i++) {
    const r = t.reserve("alice", "192.0.2.1", 1000);
    ok(typeof r === "object");
    r.cancel();
  }
  assertEquals(t.size, 0);
});

Deno.test("LoginThrottle: one address guessing never locks the owner out elsewhere", () => {
  const t = new LoginThrottle(options);
  for (let i = 0; i < 3; i++) ok(reserved(t.reserve("alice", "192.0.2.1", 1000)));
  ok(!reserved(t.reserve("alice", "192.0.2.1", 1000)));
  ok(reserved(t.reserve("alice", "198.51.100.9", 1000)));
});

Deno.test("LoginThrottle: one address is paused after sourceAttempts over all accounts", () => {
  const t = new LoginThrottle(options);
  for (let i = 0; i < 5; i++) ok(reserved(t.reserve(`user${i}`, "192.0.2.1", 1000)));
  ok(!reserved(t.reserve("other", "192.0.2.1", 1000)));
  // an IPv6 host counts as its /64
  for (let i = 0; i < 5; i++) ok(reserved(t.reserve(`user${i}`, `2001:db8::${i + 1}`, 1000)));
  ok(!reserved(t.reserve("other", "2001:db8::ff", 1000)));
});

Deno.test("LoginThrottle: exempt sources are not counted per source", () => {
  const t = new LoginThrottle({ ...options, exempt: (ip) => ip === "127.0.0.1" });
  for (let i = 0; i < 20; i++) ok(reserved(t.reserve(`user${i}`, "127.0.0.1", 1000)));
  // the pair is still counted
  for (let i = 0; i < 3; i++) ok(reserved(t.reserve("alice", "127.0.0.1", 1000)));
  ok(!reserved(t.reserve("alice", "127.0.0.1", 1000)));
});

Deno.test("LoginThrottle: past the account ceiling, only addresses that have not failed on it try", () => {
  const t = new LoginThrottle(options);
  for (let i = 0; i < 6; i++) ok(reserved(t.reserve("alice", `192.0.2.${i + 1}`, 1000)));
  ok(!reserved(t.reserve("alice", "192.0.2.1", 2000)));
  ok(reserved(t.reserve("alice", "203.0.113.5", 2000)));
  for (let i = 0; i < 500; i++) t.reserve("alice", `10.0.${i >> 8}.${i & 255}`, 3000);
  // after the window, all is forgotten
  t.sweep(70_000);
  assertEquals(t.size, 0);
});

Deno.test("WindowCounter.waitBelow() says how long until the oldest counted stamp expires", () => {
  const c = new WindowCounter(10_000);
  c.add("k", 1000);
  c.add("k", 4000);
  assertEquals(c.waitBelow("k", 2, 5000), 6000);
  assertEquals(c.waitBelow("k", 1, 5000), 9000);
  assertEquals(c.waitBelow("k", 3, 5000), 0);
  assertEquals(c.waitBelow("k", 0, 5000), 0);
});

Deno.test("sourceKey() groups IPv6 by /64 and unmaps IPv4-mapped addresses", () => {
  assertEquals(sourceKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assertEquals(sourceKey("2001:0db8:0001:0002::9"), "2001:db8:1:2::/64");
  assertEquals(sourceKey("::1"), "0:0:0:0::/64");
  assertEquals(sourceKey("fe80::1%eth0"), "fe80:0:0:0::/64");
  assertEquals(sourceKey("::FFFF:10.1.2.3"), "10.1.2.3");
  assertEquals(sourceKey("10.1.2.3"), "10.1.2.3");
});
