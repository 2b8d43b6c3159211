import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { casefold } from "../../lib/protocol/casemap.ts";
import { maskMatches, normalizeMask } from "../../lib/protocol/masks.ts";
import {
  CHANNEL_MODE_KINDS,
  formatModeChanges,
  parseModeChanges,
} from "../../lib/protocol/modes.ts";
import {
  cleanText,
  isValidChannel,
  isValidNick,
  sanitizeUsername,
} from "../../lib/protocol/validate.ts";

Deno.test("casefold() folds ASCII letters and []\\^ under rfc1459", () => {
  assertEquals(casefold("NiCk[]\\^"), "nick{}|~");
  assertEquals(casefold("ÄB"), "Äb");
  assertEquals(casefold("already{lower}"), "already{lower}");
});

Deno.test("isValidNick() follows the RFC character rules and the length limit", () => {
  for (const ok of ["alice", "a-b", "[x]", "_under", "b0b", "x`y", "x^y|z"]) {
    assertEquals(isValidNick(ok, 30), true, ok);
  }
  for (const bad of ["", "9x", "-x", "a b", "a,b", "a!b", "a@b", "#chan", ":x", "é"]) {
    assertEquals(isValidNick(bad, 30), false, bad);
  }
  assertEquals(isValidNick("a".repeat(31), 30), false);
});

Deno.test("isValidChannel() needs '#' and refuses spaces, commas and control characters", () => {
  assertEquals(isValidChannel("#lobby", 64), true);
  assertEquals(isValidChannel("#日本", 64), true);
  for (const bad of ["lobby", "#", "#a b", "#a,b", "#a\x07", "&local", "#" + "x".repeat(64)]) {
    assertEquals(isValidChannel(bad, 64), false, bad);
  }
});

Deno.test("sanitizeUsername() marks the name with '~' and drops unsafe characters", () => {
  assertEquals(sanitizeUsername("alice", 18), "~alice");
  assertEquals(sanitizeUsername("a@b!c", 18), "~abc");
  assertEquals(sanitizeUsername("@@@", 18), undefined);
  assertEquals(sanitizeUsername("x".repeat(40), 18)?.length, 18);
});

Deno.test("cleanText() removes NUL and line breaks and caps the length", () => {
  assertEquals(cleanText("a\u0000b\rc\nd", 10), "abcd");
  assertEquals(cleanText("abcdef", 3), "abc");
});

Deno.test("normalizeMask() completes partial masks", () => {
  assertEquals(normalizeMask("bob"), "bob!*@*");
  assertEquals(normalizeMask("*@10.0.0.1"), "*!*@10.0.0.1");
  assertEquals(normalizeMask("bob!x"), "bob!x@*");
  assertEquals(normalizeMask("a!b@c"), "a!b@c");
});

Deno.test("maskMatches() handles '*', '?' and casemapping", () => {
  assertEquals(maskMatches("*!*@10.0.0.*", "bob!~b@10.0.0.7"), true);
  assertEquals(maskMatches("BOB!*@*", "bob!~b@h"), true);
  assertEquals(maskMatches("b?b!*@*", "bob!~b@h"), true);
  assertEquals(maskMatches("b?b!*@*", "bb!~b@h"), false);
  assertEquals(maskMatches("*a*a*a*a*b", "a".repeat(200)), false);
  assertEquals(maskMatches("nick[1]!*@*", "NICK{1}!u@h"), true);
});

Deno.test("parseModeChanges() takes parameters by mode kind", () => {
  assertEquals(parseModeChanges("+ol-t", ["bob", "10"], CHANNEL_MODE_KINDS), [
    { add: true, mode: "o", arg: "bob" },
    { add: true, mode: "l", arg: "10" },
    { add: false, mode: "t" },
  ]);
  assertEquals(parseModeChanges("-lk", ["key"], CHANNEL_MODE_KINDS), [
    { add: false, mode: "l" },
    { add: false, mode: "k", arg: "key" },
  ]);
  assertEquals(parseModeChanges("+b", [], CHANNEL_MODE_KINDS), [{ add: true, mode: "b" }]);
  assertEquals(parseModeChanges("+X", ["a"], CHANNEL_MODE_KINDS), [{ add: true, mode: "X" }]);
});

Deno.test("formatModeChanges() groups signs and appends arguments", () => {
  assertEquals(
    formatModeChanges([
      { add: true, mode: "o", arg: "a" },
      { add: true, mode: "v", arg: "b" },
      { add: false, mode: "t" },
      { add: false, mode: "b", arg: "m!*@*" },
    ]),
    ["+ov-tb", "a", "b", "m!*@*"],
  );
});
