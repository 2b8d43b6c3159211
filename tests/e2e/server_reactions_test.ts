import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { parseMessage } from "../../lib/protocol/message.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

const SERVER = "deno-chat.local";
const ALICE = "alice!~alice@127.0.0.1";
const BOB = "bob!~bob@127.0.0.1";

/** The lines of the next chathistory batch, without its BATCH lines. */
async function history(c: TestClient, target: string): Promise<string[]> {
  c.send(`CHATHISTORY LATEST ${target} * 20`);
  const id = parseMessage(await c.expect(/ BATCH \+\S+ chathistory /))!.params[0].slice(1);
  const lines = await c.collectUntil(new RegExp(` BATCH -${id}$`));
  return lines.slice(0, -1).map((l) =>
    l.replace(`@batch=${id};`, "@").replace(`@batch=${id} `, "")
  );
}

Deno.test("replies and reactions: relayed, kept in history, replayed attached", async (t) => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const alice = await user("alice", ["message-tags", "echo-message"]);
    const bob = await user("bob", ["message-tags"]);
    const carol = await user("carol");
    for (const c of [alice, bob, carol]) await join(c, "#r");

    alice.send("PRIVMSG #r :Hello!");
    const hello = (await alice.expectMessage(/PRIVMSG #r :Hello!$/)).tags.msgid;
    match(hello, /\S/);
    await bob.expect(/PRIVMSG #r :Hello!$/);

    let reply = "", react = "";
    await t.step(
      "a reply (+draft/reply) reaches everyone, the tag those with message-tags",
      async () => {
        bob.send(`@+draft/reply=${hello} PRIVMSG #r :Hello to you!`);
        const got = await alice.expectMessage(/PRIVMSG #r :Hello to you!$/);
        reply = got.tags.msgid;
        assertEquals(
          alice.lines.at(-1),
          `@+draft/reply=${hello};msgid=${reply} :${BOB} PRIVMSG #r :Hello to you!`,
        );
        assertEquals(
          await carol.expect(/PRIVMSG #r :Hello to you/),
          `:${BOB} PRIVMSG #r :Hello to you!`,
        );
      },
    );

    await t.step(
      "a reaction (TAGMSG +draft/react) reaches only clients with message-tags",
      async () => {
        bob.send(`@+draft/reply=${hello};+draft/react=👍 TAGMSG #r`);
        const got = await alice.expectMessage(/ TAGMSG #r$/);
        react = got.tags.msgid;
        assertEquals(
          alice.lines.at(-1),
          `@+draft/reply=${hello};+draft/react=👍;msgid=${react} :${BOB} TAGMSG #r`,
        );
        // a typing notice is relayed too, but is nothing to keep
        bob.send("@+typing=active TAGMSG #r");
        await alice.expect(/\+typing=active/);
        await carol.expectNone(/TAGMSG/);
      },
    );

    await t.step("CHATHISTORY gives replies and reactions back with their messages", async () => {
      const h = await user("hist", ["message-tags", "batch", "draft/chathistory"]);
      await join(h, "#r");
      assertEquals(await history(h, "#r"), [
        `@msgid=${hello} :${ALICE} PRIVMSG #r :Hello!`,
        `@+draft/reply=${hello};msgid=${reply} :${BOB} PRIVMSG #r :Hello to you!`,
        `@+draft/reply=${hello};+draft/react=👍;msgid=${react} :${BOB} TAGMSG #r`,
      ]);
    });

    await t.step("a client without message-tags gets no TAGMSG from history", async () => {
      const h = await user("bare", ["batch", "draft/chathistory"]);
      await join(h, "#r");
      assertEquals(await history(h, "#r"), [
        `:${ALICE} PRIVMSG #r :Hello!`,
        `:${BOB} PRIVMSG #r :Hello to you!`,
      ]);
      const late = await user("late");
      late.send("JOIN #r");
      await late.expect(/ 366 /);
      const replay = await late.collectUntil(/PRIVMSG #r :\[.*\] Hello to you!$/);
      assertEquals(replay.filter((l) => / (PRIVMSG|TAGMSG) /.test(l)).length, 2);
      await late.expectNone(/TAGMSG/);
      // with message-tags, the join replay brings the reaction too
      const tagged = await user("tagged", ["message-tags"]);
      tagged.send("JOIN #r");
      assertEquals(
        await tagged.expect(/ TAGMSG /),
        `@+draft/reply=${hello};+draft/react=👍;msgid=${react} :${BOB} TAGMSG #r`,
      );
    });

    await t.step("private reactions are kept for both sides", async () => {
      alice.send("PRIVMSG bob :psst");
      const psst = (await bob.expectMessage(/PRIVMSG bob :psst$/)).tags.msgid;
      bob.send(`@+draft/reply=${psst};+draft/react=🙂 TAGMSG alice`);
      await alice.expect(/ TAGMSG alice$/);
      // a guest's private history is its own connection's: ask as alice
      alice.send("CAP REQ :batch draft/chathistory");
      await alice.expect(/ ACK /);
      const lines = await history(alice, "bob");
      assertEquals(lines.length, 2);
      match(
        lines[1],
        new RegExp(
          `^@\\+draft/reply=${psst};\\+draft/react=🙂;msgid=\\S+ :${
            BOB.replace(/[.]/g, "\\.")
          } TAGMSG alice$`,
        ),
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("a stored reaction is a reaction: a reply tag without +draft/react is not kept as TAGMSG", async () => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const a = await user("a", ["message-tags", "batch", "draft/chathistory", "echo-message"]);
    await join(a, "#q");
    a.send("PRIVMSG #q :x");
    const x = (await a.expectMessage(/PRIVMSG #q :x$/)).tags.msgid;
    a.send(`@+draft/reply=${x} TAGMSG #q`, `@+draft/react=👍 TAGMSG #q`);
    await a.expect(/\+draft\/react=👍;msgid=\S+ :a!~a@127\.0\.0\.1 TAGMSG #q$/);
    assertEquals(await history(a, "#q"), [`@msgid=${x} :a!~a@127.0.0.1 PRIVMSG #q :x`]);
    await a.expectNone(new RegExp(`^:${SERVER} FAIL`));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("reactions do not crowd messages out of the join replay of a client without message-tags", async () => {
  const server = await startServer([], ["floodBurst=0", "historyPlayback=2"]);
  const { clients, user } = new ClientPool(server.port);
  try {
    const a = await user("a", ["message-tags", "echo-message"]);
    await join(a, "#j");
    a.send("PRIVMSG #j :first", "PRIVMSG #j :second");
    const second = (await a.expectMessage(/PRIVMSG #j :second$/)).tags.msgid;
    for (const emoji of ["👍", "🎉", "🙂"]) {
      a.send(`@+draft/reply=${second};+draft/react=${emoji} TAGMSG #j`);
      await a.expect(new RegExp(`react=${emoji};`));
    }
    const plain = await user("plain");
    plain.send("JOIN #j");
    await plain.expect(/ 366 /);
    match(await plain.expect(/PRIVMSG #j/), /^:a!~a@127\.0\.0\.1 PRIVMSG #j :\[.*\] first$/);
    match(await plain.expect(/PRIVMSG #j/), /^:a!~a@127\.0\.0\.1 PRIVMSG #j :\[.*\] second$/);
    await plain.expectNone(/TAGMSG|PRIVMSG/);
    // a client with message-tags gets the newest two entries, the reactions
    const tagged = await user("tagged", ["message-tags"]);
    tagged.send("JOIN #j");
    assertEquals(
      (await tagged.collectUntil(/react=🙂;/)).filter((l) => / TAGMSG /.test(l)).length,
      2,
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
