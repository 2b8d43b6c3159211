// MONITOR, read markers and REDACT in this process (tests/helpers/memory_server.ts): what the
// wire does not show (tables emptied when a session ends, bounded guest markers, a labeled
// REDACT), asserted line for line.

import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { commaLines } from "../../lib/server/monitor.ts";
import { SERVER_NAME, startInProcess } from "../helpers/memory_server.ts";

const S = `:${SERVER_NAME}`;

Deno.test("MonitorTable forgets a session's watch list when the session ends", async () => {
  const t = startInProcess();
  try {
    const w = t.connect();
    await w.register("watcher");
    w.send("MONITOR + a,b,c");
    assertEquals(await w.expect(/ 731 /), `${S} 731 watcher :a,b,c`);
    assertEquals(t.server.monitors.size, 1);
    w.send("QUIT");
    await w.expectClosed();
    assertEquals(t.server.monitors.size, 0);
    // nobody is told about "a" any more, and nothing breaks when it comes
    const a = t.connect();
    await a.register("a");
    await a.expectNone(/ 73\d /);
  } finally {
    await t.close();
  }
});

Deno.test("MONITOR replies stay within 512 bytes however long the list", async () => {
  const t = startInProcess({ monitorSize: 200 });
  try {
    const w = t.connect();
    await w.register("w");
    const nicks = Array.from({ length: 120 }, (_, i) => `someone${i}`);
    w.send(`MONITOR + ${nicks.slice(0, 40).join(",")}`);
    w.send(`MONITOR + ${nicks.slice(40, 80).join(",")}`);
    w.send(`MONITOR + ${nicks.slice(80).join(",")}`);
    w.send("MONITOR L");
    const lines = (await w.collectUntil(/ 733 /)).filter((l) => / 732 /.test(l));
    assertEquals(lines.length > 1, true);
    for (const l of lines) assertEquals(new TextEncoder().encode(l).length + 2 <= 512, true);
    assertEquals(lines.flatMap((l) => l.split(" :")[1].split(",")), nicks);
  } finally {
    await t.close();
  }
});

Deno.test("commaLines() never splits an item and keeps every line within room", () => {
  assertEquals(commaLines([], 10), []);
  assertEquals(commaLines(["abc", "de", "f"], 6), ["abc,de", "f"]);
  assertEquals(commaLines(["toolongforroom"], 3), ["toolongforroom"]);
});

