import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { parseMessage } from "../../lib/protocol/message.ts";
import { TestClient } from "../helpers/irc_client.ts";
import { ClientPool } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const HISTORY_CAPS = ["draft/chathistory", "batch", "server-time", "message-tags", "echo-message"];

async function saslLogin(c: TestClient, nick: string, password: string, caps: string[] = []) {
  c.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
  c.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  await c.expect(/ ACK /);
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(nick, password).map((chunk) => `AUTHENTICATE ${chunk}`));
  await c.expect(/ 903 /);
  c.send("CAP END");
  await c.expect(/ (376|422) /);
}

/** Texts of the PRIVMSGs in the next chathistory batch. */
async function historyBatch(c: TestClient): Promise<string[]> {
  const start = await c.expectMessage(/ BATCH \+\S+ chathistory /);
  const id = start.params[0].slice(1);
  const lines = await c.collectUntil(new RegExp(` BATCH -${id}$`));
  return lines.filter((l) => l.includes(" PRIVMSG ")).map((l) => l.split(" :").pop()!);
}

/** The conversations CHATHISTORY TARGETS lists (all time), sorted. */
async function targets(c: TestClient): Promise<string[]> {
  c.send(
    "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10",
  );
  const start = await c.expectMessage(/ BATCH \+\S+ draft\/chathistory-targets/);
  const lines = await c.collectUntil(new RegExp(` BATCH -${start.params[0].slice(1)}$`));
  return lines.filter((l) => l.includes("CHATHISTORY TARGETS"))
    .map((l) => parseMessage(l)!.params[1]).sort();
}

