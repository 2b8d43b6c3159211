import assert from "node:assert/strict";
import { IrcClient } from "../../lib/client/irc_client.ts";
import type { ChatLine, ClientEvent } from "../../lib/client/events.ts";
import { parseModernCommand as parseInput } from "../../lib/shared/modern_commands.ts";
import { FakeConn, FakeIrcServer, type FakeOptions } from "../helpers/fake_irc_server.ts";
import { waitFor } from "../helpers/wait.ts";

interface Setup {
  srv: FakeIrcServer;
  client: IrcClient;
  conn: FakeConn;
  events: ClientEvent[];
  lines: ChatLine[];
  dispose(): Promise<void>;
}

async function setup(fake: FakeOptions = {}): Promise<Setup> {
  const srv = FakeIrcServer.start(fake);
  const client = new IrcClient({
    target: { host: "127.0.0.1", port: srv.port, tls: false },
    nick: "ann",
    channels: ["#lobby"],
    backoffInitialMs: 20,
    backoffMaxMs: 100,
  });
  const events: ClientEvent[] = [];
  const lines: ChatLine[] = [];
  client.onEvent = (e) => {
    events.push(e);
    if (e.type === "line") lines.push(e.line);
  };
  client.start();
  assert.equal(await client.ready(5000), true);
  return {
    srv,
    client,
    conn: srv.conns[0],
    events,
    lines,
    dispose: async () => {
      client.stop();
      await client.closed;
      await srv.close();
    },
  };
}

const MODERN = [
  "server-time",
  "echo-message",
  "batch",
  "message-tags",
  "draft/read-marker",
  "draft/message-redaction",
  "draft/multiline=max-bytes=40,max-lines=3",
  "soju.im/search",
];

Deno.test("IrcClient asks for the modern caps only when offered", async () => {
  const s = await setup({ caps: MODERN });
  try {
    await s.srv.waitForLine(
      /^CAP REQ :server-time echo-message batch message-tags draft\/read-marker draft\/message-redaction draft\/multiline soju\.im\/search$/,
    );
  } finally {
    await s.dispose();
  }
  const plain = await setup({ caps: ["server-time"] });
  try {
    await plain.srv.waitForLine(/^CAP REQ :?server-time$/);
  } finally {
    await plain.dispose();
  }
});