Deno.test("a guest's read markers are bounded by readMarkersInMemory (the oldest goes)", async () => {
  const t = startInProcess({ readMarkersInMemory: 2 });
  try {
    const g = t.connect();
    await g.register("guest", ["draft/read-marker"]);
    for (const c of ["#m1", "#m2", "#m3"]) {
      g.send(`JOIN ${c}`);
      await g.expect(/ 366 /);
      g.send(`MARKREAD ${c} timestamp=2020-01-01T00:00:00.000Z`);
      await g.expect(/MARKREAD .* timestamp=/);
    }
    g.send("MARKREAD #m1", "MARKREAD #m3");
    assertEquals(await g.expect(/MARKREAD #m1/), `${S} MARKREAD #m1 *`);
    assertEquals(
      await g.expect(/MARKREAD #m3/),
      `${S} MARKREAD #m3 timestamp=2020-01-01T00:00:00.000Z`,
    );
  } finally {
    await t.close();
  }
});

Deno.test("labeled MARKREAD and REDACT answer with their label", async () => {
  const t = startInProcess();
  try {
    const a = t.connect();
    await a.register("a", [
      "labeled-response",
      "draft/read-marker",
      "draft/message-redaction",
      "message-tags",
      "echo-message",
    ]);
    a.send("JOIN #l");
    await a.expect(/ 366 /);
    a.send("@label=m1 MARKREAD #l timestamp=2020-01-01T00:00:00.000Z");
    assertEquals(
      await a.expect(/label=m1/),
      `@label=m1 ${S} MARKREAD #l timestamp=2020-01-01T00:00:00.000Z`,
    );
    a.send("PRIVMSG #l :gone soon");
    const id = (await a.expectMessage(/ PRIVMSG /)).tags.msgid;
    a.send(`@label=r1 REDACT #l ${id} :why not`);
    const line = await a.expect(/label=r1/);
    match(
      line,
      new RegExp(`^@label=r1;msgid=\\S+ :a!~a@127\\.0\\.0\\.1 REDACT #l ${id} :why not$`),
    );
    a.send(`@label=r2 REDACT #l ${id}`);
    assertEquals(
      await a.expect(/label=r2/),
      `@label=r2 ${S} FAIL REDACT UNKNOWN_MSGID #l ${id} :This message does not exist or is too old`,
    );
  } finally {
    await t.close();
  }
});

Deno.test("a registered channel keeps its +e and +I lists when it empties and comes back", async () => {
  const t = startInProcess();
  try {
    const a = t.connect();
    await a.register("keeper");
    a.send("PRIVMSG NickServ :REGISTER keeper-password");
    await a.expect(/Account keeper created/);
    a.send("JOIN #kept");
    await a.expect(/ 366 /);
    a.send("PRIVMSG ChanServ :REGISTER #kept");
    await a.expect(/#kept is registered to keeper/);
    a.send("MODE #kept +eI ok!*@* pal!*@*");
    assertEquals(
      await a.expect(/ MODE /),
      ":keeper!~keeper@127.0.0.1 MODE #kept +eI ok!*@* pal!*@*",
    );
    a.send("PART #kept");
    await a.expect(/ PART /);
    assertEquals(t.server.channels.find("#kept"), undefined);
    a.send("JOIN #kept");
    await a.expect(/ 366 /);
    a.send("MODE #kept e", "MODE #kept I");
    match(await a.expect(/ 348 /), /^:test\.server 348 keeper #kept ok!\*@\* keeper!\S+ \d+$/);
    match(await a.expect(/ 346 /), /^:test\.server 346 keeper #kept pal!\*@\* keeper!\S+ \d+$/);
  } finally {
    await t.close();
  }
});

Deno.test("extended-monitor: a watcher hears AWAY, ACCOUNT and SETNAME of a nick it shares no channel with, once", async () => {
  const t = startInProcess();
  try {
    const caps = ["extended-monitor", "away-notify", "account-notify", "setname"];
    const w = t.connect();
    await w.register("watcher", caps);
    // watches without extended-monitor: MONITOR only, as before
    const plain = t.connect();
    await plain.register("plain", ["away-notify", "account-notify", "setname"]);
    const bob = t.connect();
    await bob.register("bob", ["setname"]);
    w.send("MONITOR + bob");
    await w.expect(/ 730 /);
    plain.send("MONITOR + bob");
    await plain.expect(/ 730 /);
    bob.send("AWAY :lunch");
    assertEquals(await w.expect(/ AWAY /), ":bob!~bob@127.0.0.1 AWAY :lunch");
    bob.send("SETNAME :Bob B");
    assertEquals(await w.expect(/ SETNAME /), ":bob!~bob@127.0.0.1 SETNAME :Bob B");
    bob.send("PRIVMSG NickServ :REGISTER bob-secret-1");
    assertEquals(await w.expect(/ ACCOUNT /), ":bob!~bob@127.0.0.1 ACCOUNT bob");
    bob.send("AWAY");
    assertEquals(await w.expect(/ AWAY/), ":bob!~bob@127.0.0.1 AWAY");
    // sharing a channel as well: still once
    for (const c of [w, bob]) {
      c.send("JOIN #both");
      await c.expect(/ 366 \S+ #both /);
    }
    bob.send("AWAY :again");
    await w.expect(/ AWAY :again$/);
    w.send("PING :sync");
    await w.expect(/PONG .*sync/);
    assertEquals(w.lines.filter((l) => / AWAY :again$/.test(l)).length, 1);
    await plain.expectNone(/ (AWAY|SETNAME|ACCOUNT) /);
  } finally {
    await t.close();
  }
});

Deno.test("draft/no-implicit-names: JOIN brings no NAMES; NAMES still answers", async () => {
  const t = startInProcess();
  try {
    const a = t.connect();
    await a.register("quiet", ["draft/no-implicit-names"]);
    a.send("JOIN #calm", "PING :after-join");
    await a.expect(/PONG .*after-join/);
    assertEquals(a.lines.filter((l) => / (353|366) /.test(l)), []);
    a.send("NAMES #calm");
    assertEquals(await a.expect(/ 353 /), `${S} 353 quiet = #calm :@quiet`);
    assertEquals(await a.expect(/ 366 /), `${S} 366 quiet #calm :End of /NAMES list`);
  } finally {
    await t.close();
  }
});

Deno.test("the replay on JOIN leaves out what came live while the store was being read", async () => {
  const t = startInProcess();
  // all in one millisecond: the line before the join and the one after it have the same time
  const now = Date.now;
  const frozen = now();
  Date.now = () => frozen;
  try {
    const talker = t.connect();
    await talker.register("talker");
    talker.send("JOIN #replay", "PRIVMSG #replay :before");
    await talker.expect(/ 366 /);
    // the store answers the joiner's replay only once a message has come after the join
    const store = t.server.store;
    const latest = store.latest.bind(store);
    let release!: () => void;
    const released = new Promise<void>((r) => release = r);
    store.latest = async (...args) => {
      await released;
      return latest(...args);
    };
    const late = t.connect();
    await late.register("late");
    late.send("JOIN #replay");
    await late.expect(/ 366 late #replay /);
    talker.send("PRIVMSG #replay :during");
    await late.expect(/ PRIVMSG #replay :during$/);
    release();
    await late.expect(/ PRIVMSG #replay :\[[\d :-]+\] before$/);
    late.send("PING :sync");
    await late.expect(/PONG .*sync/);
    assertEquals(
      late.lines.filter((l) => / PRIVMSG #replay :/.test(l)).map((l) => l.replace(/\[.*\] /, "")),
      [
        ":talker!~talker@127.0.0.1 PRIVMSG #replay :during",
        ":talker!~talker@127.0.0.1 PRIVMSG #replay :before",
      ],
    );
  } finally {
    Date.now = now;
    await t.close();
  }
});
