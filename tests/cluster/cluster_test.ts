/**
 * Three real server processes on one Redis and one PostgreSQL form one chat.
 */

import { deepStrictEqual as assertEquals, equal, ok } from "node:assert/strict";
import { parseServerArgs } from "../../lib/server/cli.ts";
import { loadNodeId } from "../../lib/cluster/node.ts";
import { PostgresStore } from "../../lib/store/postgres.ts";
import { createClient } from "redis";
import { TestClient } from "../helpers/irc_client.ts";
import {
  addNode,
  clusterClient,
  noCluster,
  startCluster,
  stopCluster,
} from "../helpers/cluster.ts";

const ignore = noCluster;
const client = clusterClient;

/**
 * The members NAMES shows, sorted: each node lists its own users' joins when they happened and
 * the others' in the bus's order, so the order of joins made close together may differ.
 */
async function names(cl: TestClient, nick: string, channel = "#room"): Promise<string[]> {
  cl.send(`NAMES ${channel}`);
  const line = await cl.expect(new RegExp(` 353 ${nick} [=*@] ${channel} :`));
  return line.split(" :")[1].split(" ").sort();
}

/**
 * NAMES once it lists `count` members (bounded: 5 s). A JOIN is answered before its
 * event is on the bus, so a node may apply another node's JOIN a moment after its own
 * client's NAMES.
 */
async function namesOf(
  cl: TestClient,
  nick: string,
  count: number,
  channel = "#room",
): Promise<string[]> {
  let seen: string[] = [];
  for (let tries = 0; tries < 250 && seen.length < count; tries++) {
    seen = await names(cl, nick, channel);
    if (seen.length < count) await new Promise((r) => setTimeout(r, 20));
  }
  return seen;
}

