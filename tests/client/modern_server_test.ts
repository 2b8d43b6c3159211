import assert from "node:assert/strict";
import { IrcClient } from "../../lib/client/irc_client.ts";
import type { ChatLine, ClientEvent } from "../../lib/client/events.ts";
import { startChatServer } from "../helpers/client_harness.ts";
import { waitFor } from "../helpers/wait.ts";

/** A client of the real server that records what it is told. */
function connect(port: number, nick: string) {
  const client = new IrcClient({
    target: { host: "127.0.0.1", port, tls: false },
    nick,
    channels: ["#t"],
    reconnect: false,
  });
  const events: ClientEvent[] = [];
  const lines: ChatLine[] = [];
  client.onEvent = (e) => {
    events.push(e);
    if (e.type === "line") lines.push(e.line);
  };
  client.start();
  return { client, events, lines };
}

Deno.test("IrcClient against the project's server: notify, reply, react, delete and read marker", async () => {
  const server = await startChatServer();
  if (!server) return;
  const ann = connect(server.port, "ann");
  let bob: ReturnType<typeof connect> | undefined;
  try {
    assert.equal(await ann.client.ready(10000), true);
    assert.ok(ann.client.hasMonitor, "the server has MONITOR");
    ann.client.perform({ kind: "notify", op: "add", nicks: ["bob"] });
    await waitFor("bob offline", () => ann.lines.some((l) => l.text === "bob is offline."));
    bob = connect(server.port, "bob");
    assert.equal(await bob.client.ready(10000), true);
    await waitFor("bob online", () => ann.lines.some((l) => l.text === "bob came online."));

    bob.client.perform({ kind: "say", target: "#t", text: "hello from bob" });
    const hello = await waitFor(
      "bob's line",
      () => ann.lines.find((l) => l.text === "hello from bob"),
    );
    assert.ok(hello.msgid, "a msgid to answer");
    ann.client.perform({ kind: "sayReply", target: "#t", text: "hi bob", replyTo: hello.msgid! });
    ann.client.perform({ kind: "react", target: "#t", msgid: hello.msgid!, reaction: "👍" });
    const reply = await waitFor("the reply", () => bob!.lines.find((l) => l.text === "hi bob"));
    assert.equal(reply.replyTo, hello.msgid);
    await waitFor(
      "the reaction",
      () =>
        bob!.events.find((e) =>
          e.type === "react" && e.msgid === hello.msgid && e.nick === "ann" && e.reaction === "👍"
        ),
    );

    ann.client.perform({ kind: "say", target: "#t", text: "oops" });
    const oops = await waitFor(
      "the echo",
      () => ann.lines.find((l) => l.self && l.text === "oops"),
    );
    assert.ok(oops.msgid);
    ann.client.perform({ kind: "redact", target: "#t", msgid: oops.msgid! });
    await waitFor(
      "the deletion",
      () => bob!.events.find((e) => e.type === "redact" && e.msgid === oops.msgid),
    );

    ann.client.markRead("#t", oops.time);
    await waitFor(
      "the marker",
      () =>
        ann.events.find((e) =>
          e.type === "markread" && e.window === "#t" && e.time?.getTime() === oops.time.getTime()
        ),
    );

    await bob.client.quit();
    await waitFor("bob offline", () => ann.lines.some((l) => l.text === "bob went offline."));
  } finally {
    bob?.client.stop();
    await bob?.client.closed;
    ann.client.stop();
    await ann.client.closed;
    await server.dispose();
  }
});