Deno.test("history: CHATHISTORY windows, playback on join, private history", async (t) => {
  const server = await startServer();
  const { clients, connect } = new ClientPool(server.port);
  try {
    const a = await connect();
    await a.register("hist", HISTORY_CAPS);
    a.send("JOIN #h");
    await a.expect(/ 366 /);
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) {
      a.send(`PRIVMSG #h :line ${i}`);
      ids.push((await a.expectMessage(new RegExp(`PRIVMSG #h :line ${i}$`))).tags.msgid);
    }

    await t.step("LATEST * returns the newest messages, oldest first, in a batch", async () => {
      a.send("CHATHISTORY LATEST #h * 3");
      assertEquals(await historyBatch(a), ["line 8", "line 9", "line 10"]);
    });

    await t.step("BEFORE, AFTER, AROUND and BETWEEN by msgid", async () => {
      a.send(`CHATHISTORY BEFORE #h msgid=${ids[4]} 2`);
      assertEquals(await historyBatch(a), ["line 3", "line 4"]);
      a.send(`CHATHISTORY AFTER #h msgid=${ids[4]} 2`);
      assertEquals(await historyBatch(a), ["line 6", "line 7"]);
      a.send(`CHATHISTORY AROUND #h msgid=${ids[4]} 3`);
      const around = await historyBatch(a);
      ok(around.includes("line 5") && around.length === 3, around.join(","));
      a.send(`CHATHISTORY BETWEEN #h msgid=${ids[1]} msgid=${ids[5]} 10`);
      assertEquals(await historyBatch(a), ["line 3", "line 4", "line 5"]);
      a.send(`CHATHISTORY LATEST #h msgid=${ids[7]} 10`);
      assertEquals(await historyBatch(a), ["line 9", "line 10"]);
    });

    await t.step("replayed messages keep their time, msgid and sender", async () => {
      a.send("CHATHISTORY LATEST #h * 1");
      const start = await a.expectMessage(/ BATCH \+/);
      const m = await a.expectMessage(/ PRIVMSG /);
      assertEquals(m.tags.batch, start.params[0].slice(1));
      assertEquals(m.tags.msgid, ids[9]);
      match(m.tags.time, /^\d{4}-\d\d-\d\dT/);
      assertEquals(m.source, "hist!~hist@127.0.0.1");
      await a.expect(/ BATCH -/);
    });

    await t.step("errors: unknown subcommand, bad reference, channel not joined", async () => {
      a.send("CHATHISTORY FOO #h * 1");
      assertEquals(
        await a.expect(/FAIL/),
        ":deno-chat.local FAIL CHATHISTORY INVALID_PARAMS FOO :Unknown CHATHISTORY subcommand",
      );
      a.send("CHATHISTORY BEFORE #h msgid=nope 5");
      assertEquals(
        await a.expect(/FAIL/),
        ":deno-chat.local FAIL CHATHISTORY INVALID_PARAMS BEFORE msgid=nope :Unknown message reference",
      );
      a.send("CHATHISTORY LATEST #elsewhere * 5");
      assertEquals(
        await a.expect(/FAIL/),
        ":deno-chat.local FAIL CHATHISTORY INVALID_TARGET LATEST #elsewhere :You are not on that channel",
      );
    });

    await t.step("a client without chathistory gets the last lines on join", async () => {
      const b = await connect();
      await b.register("late", ["batch", "server-time"]);
      b.send("JOIN #h");
      await b.expect(/ 366 /);
      const texts = await historyBatch(b);
      assertEquals(texts.length, 10);
      assertEquals(texts[9], "line 10");
      const plain = await connect();
      await plain.register("plain");
      plain.send("JOIN #h");
      await plain.expect(/ 366 /);
      match(
        await plain.expect(/PRIVMSG #h/),
        /^:hist!~hist@127\.0\.0\.1 PRIVMSG #h :\[\d{4}-\d\d-\d\d \d\d:\d\d\] line 1$/,
      );
    });

    await t.step(
      "private messages are kept for both sides; TARGETS lists conversations",
      async () => {
        const b = await connect();
        await b.register("pal", HISTORY_CAPS);
        a.send("PRIVMSG pal :psst");
        await b.expect(/PRIVMSG pal :psst/);
        b.send("PRIVMSG hist :yes?");
        await a.expect(/PRIVMSG hist :yes\?/);
        b.send("CHATHISTORY LATEST hist * 10");
        assertEquals(await historyBatch(b), ["psst", "yes?"]);
        assertEquals(await targets(a), ["#h", "pal"]);
      },
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("private history belongs to people, not nicks", async (t) => {
  const server = await startServer();
  const { clients, connect } = new ClientPool(server.port);
  try {
    await t.step(
      "whoever takes a guest's nick after it left sees none of its messages",
      async () => {
        const ann = await connect();
        await ann.register("ann", HISTORY_CAPS);
        const bob = await connect();
        await bob.register("bob", HISTORY_CAPS);
        ann.send("PRIVMSG bob :my secret");
        await bob.expect(/PRIVMSG bob :my secret/);
        bob.send("CHATHISTORY LATEST ann * 10");
        assertEquals(await historyBatch(bob), ["my secret"]);
        bob.send("QUIT :bye");
        await bob.expectClosed();

        const mallory = await connect();
        await mallory.register("bob", HISTORY_CAPS);
        mallory.send("CHATHISTORY LATEST ann * 10");
        assertEquals(await historyBatch(mallory), []);
        assertEquals(await targets(mallory), []);
        // and ann's conversation with the old bob is not shown as one with the new bob
        ann.send("CHATHISTORY LATEST bob * 10");
        assertEquals(await historyBatch(ann), []);
        assertEquals(await targets(ann), []);
      },
    );

    await t.step(
      "an account's private history follows it to a new connection and nick",
      async () => {
        const cat = await connect();
        await cat.register("cat", HISTORY_CAPS);
        cat.send("REGISTER * * cat-password");
        await cat.expect(/REGISTER SUCCESS/);
        const dog = await connect();
        await dog.register("dog", HISTORY_CAPS);
        dog.send("REGISTER * * dog-password");
        await dog.expect(/REGISTER SUCCESS/);
        cat.send("PRIVMSG dog :remember this");
        await dog.expect(/PRIVMSG dog :remember this/);
        dog.send("PRIVMSG cat :I will");
        await cat.expect(/PRIVMSG cat :I will/);
        cat.send("QUIT :later");
        await cat.expectClosed();

        // cat comes back on another connection; dog looks it up while cat is away
        dog.send("CHATHISTORY LATEST cat * 10");
        assertEquals(await historyBatch(dog), ["remember this", "I will"]);
        const again = await connect();
        await saslLogin(again, "cat", "cat-password", HISTORY_CAPS);
        again.send("NICK kitty");
        await again.expect(/ NICK :?kitty$/);
        again.send("CHATHISTORY LATEST dog * 10");
        assertEquals(await historyBatch(again), ["remember this", "I will"]);
        assertEquals(await targets(again), ["dog"]);
        assertEquals(await targets(dog), ["kitty"]);
        dog.send("CHATHISTORY LATEST kitty * 10");
        assertEquals(await historyBatch(dog), ["remember this", "I will"]);
      },
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("restart: accounts, registered channels and history survive; kill -9 loses no echoed message", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-restart-" });
  try {
    let server = await startServer([], undefined, { dataDir });
    let a = await TestClient.connect(server.port);
    await a.register("keeper", ["echo-message", "draft/chathistory", "batch"]);
    a.send("PRIVMSG NickServ :REGISTER keeper-password");
    await a.expect(/Account keeper created/);
    a.send("JOIN #kept");
    await a.expect(/ 366 /);
    a.send("TOPIC #kept :a lasting topic", "MODE #kept +k door");
    await a.expect(/ MODE #kept \+k door/);
    a.send("PRIVMSG ChanServ :REGISTER #kept");
    await a.expect(/#kept is registered to keeper/);
    for (let i = 1; i <= 20; i++) a.send(`PRIVMSG #kept :before restart ${i}`);
    await a.expect(/PRIVMSG #kept :before restart 20$/);
    assertEquals(await server.stop(), 0);
    await a.close();

    server = await startServer([], undefined, { dataDir });
    a = await TestClient.connect(server.port);
    await saslLogin(a, "keeper", "keeper-password", ["echo-message", "draft/chathistory", "batch"]);
    a.send("JOIN #kept");
    assertEquals(await a.expect(/ 332 /), ":deno-chat.local 332 keeper #kept :a lasting topic");
    assertEquals(await a.expect(/ 353 /), ":deno-chat.local 353 keeper = #kept :@keeper");
    a.send("MODE #kept");
    assertEquals(await a.expect(/ 324 /), ":deno-chat.local 324 keeper #kept +ntk door");
    a.send("CHATHISTORY LATEST #kept * 100");
    assertEquals((await historyBatch(a)).length, 20);

    // messages echoed back were committed first: a hard kill right after loses none of them
    for (let i = 1; i <= 50; i++) a.send(`PRIVMSG #kept :echoed ${i}`);
    await a.expect(/PRIVMSG #kept :echoed 50$/);
    server.process.kill("SIGKILL");
    await server.process.status;
    await a.close();
    await server.stop();

    server = await startServer([], undefined, { dataDir });
    a = await TestClient.connect(server.port);
    await saslLogin(a, "keeper", "keeper-password", ["draft/chathistory", "batch"]);
    a.send("JOIN #kept");
    await a.expect(/ 366 /);
    a.send("CHATHISTORY LATEST #kept * 100");
    const texts = await historyBatch(a);
    assertEquals(texts.filter((t) => t.startsWith("echoed ")).length, 50);
    await a.close();
    await server.stop();

    // no password is stored in the clear anywhere in the data folder
    for await (const entry of Deno.readDir(dataDir)) {
      const bytes = await Deno.readFile(`${dataDir}/${entry.name}`);
      const text = new TextDecoder("latin1").decode(bytes);
      ok(!text.includes("keeper-password"), `${entry.name} holds the plaintext password`);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a damaged database stops the server with one clear line", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dataDir}/chat.db`, "garbage ".repeat(200));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../server.ts", import.meta.url).pathname,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data",
        dataDir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 2);
    const err = new TextDecoder().decode(out.stderr).trim();
    match(err, /^chat-server: the database .*chat\.db is damaged \(.*\); move it away/);
    assertEquals(err.split("\n").length, 1);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
