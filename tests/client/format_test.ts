import assert from "node:assert/strict";
import { formatPlain, lineBody } from "../../lib/client/format.ts";

const time = new Date(2024, 0, 1, 12, 1);

Deno.test("formatPlain() prints a message as [HH:MM] <nick> text", () => {
  assert.equal(
    formatPlain({ time, window: "#a", kind: "message", nick: "alice", text: "hi" }),
    "[12:01] <alice> hi",
  );
});

Deno.test("formatPlain() labels lines of another window when asked", () => {
  assert.equal(
    formatPlain({ time, window: "#b", kind: "action", nick: "bob", text: "waves" }, true),
    "[12:01] #b * bob waves",
  );
});

Deno.test("lineBody() neutralises escape sequences in nick and text", () => {
  const body = lineBody({
    time,
    window: "#a",
    kind: "message",
    nick: "ev\x1b[31mil",
    text: "x\x1b[2Jy",
  });
  assert.equal(body, "<ev^[[31mil> x^[[2Jy");
});

Deno.test("lineBody() marks events with -- and errors with !!", () => {
  assert.equal(
    lineBody({ time, window: "", kind: "join", text: "bob joined #a" }),
    "-- bob joined #a",
  );
  assert.equal(lineBody({ time, window: "", kind: "error", text: "oops" }), "!! oops");
});
