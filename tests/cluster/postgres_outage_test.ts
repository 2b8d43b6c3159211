/**
 * PostgreSQL away while two nodes chat: the messages go on, their history waits in the
 * history queue (a Redis stream read by one consumer group) and is written once the
 * database is back, exactly once, also when a node dies with records of its own in hand.
 */

import { deepStrictEqual as assertEquals, equal, ok } from "node:assert/strict";
import { createClient } from "redis";
import {
  type Cluster,
  clusterClient,
  noCluster,
  startCluster,
  stopCluster,
} from "../helpers/cluster.ts";
import { addNode } from "../helpers/cluster.ts";
import { TestClient } from "../helpers/irc_client.ts";
import { postgresBinDir, startPostgres } from "../helpers/postgres.ts";
import { startServer } from "../helpers/server_process.ts";

const HISTORY_CAPS = ["batch", "draft/chathistory", "server-time", "message-tags"];

/** Waits (bounded) until the history queue in Redis is empty: every record is written. */
async function queueDrained(c: Cluster, ms = 30_000): Promise<void> {
  const redis = createClient({ url: c.redis.url });
  redis.on("error", () => {});
  await redis.connect();
  try {
    const deadline = Date.now() + ms;
    while ((await redis.xLen("dc:h")) > 0) {
      if (Date.now() > deadline) throw new Error(`the history queue still holds records`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await redis.quit();
  }
}

/** The texts CHATHISTORY LATEST gives for #room, asked on node `node`. */
async function history(c: Cluster, node: number, nick: string): Promise<string[]> {
  const h = await TestClient.connect(c.nodes[node].port);
  c.clients.push(h);
  await h.register(nick, HISTORY_CAPS);
  h.send("JOIN #room");
  await h.expect(new RegExp(` 366 ${nick} #room `));
  h.send("CHATHISTORY LATEST #room * 100");
  const lines = await h.collectUntil(/^:\S+ BATCH -/);
  await h.close();
  return lines.filter((l) => / PRIVMSG #room :/.test(l)).map((l) => l.split(" :").pop()!);
}

/** Waits (bounded) until node `node`'s /healthz says its store answers. */
async function storeBack(c: Cluster, node: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await healthz(c, node)).text.includes("\nstore ok\n")) {
    if (Date.now() > deadline) throw new Error(`node ${node}'s store is still unavailable`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthz(c: Cluster, node: number): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${c.nodes[node].httpPort}/healthz`);
  return { status: r.status, text: await r.text() };
}

/** Two nodes, ann on a and bob on b, both in #room. */
async function twoNodesInRoom(c: Cluster): Promise<[TestClient, TestClient]> {
  const a = await clusterClient(c, 0, "ann");
  const b = await clusterClient(c, 1, "bob");
  a.send("JOIN #room");
  await a.expect(/ 366 ann #room /);
  b.send("JOIN #room");
  await b.expect(/ 366 bob #room /);
  await a.expect(/^:bob!\S+ JOIN #room$/);
  return [a, b];
}

/** `from` says `text`; waits for its echo and for `to` to get it. */
async function say(from: TestClient, to: TestClient, text: string): Promise<void> {
  from.send(`PRIVMSG #room :${text}`);
  await from.expect(
    new RegExp(`^\\S+ :\\S+ PRIVMSG #room :${text}$|^:\\S+ PRIVMSG #room :${text}$`),
  );
  await to.expect(new RegExp(`PRIVMSG #room :${text}$`));
}

Deno.test({
  name: "cluster: PostgreSQL away for 10 s: both nodes keep chatting, history catches up once",
  ignore: noCluster,
  async fn() {
    const c = await startCluster(2, true);
    try {
      const [a, b] = await twoNodesInRoom(c);
      await say(a, b, "before");
      await c.pg.kill();
      const started = Date.now();
      const sent: string[] = [];
      // about ten seconds of chat from both sides, each line seen by the other
      for (let i = 0; i < 40 && (Date.now() - started < 10_000 || i < 6); i++) {
        const text = `during${i}`;
        if (i % 2 === 0) await say(a, b, text);
        else await say(b, a, text);
        sent.push(text);
        if (i === 0) {
          // the store said it is away; the node still serves, so it stays in rotation
          const h = await healthz(c, 0);
          equal(h.status, 200);
          ok(h.text.includes("\nstore unavailable\n"), h.text);
        }
        await new Promise((r) => setTimeout(r, 300));
      }

      // account commands say why they cannot be done
      const guest = await TestClient.connect(c.nodes[1].port);
      c.clients.push(guest);
      await guest.register("guest");
      guest.send("REGISTER * * longpassword");
      await guest.expect(
        ":deno-chat.local FAIL REGISTER TEMPORARILY_UNAVAILABLE guest :The account database " +
          "is unavailable right now, try again in a moment",
      );
      guest.send("PRIVMSG NickServ :IDENTIFY someone longpassword");
      await guest.expect(
        /^:NickServ!\S+ NOTICE guest :Not logged in: the account database is unavailable right now, try again in a moment\.$/,
      );
      guest.send("PRIVMSG NickServ :REGISTER longpassword");
      await guest.expect(
        /^:NickServ!\S+ NOTICE guest :Cannot register: The account database is unavailable right now, try again in a moment\.$/,
      );
      // joining works (the channel exists), without its history, saying why
      guest.send("JOIN #room");
      await guest.expect(
        ":deno-chat.local NOTE JOIN HISTORY_UNAVAILABLE #room :The history is unavailable " +
          "right now (the server's database is away)",
      );
      await a.expect(/^:guest!\S+ JOIN #room$/);
      // and a history request says so in one line
      guest.send("CHATHISTORY LATEST #room * 10");
      await guest.expect(
        ":deno-chat.local FAIL CHATHISTORY TEMPORARILY_UNAVAILABLE :The server's database is " +
          "unavailable right now; try again in a moment",
      );

      await c.pg.start();
      for (const n of [0, 1]) await storeBack(c, n);
      await queueDrained(c);
      assertEquals(await history(c, 1, "hist"), ["before", ...sent]);
      assertEquals(await history(c, 0, "hist2"), ["before", ...sent]);
      for (const cl of [a, b]) equal(cl.closed, false);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name:
    "cluster: a node killed with SIGKILL right after its echoes loses no history, and its restart doubles none",
  ignore: noCluster,
  async fn() {
    const c = await startCluster(2);
    try {
      const [a, b] = await twoNodesInRoom(c);
      // stored before its echo: a kill now cannot lose it
      await say(a, b, "stored");
      await c.pg.kill();
      const queued = ["queued0", "queued1", "queued2", "queued3"];
      for (const text of queued) await say(a, b, text);
      c.nodes[0].process.kill("SIGKILL");
      await c.nodes[0].process.status;
      c.nodes.shift();
      await c.pg.start();
      // the same node again: it reads the records its previous run held, and the other node
      // may take them over meanwhile; the msgid keeps every message to one row
      await addNode(c, "a");
      await queueDrained(c);
      assertEquals(await history(c, 0, "hist"), ["stored", ...queued]);
      assertEquals(await history(c, 1, "hist2"), ["stored", ...queued]);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name:
    "one server on PostgreSQL: while it is away, messages are refused at once and /healthz says so",
  ignore: postgresBinDir() === undefined,
  async fn() {
    const pg = await startPostgres();
    const server = await startServer(["--store", await pg.newDatabase()], undefined, { web: true });
    const cl = await TestClient.connect(server.port);
    try {
      await cl.register("ann", ["echo-message"]);
      cl.send("JOIN #room");
      await cl.expect(/ 366 ann #room /);
      await pg.kill();
      cl.send("PRIVMSG #room :lost");
      await cl.expect(
        ":deno-chat.local FAIL PRIVMSG MESSAGE_NOT_STORED :Your message could not be saved; try again",
      );
      const h = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
      equal(h.status, 503);
      equal(await h.text(), "store unavailable\n");
      await pg.start();
      const deadline = Date.now() + 20_000;
      while ((await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).status !== 200) {
        if (Date.now() > deadline) throw new Error("the store did not come back");
        await new Promise((r) => setTimeout(r, 100));
      }
      cl.send("PRIVMSG #room :kept");
      await cl.expect(/ PRIVMSG #room :kept$/);
    } finally {
      await cl.close();
      await server.stop();
      await pg.stop();
    }
  },
});
