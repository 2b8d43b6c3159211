import assert from "node:assert/strict";
import { dial, type ServerTarget } from "../../lib/client/dial.ts";
import { IrcClient } from "../../lib/client/irc_client.ts";
import { parseStsPolicies, parseStsValue, StsPolicies } from "../../lib/client/sts.ts";
import { FakeIrcServer } from "../helpers/fake_irc_server.ts";
import { waitFor } from "../helpers/wait.ts";

Deno.test("parseStsValue() reads port and duration and ignores what it does not know", () => {
  assert.deepEqual(parseStsValue("port=6697"), { port: 6697, duration: undefined });
  assert.deepEqual(parseStsValue("duration=300,port=7000,preload"), { port: 7000, duration: 300 });
  assert.deepEqual(parseStsValue("port=0,duration=-5"), { port: undefined, duration: undefined });
  assert.deepEqual(parseStsValue("port=abc,duration=0"), { port: undefined, duration: 0 });
  assert.deepEqual(parseStsValue(""), { port: undefined, duration: undefined });
});

Deno.test("parseStsPolicies() skips comments and malformed lines", () => {
  const m = parseStsPolicies(
    "# c\nIRC.Example.org 6697 2030-01-01T00:00:00.000Z\nbad line\nx 99999 2030-01-01T00:00:00Z\n",
  );
  assert.deepEqual([...m.keys()], ["irc.example.org"]);
  assert.equal(m.get("irc.example.org")?.port, 6697);
});

Deno.test("StsPolicies records, expires and forgets a host's policy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-sts-" });
  try {
    const sts = new StsPolicies(dir);
    const now = Date.parse("2030-01-01T00:00:00Z");
    assert.equal(await sts.get("irc.example.org", now), undefined);
    await sts.record("IRC.example.org", 6697, 3600, now);
    assert.equal((await sts.get("irc.example.org", now + 1000))?.port, 6697);
    assert.equal(await sts.get("irc.example.org", now + 3600_000), undefined);
    await sts.record("irc.example.org", 6697, 0, now);
    assert.equal(await sts.get("irc.example.org", now + 1000), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("IrcClient moves to TLS when a plain server offers sts, and records the policy given over TLS", async () => {
  // the "TLS" server is a plain fake reached through a dialer that notes what was asked
  const secure = FakeIrcServer.start({ caps: ["server-time", "sts=duration=300"] });
  const plain = FakeIrcServer.start({ caps: ["server-time", `sts=port=${secure.port}`] });
  const dialed: ServerTarget[] = [];
  const recorded: [string, number, number][] = [];
  const client = new IrcClient({
    target: { host: "127.0.0.1", port: plain.port, tls: false },
    nick: "ann",
    channels: [],
    dialer: (t) => {
      dialed.push(t);
      return dial({ ...t, tls: false });
    },
    recordStsPolicy: (host, port, seconds) => {
      recorded.push([host, port, seconds]);
      return Promise.resolve();
    },
  });
  try {
    client.start();
    assert.equal(await client.ready(5000), true);
    assert.deepEqual(dialed, [
      { host: "127.0.0.1", port: plain.port, tls: false },
      { host: "127.0.0.1", port: secure.port, tls: true },
    ]);
    // the plain connection never got as far as registering
    assert.ok(!plain.conns[0].received.some((l) => l.startsWith("CAP REQ") || l === "CAP END"));
    await waitFor("policy recorded", () => recorded.length === 1);
    assert.deepEqual(recorded, [["127.0.0.1", secure.port, 300]]);
    assert.equal(client.serverLabel, `127.0.0.1:${secure.port}`);
  } finally {
    client.stop();
    await client.closed;
    await plain.close();
    await secure.close();
  }
});
