import assert from "node:assert/strict";
import {
  BROWSER_CAPS,
  COMMON_CAPS,
  DEFAULT_CHANNEL,
  TERMINAL_CAPS,
} from "../../lib/shared/client_defaults.ts";
import { DEFAULT_CHANNELS } from "../../lib/client/args.ts";

Deno.test("both clients start from the same channel and the same common capabilities", () => {
  assert.equal(DEFAULT_CHANNEL, "#lobby");
  assert.deepEqual(DEFAULT_CHANNELS, [DEFAULT_CHANNEL]);
  for (const cap of COMMON_CAPS) {
    assert.ok(TERMINAL_CAPS.includes(cap), cap);
    assert.ok(BROWSER_CAPS.includes(cap), cap);
  }
  // only the browser fetches history itself
  assert.ok(BROWSER_CAPS.includes("draft/chathistory"));
  assert.ok(!TERMINAL_CAPS.includes("draft/chathistory"));
});
