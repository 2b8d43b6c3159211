import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { IrcMessage } from "../../lib/protocol/message.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const CAPS = ["batch", "server-time", "message-tags", "echo-message", "soju.im/search"];

/** Sends a message and returns the echo (with its msgid and time). */
async function say(c: TestClient, target: string, text: string): Promise<IrcMessage> {
  c.send(`PRIVMSG ${target} :${text}`);
  return await c.expectMessage(new RegExp(` PRIVMSG ${target} :${text}$`));
}

/** The line a search replays for an echoed message, inside batch `id`. */
function replayed(id: string, m: IrcMessage): string {
  return `@batch=${id};time=${m.tags.time};msgid=${m.tags.msgid} :${m.source} PRIVMSG ${
    m.params[0]
  } :${m.params[1]}`;
}

/** Sends SEARCH and returns the batch id and the lines inside it. */
async function search(c: TestClient, attrs: string): Promise<{ id: string; lines: string[] }> {
  c.send(`SEARCH ${attrs}`);
  const start = await c.expect(/ BATCH \+\S+ soju\.im\/search$/);
  const id = start.split(" ")[2].slice(1);
  const lines = await c.collectUntil(new RegExp(` BATCH -${id}$`));
  return { id, lines: lines.slice(0, -1) };
}

Deno.test("SEARCH (soju.im/search) finds only what the caller may read", async (t) => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const ann = await user("ann", CAPS);
    const bob = await user("bob", CAPS);
    const cat = await user("cat", CAPS);
    await join(ann, "#s");
    await join(bob, "#s");
    await join(cat, "#other");
    const a1 = await say(ann, "#s", "deploy at noon");
    const b1 = await say(bob, "#s", "the Deploy worked");
    await say(bob, "#s", "deployment is whole-word only");
    await say(cat, "#other", "deploy secret");
    const b2 = await say(bob, "ann", "private deploy note");
    await say(cat, "bob", "deploy between bob and cat");

    await t.step("over every conversation of the caller, oldest first, exact lines", async () => {
      const { id, lines } = await search(ann, "text=deploy");
      assertEquals(lines, [replayed(id, a1), replayed(id, b1), replayed(id, b2)]);
    });

    await t.step("in= one channel, limit= the newest, from= a sender", async () => {
      let r = await search(ann, "text=deploy;in=#s;limit=1");
      assertEquals(r.lines, [replayed(r.id, b1)]);
      r = await search(ann, "from=BOB;in=#s;text=deploy");
      assertEquals(r.lines, [replayed(r.id, b1)]);
      r = await search(ann, "text=deploy;in=bob");
      assertEquals(r.lines, [replayed(r.id, b2)]);
      r = await search(ann, `text=deploy;after=${b1.tags.time};before=${b1.tags.time}`);
      assertEquals(r.lines, [replayed(r.id, b1)]);
    });

    await t.step("nothing found is an empty batch", async () => {
      assertEquals((await search(ann, "text=nothing\\slike\\sthis")).lines, []);
      assertEquals((await search(ann, "text=deploy;in=nobody")).lines, []);
    });

    await t.step("a channel the caller is not on is refused; bad attributes too", async () => {
      ann.send("SEARCH text=deploy;in=#other");
      assertEquals(
        await ann.expect(/ FAIL /),
        ":deno-chat.local FAIL SEARCH INVALID_PARAMS in #other :You are not on that channel",
      );
      ann.send("SEARCH before=yesterday");
      assertEquals(
        await ann.expect(/ FAIL /),
        ":deno-chat.local FAIL SEARCH INVALID_PARAMS before :before needs a time like 2024-01-31T12:00:00.000Z",
      );
      ann.send("SEARCH limit=0");
      assertEquals(
        await ann.expect(/ FAIL /),
        ":deno-chat.local FAIL SEARCH INVALID_PARAMS limit :limit needs a number of 1 or more",
      );
      ann.send("SEARCH");
      assertEquals(
        await ann.expect(/ 461 /),
        ":deno-chat.local 461 ann SEARCH :Not enough parameters",
      );
    });

    await t.step("without the capability, SEARCH says how to get it", async () => {
      const plain = await user("plain");
      plain.send("SEARCH text=deploy");
      assertEquals(
        await plain.expect(/ FAIL /),
        ":deno-chat.local FAIL SEARCH INVALID_PARAMS :Enable the soju.im/search capability to search",
      );
    });

    await t.step("a secret channel's earlier incarnation is not searched", async () => {
      await join(ann, "#old");
      ann.send("MODE #old +s");
      await ann.expect(/ MODE #old \+s$/);
      await say(ann, "#old", "ancient deploy");
      ann.send("PART #old");
      await ann.expect(/ PART #old/);
      await join(ann, "#old");
      const r = await search(ann, "text=ancient");
      assertEquals(r.lines, []);
      const now = await say(ann, "#old", "ancient again");
      const again = await search(ann, "text=ancient;in=#old");
      assertEquals(again.lines, [replayed(again.id, now)]);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
