import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { pauseOnFatal, shouldPauseOnFatal } from "../../lib/platform/console.ts";

Deno.test("shouldPauseOnFatal() only on a Windows console, never with piped stdin or stdout", () => {
  const yes = { os: "windows" as const, stdinIsTerminal: true, stdoutIsTerminal: true };
  assertEquals(shouldPauseOnFatal(yes), true);
  assertEquals(shouldPauseOnFatal({ ...yes, stdinIsTerminal: false }), false);
  assertEquals(shouldPauseOnFatal({ ...yes, stdoutIsTerminal: false }), false);
  assertEquals(shouldPauseOnFatal({ ...yes, os: "linux" }), false);
  assertEquals(shouldPauseOnFatal({ ...yes, os: "darwin" }), false);
});

Deno.test("pauseOnFatal() returns at once when stdin is not a terminal (tests, CI)", () => {
  // deno test runs with stdin not a terminal in CI; on a developer's terminal this is Linux
  // or macOS, where it never pauses either
  pauseOnFatal();
});