/** The text of every PRIVMSG to `#room` a client received so far. */
function said(cl: TestClient): string[] {
  return cl.lines.filter((l) => / PRIVMSG #room :/.test(l)).map((l) => l.split(" :").pop()!);
}

Deno.test("--cluster and --node-id: parsed, and every mistake said in one sentence", () => {
  const pg = ["--store", "postgres://chat@127.0.0.1:5432/chat"];
  const ok1 = parseServerArgs(["--cluster", "redis://127.0.0.1:6379", "--node-id", "a", ...pg]);
  equal(ok1.kind, "run");
  assertEquals(ok1.kind === "run" && ok1.config.cluster, {
    url: "redis://127.0.0.1:6379",
    nodeId: "a",
  });
  const message = (args: string[]) => {
    const r = parseServerArgs(args);
    return r.kind === "error" ? r.message : "";
  };
  equal(
    message(["--cluster", "redis://127.0.0.1:6379"]),
    "--cluster needs --store postgres://…: every node must share one store",
  );
  equal(
    message(["--cluster", "127.0.0.1:6379", ...pg]),
    "--cluster needs redis://HOST:PORT, got '127.0.0.1:6379'",
  );
  equal(message(["--node-id", "a"]), "--node-id goes with --cluster redis://…");
  equal(
    message(["--cluster", "redis://r:1", "--node-id", "a b", ...pg]),
    "--node-id takes 1 to 32 letters, digits, '.', '_' or '-', got 'a b'",
  );
  const plain = parseServerArgs([]);
  equal(plain.kind === "run" && plain.config.cluster, undefined);
});

Deno.test("the node id is made once and kept in the data folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-node-id-" });
  try {
    const first = await loadNodeId(dir);
    ok(/^[A-Za-z0-9._-]{1,32}$/.test(first), first);
    equal(await loadNodeId(dir), first);
    equal((await Deno.readTextFile(`${dir}/node-id`)).trim(), first);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "cluster: three nodes share one channel, private messages, queries and nicks",
  ignore,
  async fn() {
    const c = await startCluster();
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bea");
      const d = await client(c, 2, "cid");
      a.send("JOIN #room");
      await a.expect(/ 366 ann #room /);
      b.send("JOIN #room");
      await b.expect(/ 366 bea #room /);
      await a.expect(/^:bea!~?bea@127\.0\.0\.1 JOIN #room$/);
      d.send("JOIN #room");
      await d.expect(/ 366 cid #room /);
      await a.expect(/^:cid!\S+ JOIN #room$/);
      await b.expect(/^:cid!\S+ JOIN #room$/);

      // NAMES, WHO and WHOIS on one node show users of the others
      assertEquals(await names(d, "cid"), ["@ann", "bea", "cid"]);
      a.send("WHO #room");
      const who = await a.collectUntil(/ 315 ann #room /);
      assertEquals(
        who.filter((l) => / 352 /.test(l)).map((l) => l.split(" ")[7]).sort(),
        ["ann", "bea", "cid"],
      );
      a.send("WHOIS cid");
      ok((await a.expect(/ 311 ann cid /)).endsWith(":cid Tester"));
      await a.expect(/ 318 ann cid /);

      // messages sent one after another (each once everyone has the previous one, its
      // sender as its echo) arrive in one order everywhere
      const clients = [a, b, d];
      const sent: string[] = [];
      for (let i = 0; i < 12; i++) {
        const text = `m${i}`;
        clients[i % 3].send(`PRIVMSG #room :${text}`);
        for (const cl of clients) await cl.expect(new RegExp(`PRIVMSG #room :${text}$`));
        sent.push(text);
      }
      for (const cl of clients) assertEquals(said(cl), sent);

      // a private message across nodes
      a.send("PRIVMSG cid :psst");
      await d.expect(/^@\S+ :ann!\S+ PRIVMSG cid :psst$|^:ann!\S+ PRIVMSG cid :psst$/);

      // nick, topic, mode and kick reach everyone
      b.send("NICK bob");
      await b.expect(/^:bea!\S+ NICK :?bob$/);
      await a.expect(/^:bea!\S+ NICK :?bob$/);
      await d.expect(/^:bea!\S+ NICK :?bob$/);
      a.send("TOPIC #room :shared topic");
      for (const cl of [a, b, d]) await cl.expect(/^:ann!\S+ TOPIC #room :shared topic$/);
      a.send("MODE #room +v bob");
      for (const cl of [a, b, d]) await cl.expect(/^:ann!\S+ MODE #room \+v :?bob$/);
      assertEquals(await names(d, "cid"), ["+bob", "@ann", "cid"]);
      a.send("KICK #room cid :out");
      for (const cl of [a, b, d]) await cl.expect(/^:ann!\S+ KICK #room cid :out$/);
      b.send("PART #room :later");
      for (const cl of [a, b]) await cl.expect(/^:bob!\S+ PART #room :later$/);
      assertEquals(await names(a, "ann"), ["@ann"]);

      // a nick held on one node is refused on the others
      const dup = await TestClient.connect(c.nodes[1].port);
      c.clients.push(dup);
      dup.send("NICK ann", "USER x 0 * :x");
      await dup.expect(/ 433 \* ann :Nickname is already in use$/);
      dup.send("NICK cid");
      await dup.expect(/ 433 \* cid /);
      dup.send("NICK ann2");
      await dup.expect(/ 001 ann2 /);

      // history: stored once, by the node the message came from
      const h = await TestClient.connect(c.nodes[2].port);
      c.clients.push(h);
      await h.register("hist", ["batch", "draft/chathistory", "server-time", "message-tags"]);
      h.send("JOIN #room");
      await h.expect(/ 366 hist #room /);
      h.send("CHATHISTORY LATEST #room * 100");
      const lines = await h.collectUntil(/^:\S+ BATCH -/);
      assertEquals(
        lines.filter((l) => / PRIVMSG #room :m\d+$/.test(l)).map((l) => l.split(" :").pop()),
        sent,
      );
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: two nodes racing for one nick never both grant it",
  ignore,
  async fn() {
    const c = await startCluster();
    try {
      const rounds = 15;
      for (let r = 0; r < rounds; r++) {
        const [x, y] = await Promise.all([0, 1].map((n) => TestClient.connect(c.nodes[n].port)));
        c.clients.push(x, y);
        const nick = `racer${r}`;
        x.send(`NICK ${nick}`, "USER x 0 * :x");
        y.send(`NICK ${nick}`, "USER y 0 * :y");
        const outcome = (cl: TestClient) =>
          cl.expect(new RegExp(` (001 ${nick}|433 \\* ${nick}) `)).then((l) =>
            l.includes(" 001 ") ? "won" : "refused"
          );
        const got = (await Promise.all([outcome(x), outcome(y)])).sort();
        assertEquals(got, ["refused", "won"], `round ${r}`);
        await x.close();
        await y.close();
        c.clients.splice(-2);
      }
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: kill -9 of a node: the others show its users' QUITs and free their nicks",
  ignore,
  async fn() {
    const c = await startCluster();
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bob");
      const d = await client(c, 2, "cid");
      for (const [cl, nick] of [[a, "ann"], [b, "bob"], [d, "cid"]] as const) {
        cl.send("JOIN #room");
        await cl.expect(new RegExp(` 366 ${nick} #room `));
      }
      await a.expect(/^:cid!\S+ JOIN #room$/);
      await b.expect(/^:cid!\S+ JOIN #room$/);
      assertEquals(await namesOf(d, "cid", 3), ["@ann", "bob", "cid"]);
      c.nodes[1].process.kill("SIGKILL");
      await c.nodes[1].process.status;
      const started = Date.now();
      await a.expect(/^:bob!\S+ QUIT :\*\.net \*\.split$/, 15_000);
      await d.expect(/^:bob!\S+ QUIT :\*\.net \*\.split$/, 15_000 - (Date.now() - started));
      assertEquals(await names(a, "ann"), ["@ann", "cid"]);
      // bob's nick is free again, on any node
      const again = await TestClient.connect(c.nodes[2].port);
      c.clients.push(again);
      await again.register("bob");
      again.send("JOIN #room");
      await a.expect(/^:bob!\S+ JOIN #room$/);
      a.send("WHOIS bob");
      await a.expect(/ 311 ann bob /);
    } finally {
      c.nodes.splice(1, 1);
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: a node joining a running cluster learns its users, channels, modes and topics",
  ignore,
  async fn() {
    const c = await startCluster(2);
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bob");
      a.send("JOIN #room", "TOPIC #room :before c", "MODE #room +m", "AWAY :lunch");
      await a.expect(/ MODE #room \+m$/);
      await a.expect(/ 306 ann /);
      b.send("JOIN #room");
      await a.expect(/^:bob!\S+ JOIN #room$/);
      a.send("MODE #room +v bob");
      await b.expect(/ MODE #room \+v :?bob$/);

      const node = await addNode(c, "c", true);
      const line = await node.waitForOutput(/^cluster mode: node c /);
      ok(line.endsWith(", 2 peers"), line);
      const d = await client(c, 2, "cid");
      d.send("NAMES #room");
      // in the order the peers' answers came
      const names = (await d.expect(/ 353 cid = #room :/)).split(" :")[1].split(" ");
      assertEquals(names.sort(), ["+bob", "@ann"]);
      d.send("JOIN #room");
      await d.expect(/ 332 cid #room :before c$/);
      d.send("MODE #room");
      await d.expect(/ 324 cid #room \+mnt$/);
      d.send("WHOIS ann");
      await d.expect(/ 301 cid ann :lunch$/);
      // and the others see the newcomer's user
      await a.expect(/^:cid!\S+ JOIN #room$/);
      await b.expect(/^:cid!\S+ JOIN #room$/);

      const health = await fetch(`http://127.0.0.1:${node.httpPort}/healthz`);
      equal(health.status, 200);
      ok((await health.text()).startsWith("ok\nnode c\nbus connected\npeers 2\n"));
      const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).text();
      ok(/^chat_cluster_peers 2$/m.test(metrics), metrics);
      ok(/^chat_cluster_connected\{node="c"\} 1$/m.test(metrics));
      ok(/^chat_cluster_events_in_total [1-9]\d*$/m.test(metrics));
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: Redis killed with SIGKILL and restarted (AOF): the nodes carry on, clients stay",
  ignore,
  async fn() {
    const c = await startCluster();
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bob");
      const d = await client(c, 2, "cid");
      for (const [cl, nick] of [[a, "ann"], [b, "bob"], [d, "cid"]] as const) {
        cl.send("JOIN #room");
        await cl.expect(new RegExp(` 366 ${nick} #room `));
      }
      await a.expect(/^:cid!\S+ JOIN #room$/);
      a.send("PRIVMSG #room :before");
      await a.expect(/PRIVMSG #room :before$/);
      await c.redis.kill();
      await c.redis.start();
      // sent once Redis is back: the echo waits until the bus has it
      a.send("PRIVMSG #room :after");
      await a.expect(/PRIVMSG #room :after$/, 30_000);
      for (const cl of [b, d]) await cl.expect(/PRIVMSG #room :after$/, 30_000);
      d.send("PRIVMSG #room :reply");
      for (const cl of [a, b]) await cl.expect(/PRIVMSG #room :reply$/, 10_000);
      for (const cl of [a, b, d]) equal(cl.closed, false);
      // nobody was lost on the way
      assertEquals(await names(a, "ann"), ["@ann", "bob", "cid"]);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name:
    "cluster: two users making one channel at once on two nodes: exactly one gets ops, the same on every node",
  ignore,
  async fn() {
    const c = await startCluster();
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bob");
      const d = await client(c, 2, "cid");
      const rounds = 20;
      for (let k = 0; k < rounds; k++) {
        a.send(`JOIN #race${k}`);
        b.send(`JOIN #race${k}`);
      }
      let contested = 0;
      for (let k = 0; k < rounds; k++) {
        const channel = `#race${k}`;
        // each node may still be applying the other's JOIN: a bounded wait for both members
        const onA = await namesOf(a, "ann", 2, channel);
        const onB = await namesOf(b, "bob", 2, channel);
        const onD = await namesOf(d, "cid", 2, channel);
        assertEquals(onA.length, 2, `${channel}: ${onA}`);
        assertEquals(onA.filter((n) => n.startsWith("@")).length, 1, `${channel}: ${onA}`);
        assertEquals(onB, onA, channel);
        assertEquals(onD, onA, channel);
        // a user shown as op at its own JOIN who lost the race was told it lost the ops
        for (const [cl, nick] of [[a, "ann"], [b, "bob"]] as const) {
          const gotOps = cl.lines.some((l) =>
            new RegExp(` 353 ${nick} = ${channel} :.*@${nick}\\b`).test(l)
          );
          if (gotOps && !onA.includes(`@${nick}`)) {
            contested++;
            ok(
              cl.lines.some((l) => l === `:deno-chat.local MODE ${channel} -o ${nick}`),
              `${nick} ${channel}`,
            );
          }
        }
      }
      console.log(`contested makings: ${contested} of ${rounds}`);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: a node that cannot reach Redis for longer than its lease closes its clients",
  ignore,
  async fn() {
    const c = await startCluster(1);
    try {
      const a = await client(c, 0, "ann");
      await c.redis.kill();
      await a.expect(
        "ERROR :Closing Link: 127.0.0.1 (this server lost contact with the cluster)",
        15_000,
      );
      await a.expectClosed();
      const status = await c.nodes[0].process.status;
      equal(status.code, 3);
      ok(c.nodes[0].output.length > 0);
      await c.redis.start();
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: a node stopped gracefully tells the others at once",
  ignore,
  async fn() {
    const c = await startCluster(2);
    try {
      const a = await client(c, 0, "ann");
      const b = await client(c, 1, "bob");
      for (const [cl, nick] of [[a, "ann"], [b, "bob"]] as const) {
        cl.send("JOIN #room");
        await cl.expect(new RegExp(` 366 ${nick} #room `));
      }
      await a.expect(/^:bob!\S+ JOIN #room$/);
      equal(await c.nodes[1].stop(), 0);
      c.nodes.splice(1, 1);
      // well before a lease could run out
      await a.expect(/^:bob!\S+ QUIT :\*\.net \*\.split$/, 3000);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name:
    "cluster: a channel registered on one node is registered on the others: founder's ops, kept topic",
  ignore,
  async fn() {
    const c = await startCluster(2);
    const store = await PostgresStore.open({ url: c.url });
    try {
      const a = await client(c, 0, "ann");
      a.send("REGISTER * * longpassword");
      await a.expect(/ REGISTER SUCCESS ann /);
      a.send("JOIN #reg");
      await a.expect(/ 366 ann #reg /);
      const b = await client(c, 1, "bob");
      b.send("JOIN #reg");
      await b.expect(/ 366 bob #reg /);
      await a.expect(/^:bob!\S+ JOIN #reg$/);
      a.send("PRIVMSG ChanServ :REGISTER #reg");
      await a.expect(/ NOTICE ann :#reg is registered to ann\.$/);

      // ann leaves node a and comes back through node b, where #reg lives on with bob
      a.send("QUIT :moving");
      await a.expectClosed();
      await b.expect(/^:ann!\S+ QUIT :Quit: moving$/);
      const back = await TestClient.connect(c.nodes[1].port);
      c.clients.push(back);
      back.send("PASS ann:longpassword");
      await back.register("ann", ["echo-message"]);
      back.send("JOIN #reg");
      // the founder is an operator there too
      ok((await back.expect(/ 353 ann = #reg :/)).split(" :")[1].split(" ").includes("@ann"));
      await b.expect(/^:ann!\S+ JOIN #reg$/);

      // and a topic set on node b is kept: b saves it, as a would
      back.send("TOPIC #reg :kept from b");
      await back.expect(/^:ann!\S+ TOPIC #reg :kept from b$/);
      const deadline = Date.now() + 5000;
      while ((await store.getChannel("#reg"))?.topic?.text !== "kept from b") {
        if (Date.now() > deadline) throw new Error("the topic was not saved");
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await store.close();
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: a second device of an account on another node is a user of its own, told so",
  ignore,
  async fn() {
    const c = await startCluster(2);
    try {
      const a = await client(c, 0, "ann");
      a.send("REGISTER * * longpassword");
      await a.expect(/ REGISTER SUCCESS ann /);
      a.send("JOIN #room");
      await a.expect(/ 366 ann #room /);
      const b = await client(c, 1, "bob");
      b.send("JOIN #room");
      await b.expect(/ 366 bob #room /);

      // logged in while connecting to node b: ann's nick stays with node a's user
      const d = await TestClient.connect(c.nodes[1].port);
      c.clients.push(d);
      d.send("PASS ann:longpassword", "NICK ann", "USER d 0 * :d");
      await d.expect(/ 433 \* ann :Nickname is already in use$/);
      d.send("NICK ann2");
      await d.expect(/ 001 ann2 /);
      await d.expect(
        ":deno-chat.local NOTICE ann2 :Your account is also connected through another server " +
          "node, as ann: this connection is a user of its own (ann2); several devices share " +
          "one nick only when they connect to the same node",
      );
      d.send("JOIN #room", "PRIVMSG #room :from d");
      await a.expect(/^:ann2!~?d@\S+ JOIN #room$/);
      await a.expect(/^:ann2!\S+ PRIVMSG #room :from d$/);
      await b.expect(/^:ann2!\S+ PRIVMSG #room :from d$/);
      a.send("WHOIS ann2");
      await a.expect(/ 330 ann ann2 ann :is logged in as$/);
      assertEquals(await names(b, "bob"), ["@ann", "ann2", "bob"]);

      // logging in later (NickServ) on node b: the same
      const e = await client(c, 1, "eve");
      e.send("PRIVMSG NickServ :IDENTIFY ann longpassword");
      await e.expect(
        / NOTICE eve :Your account is also connected through another server node, as ann: /,
      );
      await e.expect(/^:NickServ!\S+ NOTICE eve :You are now logged in as ann\.$/);
      e.send("WHOIS eve");
      await e.expect(/ 330 eve eve ann :is logged in as$/);
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name:
    "cluster: messages sent at the same moment on two nodes: every node shows each node's in the stream's order",
  ignore,
  async fn() {
    const c = await startCluster(2);
    try {
      const senders = [
        await client(c, 0, "a1"),
        await client(c, 0, "a2"),
        await client(c, 1, "b1"),
        await client(c, 1, "b2"),
      ];
      const watchers = [await client(c, 0, "wa"), await client(c, 1, "wb")];
      const nicks = ["a1", "a2", "b1", "b2"];
      for (const [w, nick] of [[watchers[0], "wa"], [watchers[1], "wb"]] as const) {
        w.send("JOIN #room");
        await w.expect(new RegExp(` 366 ${nick} #room `));
      }
      await watchers[0].expect(/^:wb!\S+ JOIN #room$/);
      // one after another, each seen by both watchers before the next
      for (const [k, s] of senders.entries()) {
        s.send("JOIN #room");
        for (const w of watchers) {
          await w.expect(new RegExp(`^:${nicks[k]}!\\S+ JOIN #room$`));
        }
      }
      const per = 10;
      // all at once, interleaved line by line
      for (let i = 0; i < per; i++) {
        senders.forEach((s, k) => s.send(`PRIVMSG #room :${nicks[k]}-${i}`));
      }
      for (const w of watchers) {
        for (let n = 0; n < per * nicks.length; n++) await w.expect(/ PRIVMSG #room :/);
      }

      // the one order Redis gave them
      const redis = createClient({ url: c.redis.url });
      await redis.connect();
      const entries = await redis.xRange("dc:s:0", "-", "+");
      await redis.quit();
      const stream = entries.map((e) => JSON.parse(e.message.e as string))
        .filter((e) => e.t === "msg" && e.to === "#room")
        .map((e) => ({ node: e.n as string, text: (e.p as string[])[1] }));
      equal(stream.length, per * nicks.length);
      const fromNode = (node: string) => stream.filter((e) => e.node === node).map((e) => e.text);
      for (const w of watchers) {
        const seen = said(w);
        equal(seen.length, per * nicks.length);
        // each node's messages (two senders interleaved) in the stream's order, on every node
        for (const node of ["a", "b"]) {
          const of = new Set(fromNode(node));
          assertEquals(
            seen.filter((t) => of.has(t)),
            fromNode(node),
            `${node} as seen by a watcher`,
          );
        }
      }
    } finally {
      await stopCluster(c);
    }
  },
});

Deno.test({
  name: "cluster: a metadata change on one node reaches subscribers on another",
  ignore,
  async fn() {
    const c = await startCluster(2);
    try {
      const caps = ["echo-message", "draft/metadata-2", "batch"];
      const meta = async (node: number, nick: string) => {
        const cl = await TestClient.connect(c.nodes[node].port);
        c.clients.push(cl);
        await cl.register(nick, caps);
        cl.send("METADATA * SUB display-name url", "JOIN #room");
        await cl.expect(new RegExp(` 366 ${nick} #room `));
        return cl;
      };
      const a = await meta(0, "ann");
      const b = await meta(1, "bob");
      await a.expect(/^:bob!\S+ JOIN #room$/);
      a.send("METADATA * SET display-name :Ann Lee");
      assertEquals(
        await b.expect(/ METADATA ann /),
        ":deno-chat.local METADATA ann display-name * :Ann Lee",
      );
      b.send("METADATA ann GET display-name");
      await b.expect(/ 761 bob ann display-name \* :Ann Lee$/);
      a.send("METADATA #room SET url :https://room.example");
      assertEquals(
        await b.expect(/ METADATA #room /),
        ":deno-chat.local METADATA #room url * :https://room.example",
      );
      b.send("METADATA #room GET url");
      await b.expect(/ 761 bob #room url \* :https:\/\/room.example$/);
    } finally {
      await stopCluster(c);
    }
  },
});