Deno.test("IrcClient sends a multi-line text as one draft/multiline batch, split within max-bytes", async () => {
  const s = await setup({ caps: MODERN.filter((c) => c !== "echo-message") });
  try {
    assert.deepEqual(s.client.multiline, { maxBytes: 40, maxLines: 3 });
    assert.equal(s.client.messagesFor("#lobby", "one\ntwo"), 1);
    assert.equal(s.client.perform({ kind: "say", target: "#lobby", text: "one\ntwo" }), true);
    await s.srv.waitForLine(/^BATCH -ml1$/);
    const sent = s.conn.received.slice(s.conn.received.findIndex((l) => l.startsWith("BATCH")));
    assert.deepEqual(sent.slice(0, 4), [
      "BATCH +ml1 draft/multiline #lobby",
      "@batch=ml1 PRIVMSG #lobby one",
      "@batch=ml1 PRIVMSG #lobby two",
      "BATCH -ml1",
    ]);
    // without echo-message, shown at once as one message
    const own = s.lines.filter((l) => l.self);
    assert.deepEqual(own.map((l) => l.text), ["one\ntwo"]);
    // over max-lines: two batches
    assert.equal(s.client.messagesFor("#lobby", "a\nb\nc\nd"), 2);
    s.client.perform({ kind: "say", target: "#lobby", text: "a\nb\nc\nd" });
    await s.srv.waitForLine(/^BATCH -ml3$/);
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient shows a received multiline batch as one message with its msgid and reply", async () => {
  const s = await setup({ caps: MODERN });
  try {
    s.conn.send(
      "@msgid=m9;time=2024-01-01T10:00:00.000Z;+draft/reply=m1 :bob!b@h BATCH +x draft/multiline #lobby",
    );
    s.conn.send("@batch=x :bob!b@h PRIVMSG #lobby hello");
    s.conn.send("@batch=x :bob!b@h PRIVMSG #lobby :how is ");
    s.conn.send("@batch=x;draft/multiline-concat :bob!b@h PRIVMSG #lobby :everyone?");
    s.conn.send(":srv BATCH -x");
    const line = await waitFor("the message", () => s.lines.find((l) => l.nick === "bob"));
    assert.equal(line.text, "hello\nhow is everyone?");
    assert.equal(line.msgid, "m9");
    assert.equal(line.replyTo, "m1");
    assert.equal(line.time.toISOString(), "2024-01-01T10:00:00.000Z");
    assert.equal(s.lines.filter((l) => l.nick === "bob").length, 1);
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient replies and reacts with client tags, and hears REDACT, TAGMSG and MARKREAD", async () => {
  const s = await setup({ caps: MODERN });
  try {
    s.client.perform({ kind: "sayReply", target: "#lobby", text: "sure", replyTo: "m1" });
    await s.srv.waitForLine(/^@\+draft\/reply=m1 PRIVMSG #lobby sure$/);
    s.client.perform({ kind: "react", target: "#lobby", msgid: "m1", reaction: "👍" });
    await s.srv.waitForLine(/^@\+draft\/reply=m1;\+draft\/react=👍 TAGMSG #lobby$/);
    s.client.perform({ kind: "redact", target: "#lobby", msgid: "m1" });
    await s.srv.waitForLine(/^REDACT #lobby m1$/);

    s.conn.send("@msgid=r1;+draft/reply=m1;+draft/react=🎉 :bob!b@h TAGMSG #lobby");
    s.conn.send(":bob!b@h REDACT #lobby m2 :oops");
    s.conn.send(":srv MARKREAD #lobby timestamp=2024-01-01T10:00:00.000Z");
    s.conn.send(":srv MARKREAD bob *");
    await waitFor(
      "the marker",
      () => s.events.some((e) => e.type === "markread" && e.time === null),
    );
    const got = s.events.filter((e) =>
      e.type === "react" || e.type === "redact" || e.type === "markread"
    );
    assert.deepEqual(got.map((e) => JSON.parse(JSON.stringify(e))), [
      // our own reaction, echoed (echo-message)
      { type: "react", window: "#lobby", msgid: "m1", nick: "ann", reaction: "👍" },
      { type: "react", window: "#lobby", msgid: "m1", nick: "bob", reaction: "🎉", id: "r1" },
      { type: "redact", window: "#lobby", msgid: "m2" },
      { type: "markread", window: "#lobby", time: "2024-01-01T10:00:00.000Z" },
      { type: "markread", window: "bob", time: null },
    ]);
    // the echoed reply carries its tag
    const mine = await waitFor("the echo", () => s.lines.find((l) => l.self && l.text === "sure"));
    assert.equal(mine.replyTo, "m1");
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient.markRead() gathers, sends once, and never moves the marker back", async () => {
  const s = await setup({ caps: MODERN });
  try {
    s.conn.send(":srv MARKREAD #lobby timestamp=2024-01-01T10:00:00.000Z");
    await waitFor("the marker", () => s.events.some((e) => e.type === "markread"));
    s.client.markRead("#lobby", new Date("2024-01-01T09:00:00.000Z")); // older: not sent
    s.client.markRead("#lobby", new Date("2024-01-01T10:00:01.000Z"));
    s.client.markRead("#lobby", new Date("2024-01-01T10:00:02.000Z"));
    await s.srv.waitForLine(/^MARKREAD /);
    assert.ok(await s.client.sync());
    assert.deepEqual(s.conn.received.filter((l) => l.startsWith("MARKREAD")), [
      "MARKREAD #lobby timestamp=2024-01-01T10:00:02.000Z",
    ]);
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient watches the notify list with MONITOR and says who comes and goes", async () => {
  const s = await setup({ caps: ["server-time"] });
  try {
    s.conn.send(":fake.srv 005 ann MONITOR=100 :are supported");
    assert.ok(await s.client.sync());
    assert.equal(s.client.hasMonitor, true);
    s.client.perform({ kind: "notify", op: "add", nicks: ["bob", "cy"] });
    await s.srv.waitForLine(/^MONITOR \+ bob,cy$/);
    s.conn.send(":fake.srv 730 ann :bob!b@h");
    s.conn.send(":fake.srv 731 ann :cy");
    s.conn.send(":fake.srv 731 * :bob");
    s.conn.send(":fake.srv 730 * :cy!c@h");
    await waitFor("cy", () => s.lines.some((l) => l.text === "cy came online."));
    assert.deepEqual(s.lines.filter((l) => /online|offline/.test(l.text)).map((l) => l.text), [
      "bob is online.",
      "cy is offline.",
      "bob went offline.",
      "cy came online.",
    ]);
    assert.deepEqual(s.client.notifyList, [
      { nick: "bob", online: false },
      { nick: "cy", online: true },
    ]);
    s.client.perform({ kind: "notify", op: "del", nicks: ["cy"] });
    await s.srv.waitForLine(/^MONITOR - cy$/);
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient falls back to ISON for the notify list without MONITOR", async () => {
  const s = await setup({ caps: ["server-time"] });
  try {
    s.client.perform({ kind: "notify", op: "add", nicks: ["bob", "cy"] });
    await s.srv.waitForLine(/^ISON :?bob cy$/);
    s.conn.send(":fake.srv 303 ann :cy");
    await waitFor("cy", () => s.lines.some((l) => l.text === "bob is offline."));
    assert.ok(s.lines.some((l) => l.text === "cy is online."));
    // the reply to our poll is not shown as a numeric
    assert.ok(!s.lines.some((l) => l.text.includes("303")));
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient searches with SEARCH and gives the batch as results", async () => {
  const s = await setup({ caps: MODERN });
  try {
    const a = parseInput("/search #dev fast car", { target: "#lobby" });
    assert.deepEqual(a, { kind: "search", text: "fast car", in: "#dev" });
    assert.equal(s.client.unsupported(a!), undefined);
    s.client.perform(a!);
    await s.srv.waitForLine(/^SEARCH text=fast\\scar;in=#dev;limit=100$/);
    s.conn.send(":srv BATCH +s soju.im/search");
    s.conn.send(
      "@batch=s;msgid=1;time=2024-01-01T10:00:00.000Z :bill!b@h PRIVMSG #dev :That was a fast car!",
    );
    s.conn.send(":srv BATCH -s");
    const e = await waitFor("results", () => s.events.find((x) => x.type === "search"));
    assert.ok(e.type === "search");
    assert.equal(e.query, "fast car in #dev");
    assert.deepEqual(e.lines.map((l) => [l.origin, l.nick, l.text]), [
      ["#dev", "bill", "That was a fast car!"],
    ]);
    // no window opened, nothing shown in #dev
    assert.ok(!s.lines.some((l) => l.text.includes("fast car!")));
  } finally {
    await s.dispose();
  }
  const old = await setup({ caps: ["server-time"] });
  try {
    assert.match(
      old.client.unsupported({ kind: "search", text: "x" })!,
      /does not support searching/,
    );
    assert.match(old.client.unsupported({ kind: "delete", n: 1 })!, /deleting messages/);
  } finally {
    await old.dispose();
  }
});

Deno.test("parseModernCommand() reads the modern commands, and leaves others alone", () => {
  const here = { target: "#lobby" };
  assert.deepEqual(parseInput("/notify add bob,cy", here), {
    kind: "notify",
    op: "add",
    nicks: ["bob", "cy"],
  });
  assert.deepEqual(parseInput("/notify", here), { kind: "notify", op: "list", nicks: [] });
  assert.deepEqual(parseInput("/delete", here), { kind: "delete", n: 1 });
  assert.deepEqual(parseInput("/delete 3", here), { kind: "delete", n: 3 });
  assert.deepEqual(parseInput("/reply 2 yes indeed", here), {
    kind: "reply",
    n: 2,
    text: "yes indeed",
  });
  assert.deepEqual(parseInput("/react 1 👍", here), { kind: "reactTo", n: 1, reaction: "👍" });
  assert.deepEqual(parseInput('/upload "my file.png"', here), {
    kind: "upload",
    path: "my file.png",
  });
  assert.equal(parseInput("/reply x hi", here)!.kind, "error");
  assert.equal(parseInput("/delete 0", here)!.kind, "error");
  assert.equal(parseInput("/notify frob bob", here)!.kind, "error");
  assert.equal(parseInput("/join #a", here), undefined);
  assert.equal(parseInput("hello", here), undefined);
});

Deno.test("Registration keeps the credentials of an account registered with /register (for /upload)", async () => {
  const { Registration } = await import("../../lib/client/registration.ts");
  const { parseMessage } = await import("../../lib/protocol/message.ts");
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  reg.handle(parseMessage(":srv 001 ann :Welcome")!);
  assert.equal(reg.credentials, undefined);
  reg.registering({ account: "ann", password: "pw" });
  reg.handle(parseMessage(":srv 900 ann ann!u@h ann :You are now logged in as ann")!);
  assert.deepEqual(reg.credentials, { account: "ann", password: "pw" });
  // a new connection is not logged in until the server says so
  reg.begin(false);
  assert.equal(reg.credentials, undefined);
});

Deno.test("IrcClient asks ISON about the notify list right after a reconnect", async () => {
  const s = await setup({ caps: ["server-time"] });
  try {
    s.client.perform({ kind: "notify", op: "add", nicks: ["bob"] });
    await s.srv.waitForLine(/^ISON :?bob$/);
    s.conn.send(":fake.srv 303 ann :bob");
    await waitFor("bob", () => s.lines.some((l) => l.text === "bob is online."));
    s.srv.dropAll();
    const again = await s.srv.waitForConn(2);
    await waitFor("the second ISON", () => again.received.some((l) => /^ISON :?bob$/.test(l)));
  } finally {
    await s.dispose();
  }
});

Deno.test("IrcClient after a reconnect tells only who came or went meanwhile, not the whole list again", async () => {
  const s = await setup({ caps: ["server-time"] });
  try {
    s.client.perform({ kind: "notify", op: "add", nicks: ["bob", "cy", "dee"] });
    await s.srv.waitForLine(/^ISON :?bob cy dee$/);
    s.conn.send(":fake.srv 303 ann :bob");
    await waitFor("the first answer", () => s.lines.some((l) => l.text === "dee is offline."));
    s.srv.dropAll();
    const again = await s.srv.waitForConn(2);
    await waitFor("ISON again", () => again.received.some((l) => /^ISON :?bob cy dee$/.test(l)));
    // unknown until the new connection says: the status bar shows no stale "online"
    assert.deepEqual(s.client.notifyList.map((e) => e.online), [undefined, undefined, undefined]);
    const from = s.lines.length;
    again.send(":fake.srv 303 ann :bob cy");
    await waitFor("the answer", () => s.client.notifyList.every((e) => e.online !== undefined));
    assert.deepEqual(
      s.lines.slice(from).filter((l) => /online|offline/.test(l.text)).map((l) => l.text),
      ["cy came online."],
    );
    assert.deepEqual(s.client.notifyList.map((e) => e.online), [true, true, false]);
  } finally {
    await s.dispose();
  }
});
