import assert from "node:assert/strict";
import { IrcClient, type IrcClientOptions } from "../../lib/client/irc_client.ts";
import { backoffDelay } from "../../lib/client/backoff.ts";
import type { ChatLine, ClientEvent } from "../../lib/client/events.ts";
import { FakeIrcServer, type FakeOptions } from "../helpers/fake_irc_server.ts";
import { waitFor } from "../helpers/wait.ts";

function setup(
  opts: Partial<IrcClientOptions> = {},
  fake: FakeOptions = {},
): { srv: FakeIrcServer; client: IrcClient; events: ClientEvent[]; lines: ChatLine[] } {
  const srv = FakeIrcServer.start(fake);
  const client = new IrcClient({
    target: { host: "127.0.0.1", port: srv.port, tls: false },
    nick: "ann",
    channels: ["#lobby"],
    backoffInitialMs: 20,
    backoffMaxMs: 100,
    ...opts,
  });
  const events: ClientEvent[] = [];
  const lines: ChatLine[] = [];
  client.onEvent = (e) => {
    events.push(e);
    if (e.type === "line") lines.push(e.line);
  };
  client.start();
  return { srv, client, events, lines };
}

async function teardown(srv: FakeIrcServer, client: IrcClient): Promise<void> {
  client.stop();
  await client.closed;
  await srv.close();
}

