import assert from "node:assert/strict";
import { describeNumeric, formatDuration } from "../../lib/shared/numeric_text.ts";
import { parseMessage } from "../../lib/protocol/message.ts";

const d = (line: string) => describeNumeric(parseMessage(line)!);

Deno.test("describeNumeric() turns common errors into sentences", () => {
  assert.deepEqual(d(":s 401 me bob :No such nick/channel"), {
    kind: "error",
    text: "There is no one called bob online.",
    channel: undefined,
  });
  assert.equal(
    d(":s 433 * ann :Nickname is already in use")?.text,
    "The nickname ann is already taken.",
  );
  assert.equal(
    d(":s 482 me #a :You're not channel operator")?.text,
    "You need to be a channel operator on #a to do that.",
  );
  assert.equal(
    d(":s 475 me #a :Cannot join channel (+k)")?.text,
    "You cannot join #a: it needs a key (use /join #a key).",
  );
  assert.equal(
    d(":s 421 me FROB :Unknown command")?.text,
    "The server does not know the command FROB.",
  );
  assert.equal(
    d(":s 461 me JOIN :Not enough parameters")?.text,
    "The command JOIN needs more parameters.",
  );
});

Deno.test("describeNumeric() never shows a bare numeric code", () => {
  for (
    const code of ["401", "403", "404", "442", "443", "471", "473", "474", "481", "999", "499"]
  ) {
    const r = d(`:s ${code} me #x y :some text`);
    assert.ok(r, code);
    assert.ok(!r!.text.includes(code), `${code}: ${r!.text}`);
  }
});

Deno.test("describeNumeric() describes topic and whois replies, and skips names lists", () => {
  assert.deepEqual(d(":s 332 me #a :the topic"), {
    kind: "info",
    text: "Topic of #a: the topic",
    channel: "#a",
  });
  assert.equal(d(":s 311 me bob ~b host * :Bob B")?.text, "bob is ~b@host (Bob B).");
  assert.equal(
    d(":s 317 me bob 125 :seconds idle")?.text,
    "bob has been idle for 2 minutes 5 seconds.",
  );
  assert.equal(d(":s 353 me = #a :x y"), undefined);
  assert.equal(d(":s 005 me A=1 :are supported"), undefined);
});

Deno.test("formatDuration() shows the two largest units", () => {
  assert.equal(formatDuration(0), "0 seconds");
  assert.equal(formatDuration(61), "1 minute 1 second");
  assert.equal(formatDuration(90061), "1 day 1 hour");
});