Deno.test("IrcClient negotiates the capabilities it wants and ends CAP before registering", async () => {
  const { srv, client } = setup({}, {
    caps: ["server-time", "echo-message", "sasl", "away-notify"],
  });
  try {
    assert.equal(await client.ready(5000), true);
    await srv.waitForLine(/^CAP REQ :server-time echo-message away-notify$/);
    const sent = srv.conns[0].received;
    assert.ok(sent.indexOf("CAP END") > sent.findIndex((l) => l.startsWith("CAP REQ")));
    assert.deepEqual([...client.caps].sort(), ["away-notify", "echo-message", "server-time"]);
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient registers with a server that does not know CAP", async () => {
  const { srv, client, lines } = setup({}, { noCap: true });
  try {
    assert.equal(await client.ready(5000), true);
    assert.ok(!lines.some((l) => l.kind === "error"), JSON.stringify(lines));
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient uses nick_ when the nick is taken and says so", async () => {
  const { srv, client, lines } = setup({}, { taken: ["ann"] });
  try {
    assert.equal(await client.ready(5000), true);
    assert.equal(client.nick, "ann_");
    assert.ok(lines.some((l) => /ann was taken, so you are ann_/.test(l.text)));
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient joins its channels and knows their members", async () => {
  const { srv, client, events } = setup({ channels: ["#lobby", "#dev"] });
  try {
    assert.equal(await client.ready(5000), true);
    await waitFor("names of #dev", () => client.nicksIn("#dev").length === 2);
    assert.deepEqual(client.nicksIn("#dev"), ["ann", "other"]);
    const opens = events.filter((e) => e.type === "open");
    assert.deepEqual(opens, [
      { type: "open", window: "#lobby", focus: true },
      { type: "open", window: "#dev", focus: false },
    ]);
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient shows incoming messages, actions and mentions in the right window", async () => {
  const { srv, client, lines } = setup();
  try {
    await client.ready(5000);
    const c = srv.conns[0];
    c.send(":bob!b@h PRIVMSG #lobby :hello ann!");
    c.send(":bob!b@h PRIVMSG #lobby :\x01ACTION waves\x01");
    c.send(":bob!b@h PRIVMSG ann :psst");
    c.send("@time=2020-01-02T03:04:05.000Z :bob!b@h PRIVMSG #lobby :old");
    await waitFor("4 messages", () => lines.filter((l) => l.nick === "bob").length === 4);
    const bob = lines.filter((l) => l.nick === "bob");
    assert.deepEqual(bob.map((l) => [l.window, l.kind, l.text, !!l.highlight]), [
      ["#lobby", "message", "hello ann!", true],
      ["#lobby", "action", "waves", false],
      ["bob", "message", "psst", false],
      ["#lobby", "message", "old", false],
    ]);
    assert.equal(bob[3].time.toISOString(), "2020-01-02T03:04:05.000Z");
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient answers CTCP VERSION, PING, TIME and CLIENTINFO, and nothing else", async () => {
  const { srv, client } = setup();
  try {
    await client.ready(5000);
    const c = srv.conns[0];
    for (const q of ["VERSION", "PING 42", "TIME", "CLIENTINFO", "FINGER"]) {
      c.send(`:bob!b@h PRIVMSG ann :\x01${q}\x01`);
    }
    c.send(":bob!b@h PRIVMSG ann :done");
    // \x01 delimits CTCP; the lint rule keeps control characters out of regex literals
    await srv.waitForLine(new RegExp("^NOTICE bob :\x01CLIENTINFO "));
    const replies = c.received.filter((l) => l.startsWith("NOTICE bob :"));
    assert.equal(replies.length, 4, replies.join("\n"));
    assert.match(replies[0], new RegExp("^NOTICE bob :\x01VERSION deno-chat \\S+\x01$"));
    assert.equal(replies[1], "NOTICE bob :\x01PING 42\x01");
    assert.match(
      replies[2],
      new RegExp("^NOTICE bob :\x01TIME \\w{3} \\w{3} \\d\\d \\d{4} .+\x01$"),
    );
    assert.equal(
      replies[3],
      "NOTICE bob :\x01CLIENTINFO ACTION CLIENTINFO PING TIME VERSION\x01",
    );
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient relies on echo-message when the server has it, and echoes locally when not", async () => {
  for (const caps of [["echo-message"], []]) {
    const { srv, client, lines } = setup({}, { caps });
    try {
      await client.ready(5000);
      assert.equal(client.perform({ kind: "say", target: "#lobby", text: "mine" }), true);
      await srv.waitForLine(/^PRIVMSG #lobby :?mine$/);
      await waitFor("own line", () => lines.some((l) => l.self && l.text === "mine"));
      assert.equal(await client.sync(5000), true);
      assert.equal(lines.filter((l) => l.self && l.text === "mine").length, 1, `caps ${caps}`);
    } finally {
      await teardown(srv, client);
    }
  }
});

Deno.test("IrcClient reports quits and nick changes once per shared channel", async () => {
  const { srv, client, lines } = setup();
  try {
    await client.ready(5000);
    srv.conns[0].send(":other!o@h NICK renamed");
    srv.conns[0].send(":renamed!o@h QUIT :bye");
    await waitFor("quit line", () => lines.some((l) => l.kind === "quit"));
    assert.ok(lines.some((l) => l.kind === "nick" && l.text === "other is now known as renamed"));
    assert.ok(lines.some((l) => l.kind === "quit" && l.text === "renamed quit (bye)"));
    assert.deepEqual(client.nicksIn("#lobby"), ["ann"]);
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient reconnects after the server drops it and rejoins its channels", async () => {
  const { srv, client, lines } = setup();
  try {
    await client.ready(5000);
    client.perform({ kind: "join", channels: ["#extra"] });
    await waitFor("#extra joined", () => client.channels.has("#extra"));
    srv.dropAll();
    const second = await srv.waitForConn(2, 5000);
    await waitFor("rejoin", () => second.received.some((l) => /^JOIN /.test(l)), 5000);
    const join = second.received.find((l) => l.startsWith("JOIN "))!;
    assert.match(join, /#lobby/);
    assert.match(join, /#extra/);
    assert.equal(await client.ready(5000), true);
    assert.ok(lines.some((l) => l.kind === "error" && /Disconnected/.test(l.text)));
    assert.ok(lines.some((l) => /Reconnecting in/.test(l.text)));
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient refuses to send while disconnected so the UI can keep the text", () => {
  const client = new IrcClient({
    target: { host: "127.0.0.1", port: 1, tls: false },
    nick: "ann",
    channels: [],
  });
  assert.equal(client.perform({ kind: "say", target: "#a", text: "x" }), false);
  client.stop();
});

Deno.test("IrcClient.sendRaw() cannot smuggle a second command through CR/LF", async () => {
  const { srv, client } = setup();
  try {
    await client.ready(5000);
    client.sendRaw("PRIVMSG #lobby :b\r\nQUIT :y");
    await srv.waitForLine(/^PRIVMSG #lobby :b {2}QUIT :y$/);
    // said text with a line break goes as two messages (no multiline here), never a command
    client.perform({ kind: "say", target: "#lobby", text: "a\r\nQUIT :x" });
    await srv.waitForLine(/^PRIVMSG #lobby :QUIT :x$/);
    assert.ok(srv.conns[0].received.some((l) => /^PRIVMSG #lobby :?a$/.test(l)));
    assert.equal(srv.conns[0].received.filter((l) => l.startsWith("QUIT")).length, 0);
  } finally {
    await teardown(srv, client);
  }
});

Deno.test("IrcClient gives up at once when the first connection fails, if asked to", async () => {
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  const client = new IrcClient({
    target: { host: "127.0.0.1", port, tls: false },
    nick: "ann",
    channels: [],
    giveUpIfFirstConnectFails: true,
  });
  const lines: ChatLine[] = [];
  client.onEvent = (e) => e.type === "line" && lines.push(e.line);
  client.start();
  await client.closed;
  assert.ok(lines.some((l) => l.kind === "error" && /Could not connect/.test(l.text)));
});

Deno.test("backoffDelay() doubles up to the cap and applies jitter between 50% and 100%", () => {
  assert.equal(backoffDelay(0, 1000, 30000, () => 0), 500);
  assert.equal(backoffDelay(3, 1000, 30000, () => 0.999999), 8000);
  assert.equal(backoffDelay(20, 1000, 30000, () => 0), 15000);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(2, 1000, 30000, Math.random);
    assert.ok(d >= 2000 && d <= 4000);
  }
});

Deno.test("IrcClient tells the UI to follow a private conversation when the peer changes nick", async () => {
  const { srv, client, events } = setup();
  try {
    assert.equal(await client.ready(5000), true);
    const conn = await srv.waitForConn(1);
    conn.send(":bob!b@h PRIVMSG ann :hi ann");
    await waitFor(
      "the private message",
      () => events.some((e) => e.type === "line" && e.line.text === "hi ann"),
    );
    conn.send(":bob!b@h NICK robert");
    await waitFor("the rename", () => events.some((e) => e.type === "rename"));
    assert.deepEqual(events.find((e) => e.type === "rename"), {
      type: "rename",
      from: "bob",
      to: "robert",
    });
  } finally {
    await teardown(srv, client);
  }
});
