import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { startServer, TEST_LIMITS } from "../helpers/server_process.ts";

const S = ":deno-chat.local";

/** The line without its tags. */
const body = (line: string) => line.replace(/^@\S+ /, "");

/** Registers with `caps` and logs in to `account` with SASL PLAIN before CAP END. */
async function device(
  pool: ClientPool,
  nick: string,
  account: string,
  password: string,
  caps: string[] = [],
): Promise<TestClient> {
  const c = await pool.connect();
  c.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
  c.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  await c.expect(/ CAP \S+ ACK /);
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(account, password).map((chunk) => `AUTHENTICATE ${chunk}`));
  await c.expect(/ 903 /);
  c.send("CAP END");
  await c.expect(/ (376|422) /);
  return c;
}

/** Creates an account with REGISTER from a fresh connection, which stays logged in. */
async function account(pool: ClientPool, nick: string, password: string, caps: string[] = []) {
  const c = await pool.user(nick, ["draft/account-registration", ...caps]);
  c.send(`REGISTER * * ${password}`);
  await c.expect(/ REGISTER SUCCESS /);
  return c;
}

Deno.test("MONITOR: online and offline notices for a watch list", async (t) => {
  const server = await startServer([], [...TEST_LIMITS, "monitorSize=3"]);
  const pool = new ClientPool(server.port);
  try {
    const w = await pool.user("watcher");

    await t.step("ISUPPORT announces MONITOR with its limit", async () => {
      w.send("VERSION");
      match(await w.expect(/ 005 .*MONITOR/), / MONITOR=3 /);
    });

    await t.step("+ answers with who is offline; a registering nick comes online", async () => {
      w.send("MONITOR + bob,carol");
      assertEquals(await w.expect(/ 73\d /), `${S} 731 watcher :bob,carol`);
      await pool.user("bob");
      assertEquals(await w.expect(/ 73\d /), `${S} 730 * :bob!~bob@127.0.0.1`);
    });

    await t.step("L lists the watch list, S its status", async () => {
      w.send("MONITOR L");
      assertEquals(await w.collectUntil(/ 733 /), [
        `${S} 732 watcher :bob,carol`,
        `${S} 733 watcher :End of MONITOR list`,
      ]);
      w.send("MONITOR S");
      assertEquals(await w.expect(/ 73\d /), `${S} 730 watcher :bob!~bob@127.0.0.1`);
      assertEquals(await w.expect(/ 73\d /), `${S} 731 watcher :carol`);
    });

    await t.step("a nick change is the old nick going offline and the new one online", async () => {
      const bob = pool.clients[pool.clients.length - 1];
      bob.send("NICK carol");
      assertEquals(await w.expect(/ 73\d /), `${S} 731 * :bob`);
      assertEquals(await w.expect(/ 73\d /), `${S} 730 * :carol!~bob@127.0.0.1`);
      bob.send("QUIT :bye");
      assertEquals(await w.expect(/ 73\d /), `${S} 731 * :carol`);
    });

    await t.step("- and C take nicks off; the list is bounded by the limit", async () => {
      w.send("MONITOR - carol", "MONITOR L");
      assertEquals(await w.collectUntil(/ 733 /), [
        `${S} 732 watcher :bob`,
        `${S} 733 watcher :End of MONITOR list`,
      ]);
      w.send("MONITOR C", "MONITOR L");
      assertEquals(await w.collectUntil(/ 733 /), [`${S} 733 watcher :End of MONITOR list`]);
      w.send("MONITOR + a1,a2,a3,a4,a5");
      assertEquals(await w.expect(/ 73\d /), `${S} 731 watcher :a1,a2,a3`);
      assertEquals(await w.expect(/ 73\d /), `${S} 734 watcher 3 a4,a5 :Monitor list is full.`);
      // already listed: answered again, not added twice
      w.send("MONITOR + a1", "MONITOR L");
      assertEquals(await w.expect(/ 73\d /), `${S} 731 watcher :a1`);
      assertEquals(await w.expect(/ 73\d /), `${S} 732 watcher :a1,a2,a3`);
    });

    await t.step("bad input gets a clear answer", async () => {
      w.send("MONITOR X");
      assertEquals(await w.expect(/ 400 /), `${S} 400 watcher MONITOR X :Unknown MONITOR modifier`);
      w.send("MONITOR +");
      assertEquals(await w.expect(/ 461 /), `${S} 461 watcher MONITOR :Not enough parameters`);
      w.send("MONITOR");
      assertEquals(await w.expect(/ 461 /), `${S} 461 watcher MONITOR :Not enough parameters`);
    });

    await t.step("a second watcher gets the same notice; the one who comes does not", async () => {
      const v = await pool.user("viewer");
      v.send("MONITOR + a2,viewer");
      await v.expect(/ 731 /);
      const a2 = await pool.user("a2");
      assertEquals(await w.expect(/ 73\d /), `${S} 730 * :a2!~a2@127.0.0.1`);
      assertEquals(await v.expect(/ 73\d /), `${S} 730 * :a2!~a2@127.0.0.1`);
      await a2.expectNone(/ 73\d /);
    });
  } finally {
    await Promise.all(pool.clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("draft/read-marker: stored per account, forward only, pushed to its other connections", async (t) => {
  const server = await startServer();
  const pool = new ClientPool(server.port);
  const caps = ["draft/read-marker", "server-time", "message-tags", "echo-message"];
  try {
    const ann = await account(pool, "ann", "ann-password", caps);
    const phone = await device(pool, "annphone", "ann", "ann-password", ["draft/read-marker"]);
    const old = await device(pool, "annold", "ann", "ann-password");
    const bob = await account(pool, "bob", "bob-password", ["draft/read-marker"]);
    let time = "";

    await t.step("JOIN sends the channel's marker before the end of NAMES", async () => {
      ann.send("JOIN #rm");
      const lines = await ann.collectUntil(/ 366 /);
      assertEquals(lines.slice(-3).map(body), [
        `${S} MARKREAD #rm *`,
        `${S} 353 ann = #rm :@ann`,
        `${S} 366 ann #rm :End of /NAMES list`,
      ]);
      for (const c of [phone, old, bob]) await join(c, "#rm");
    });

    await t.step("MARKREAD moves the marker; the account's other connections hear", async () => {
      ann.send("PRIVMSG #rm :hello");
      time = (await ann.expectMessage(/ PRIVMSG #rm /)).tags.time;
      ann.send(`MARKREAD #rm timestamp=${time}`);
      assertEquals(await ann.expect(/MARKREAD/), `${S} MARKREAD #rm timestamp=${time}`);
      assertEquals(await phone.expect(/MARKREAD/), `${S} MARKREAD #rm timestamp=${time}`);
      // without the capability, or another account: nothing
      await old.expectNone(/MARKREAD/);
      await bob.expectNone(/MARKREAD/);
    });

    await t.step("an older time is answered with the stored one and changes nothing", async () => {
      ann.send("MARKREAD #rm timestamp=2001-01-01T00:00:00.000Z");
      assertEquals(await ann.expect(/MARKREAD/), `${S} MARKREAD #rm timestamp=${time}`);
      await phone.expectNone(/MARKREAD/);
      phone.send("MARKREAD #rm");
      assertEquals(await phone.expect(/MARKREAD/), `${S} MARKREAD #rm timestamp=${time}`);
      bob.send("MARKREAD #rm");
      assertEquals(await bob.expect(/MARKREAD/), `${S} MARKREAD #rm *`);
    });

    await t.step("a time in the future is kept as now", async () => {
      ann.send("MARKREAD #rm timestamp=2999-01-01T00:00:00.000Z");
      const line = await ann.expect(/MARKREAD/);
      const at = Date.parse(line.split("timestamp=")[1]);
      ok(at <= Date.now() && at > Date.parse(time), line);
      assertEquals(await phone.expect(/MARKREAD/), line);
      time = line.split("timestamp=")[1];
    });

    await t.step("a private conversation has its marker, asked for by nick", async () => {
      ann.send("MARKREAD bob");
      assertEquals(await ann.expect(/MARKREAD/), `${S} MARKREAD bob *`);
      ann.send("MARKREAD bob timestamp=2020-02-02T02:02:02.000Z");
      assertEquals(
        await ann.expect(/MARKREAD/),
        `${S} MARKREAD bob timestamp=2020-02-02T02:02:02.000Z`,
      );
      assertEquals(
        await phone.expect(/MARKREAD/),
        `${S} MARKREAD bob timestamp=2020-02-02T02:02:02.000Z`,
      );
    });

    await t.step("a new connection of the account gets the stored marker on JOIN", async () => {
      const laptop = await device(pool, "annlaptop", "ann", "ann-password", ["draft/read-marker"]);
      laptop.send("JOIN #rm");
      assertEquals(await laptop.expect(/MARKREAD/), `${S} MARKREAD #rm timestamp=${time}`);
    });

    await t.step("bad input gets FAIL", async () => {
      ann.send("MARKREAD");
      assertEquals(
        await ann.expect(/FAIL/),
        `${S} FAIL MARKREAD NEED_MORE_PARAMS :Missing parameters`,
      );
      ann.send("MARKREAD #rm yesterday");
      assertEquals(
        await ann.expect(/FAIL/),
        `${S} FAIL MARKREAD INVALID_PARAMS yesterday :Invalid timestamp`,
      );
      ann.send("MARKREAD #elsewhere timestamp=2020-01-01T00:00:00.000Z");
      assertEquals(
        await ann.expect(/FAIL/),
        `${S} FAIL MARKREAD INVALID_PARAMS #elsewhere :You are not on that channel`,
      );
      ann.send("MARKREAD nobodyhere");
      assertEquals(
        await ann.expect(/FAIL/),
        `${S} FAIL MARKREAD INVALID_PARAMS nobodyhere :No such nick or account`,
      );
    });

    await t.step("a guest's markers are its own, for this connection", async () => {
      const g = await pool.user("guest1", ["draft/read-marker"]);
      g.send("JOIN #rm");
      assertEquals(await g.expect(/MARKREAD/), `${S} MARKREAD #rm *`);
      await g.expect(/ 366 /);
      g.send("MARKREAD #rm timestamp=2021-01-01T00:00:00.000Z");
      assertEquals(
        await g.expect(/MARKREAD/),
        `${S} MARKREAD #rm timestamp=2021-01-01T00:00:00.000Z`,
      );
      // gone from the server (its nick free) before the next one takes the nick
      g.send("QUIT");
      await g.expectClosed();
      const next = await pool.user("guest1", ["draft/read-marker"]);
      next.send("JOIN #rm");
      assertEquals(await next.expect(/MARKREAD/), `${S} MARKREAD #rm *`);
      await ann.expectNone(/MARKREAD/);
    });
  } finally {
    await Promise.all(pool.clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("draft/read-marker: an account's marker survives a restart of the server", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-markers-" });
  const first = await startServer([], TEST_LIMITS, { dataDir });
  const pool = new ClientPool(first.port);
  try {
    const ann = await account(pool, "ann", "ann-password", ["draft/read-marker"]);
    await join(ann, "#keep");
    ann.send("MARKREAD #keep timestamp=2022-03-04T05:06:07.089Z");
    await ann.expect(/MARKREAD #keep timestamp=/);
  } finally {
    await Promise.all(pool.clients.map((c) => c.close()));
    await first.stop();
  }
  const second = await startServer([], TEST_LIMITS, { dataDir });
  const again = new ClientPool(second.port);
  try {
    const ann = await device(again, "ann", "ann", "ann-password", ["draft/read-marker"]);
    ann.send("JOIN #keep");
    assertEquals(
      await ann.expect(/MARKREAD/),
      `${S} MARKREAD #keep timestamp=2022-03-04T05:06:07.089Z`,
    );
  } finally {
    await Promise.all(again.clients.map((c) => c.close()));
    await second.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("draft/message-redaction: who may delete, who is told, and history forgets", async (t) => {
  const server = await startServer(["--oper", "boss:boss-password"]);
  const pool = new ClientPool(server.port);
  const redactCaps = ["draft/message-redaction", "message-tags", "echo-message"];
  try {
    const op = await pool.user("op", redactCaps);
    await join(op, "#red");
    const alice = await pool.user("alice", [...redactCaps, "server-time"]);
    const bob = await pool.user("bob", ["draft/message-redaction", "message-tags"]);
    const carol = await pool.user("carol");
    for (const c of [alice, bob, carol]) await join(c, "#red");
    const say = async (c: TestClient, target: string, text: string) => {
      c.send(`PRIVMSG ${target} :${text}`);
      return (await c.expectMessage(new RegExp(` PRIVMSG ${target} :${text}$`))).tags.msgid;
    };

    await t.step("the sender deletes its own message; members with the cap are told", async () => {
      const id = await say(alice, "#red", "oops");
      alice.send(`REDACT #red ${id} :typo`);
      const mine = await alice.expect(/ REDACT /);
      match(mine, /^@time=\d{4}-[^;]+;msgid=\S+ /);
      assertEquals(body(mine), `:alice!~alice@127.0.0.1 REDACT #red ${id} :typo`);
      assertEquals(
        body(await bob.expect(/ REDACT /)),
        `:alice!~alice@127.0.0.1 REDACT #red ${id} :typo`,
      );
      assertEquals(
        body(await op.expect(/ REDACT /)),
        `:alice!~alice@127.0.0.1 REDACT #red ${id} :typo`,
      );
      // no capability, no REDACT (and no fallback notice)
      await carol.expectNone(/REDACT|NOTICE/);
    });

    await t.step("a member may not delete someone else's message; an operator may", async () => {
      const id = await say(alice, "#red", "opinion");
      bob.send(`REDACT #red ${id}`);
      assertEquals(
        await bob.expect(/FAIL/),
        `${S} FAIL REDACT REDACT_FORBIDDEN #red ${id} :You are not authorised to delete this message`,
      );
      op.send(`REDACT #red ${id}`);
      assertEquals(body(await op.expect(/ REDACT /)), `:op!~op@127.0.0.1 REDACT #red ${id}`);
      assertEquals(body(await bob.expect(/ REDACT /)), `:op!~op@127.0.0.1 REDACT #red ${id}`);
      assertEquals(body(await alice.expect(/ REDACT /)), `:op!~op@127.0.0.1 REDACT #red ${id}`);
      // gone: a second try does not find it
      op.send(`REDACT #red ${id}`);
      assertEquals(
        await op.expect(/FAIL/),
        `${S} FAIL REDACT UNKNOWN_MSGID #red ${id} :This message does not exist or is too old`,
      );
    });

    await t.step("a message of another conversation is unknown here", async () => {
      await join(alice, "#other");
      const id = await say(alice, "#other", "elsewhere");
      alice.send(`REDACT #red ${id}`);
      assertEquals(
        await alice.expect(/FAIL/),
        `${S} FAIL REDACT UNKNOWN_MSGID #red ${id} :This message does not exist or is too old`,
      );
      carol.send(`REDACT #other ${id}`);
      assertEquals(
        await carol.expect(/FAIL/),
        `${S} FAIL REDACT INVALID_TARGET #other :You cannot delete messages from #other`,
      );
    });

    await t.step("a server operator deletes in any channel, member or not", async () => {
      const id = await say(op, "#red", "spam spam");
      const boss = await pool.user("boss", redactCaps);
      boss.send("OPER boss boss-password");
      await boss.expect(/ 381 /);
      boss.send(`REDACT #red ${id} :spam`);
      assertEquals(
        body(await boss.expect(/ REDACT /)),
        `:boss!~boss@127.0.0.1 REDACT #red ${id} :spam`,
      );
      assertEquals(
        body(await bob.expect(/ REDACT /)),
        `:boss!~boss@127.0.0.1 REDACT #red ${id} :spam`,
      );
    });

    await t.step(
      "a guest's messages stay its own across a nick change, not the nick's",
      async () => {
        const id = await say(alice, "#red", "still mine");
        alice.send("NICK alice2");
        await alice.expect(/ NICK /);
        const impostor = await pool.user("alice", redactCaps);
        await join(impostor, "#red");
        impostor.send(`REDACT #red ${id}`);
        assertEquals(
          await impostor.expect(/FAIL/),
          `${S} FAIL REDACT REDACT_FORBIDDEN #red ${id} :You are not authorised to delete this message`,
        );
        alice.send(`REDACT #red ${id}`);
        assertEquals(
          body(await alice.expect(/ REDACT /)),
          `:alice2!~alice@127.0.0.1 REDACT #red ${id}`,
        );
        alice.send("NICK alice");
        await alice.expect(/ 433 /);
      },
    );

    await t.step("in a private conversation, only its sender deletes a message", async () => {
      const id = await say(alice, "bob", "psst");
      await bob.expect(/ PRIVMSG bob :psst/);
      bob.send(`REDACT alice2 ${id}`);
      assertEquals(
        await bob.expect(/FAIL/),
        `${S} FAIL REDACT REDACT_FORBIDDEN alice2 ${id} :You are not authorised to delete this message`,
      );
      alice.send(`REDACT bob ${id}`);
      assertEquals(body(await bob.expect(/ REDACT /)), `:alice2!~alice@127.0.0.1 REDACT bob ${id}`);
    });

    await t.step(
      "a redacted message is gone from CHATHISTORY and from the replay on join",
      async () => {
        const reader = await pool.user("reader", ["draft/chathistory", "batch"]);
        await join(reader, "#red");
        reader.send("CHATHISTORY LATEST #red * 50");
        const replayed = (lines: string[]) =>
          lines.filter((l) => /^@batch=\S+ .* PRIVMSG /.test(l)).map((l) => l.split(" :").pop());
        assertEquals(replayed(await reader.collectUntil(/BATCH -/)), []);
        // something that stays, to show the history itself still works
        await say(op, "#red", "keep this");
        reader.send("CHATHISTORY LATEST #red * 50");
        assertEquals(replayed(await reader.collectUntil(/BATCH -/)), ["keep this"]);
        // a client without chathistory gets the last lines after NAMES: only what stayed
        const late = await pool.user("late");
        late.send("JOIN #red");
        await late.expect(/ 366 /);
        const replay = (await late.collectUntil(/keep this/)).filter((l) => / PRIVMSG /.test(l));
        assertEquals(replay.length, 1, replay.join("\n"));
        match(
          replay[0],
          /^:op!~op@127\.0\.0\.1 PRIVMSG #red :\[\d{4}-\d\d-\d\d \d\d:\d\d\] keep this$/,
        );
      },
    );
  } finally {
    await Promise.all(pool.clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("bot mode, ban and invite exceptions, ELIST, LINKS, overlong input", async (t) => {
  const server = await startServer();
  const pool = new ClientPool(server.port);
  try {
    await t.step("+B: the bot tag, WHO flag B, RPL_WHOISBOT, ISUPPORT BOT=B", async () => {
      const robo = await pool.user("robo");
      const human = await pool.user("human", ["message-tags"]);
      const plain = await pool.user("plain");
      robo.send("VERSION");
      match(await robo.expect(/ 005 .*BOT=/), / BOT=B /);
      robo.send("MODE robo +B");
      assertEquals(await robo.expect(/ MODE /), ":robo!~robo@127.0.0.1 MODE robo +B");
      robo.send("MODE robo");
      assertEquals(await robo.expect(/ 221 /), `${S} 221 robo +B`);
      for (const c of [robo, human, plain]) await join(c, "#bots");
      robo.send("PRIVMSG #bots :beep");
      const tagged = await human.expectMessage(/ PRIVMSG /);
      assertEquals(tagged.tags.bot, "");
      assertEquals(await plain.expect(/ PRIVMSG /), ":robo!~robo@127.0.0.1 PRIVMSG #bots :beep");
      human.send("WHO robo");
      assertEquals(
        await human.expect(/ 352 /),
        `${S} 352 human * ~robo 127.0.0.1 deno-chat.local robo HB :0 robo Tester`,
      );
      human.send("WHO #bots");
      assertEquals(
        await human.expect(/ 352 .* robo /),
        `${S} 352 human #bots ~robo 127.0.0.1 deno-chat.local robo H@B :0 robo Tester`,
      );
      human.send("WHOIS robo");
      assertEquals(await human.expect(/ 335 /), `${S} 335 human robo :is a Bot on deno-chat`);
      robo.send("MODE robo -B");
      assertEquals(await robo.expect(/ MODE /), ":robo!~robo@127.0.0.1 MODE robo -B");
    });

    await t.step("+e lets a banned user in; lists answer 348/349", async () => {
      const op = await pool.user("exop");
      await join(op, "#ex");
      op.send("MODE #ex +b *!*@127.0.0.1", "MODE #ex +e friend!*@*");
      await op.expect(/ MODE #ex \+b/);
      assertEquals(await op.expect(/ MODE /), ":exop!~exop@127.0.0.1 MODE #ex +e friend!*@*");
      op.send("MODE #ex e");
      match(
        await op.expect(/ 348 /),
        /^:deno-chat.local 348 exop #ex friend!\*@\* exop!~exop@127\.0\.0\.1 \d+$/,
      );
      assertEquals(await op.expect(/ 349 /), `${S} 349 exop #ex :End of channel exception list`);
      const friend = await pool.user("friend");
      await join(friend, "#ex");
      friend.send("PRIVMSG #ex :hi");
      assertEquals(await op.expect(/ PRIVMSG /), ":friend!~friend@127.0.0.1 PRIVMSG #ex :hi");
      const foe = await pool.user("foe");
      foe.send("JOIN #ex");
      assertEquals(await foe.expect(/ 474 /), `${S} 474 foe #ex :Cannot join channel (+b)`);
      op.send("MODE #ex -e friend!*@*");
      assertEquals(await op.expect(/ MODE /), ":exop!~exop@127.0.0.1 MODE #ex -e friend!*@*");
      friend.send("PRIVMSG #ex :again");
      assertEquals(await friend.expect(/ 404 /), `${S} 404 friend #ex :Cannot send to channel`);
    });

    await t.step("+I lets a matching user past +i; lists answer 346/347", async () => {
      const op = await pool.user("inop");
      await join(op, "#inv");
      op.send("MODE #inv +i", "MODE #inv +I pal!*@*");
      await op.expect(/ MODE #inv \+i/);
      assertEquals(await op.expect(/ MODE /), ":inop!~inop@127.0.0.1 MODE #inv +I pal!*@*");
      op.send("MODE #inv I");
      match(await op.expect(/ 346 /), /^:deno-chat.local 346 inop #inv pal!\*@\* inop!\S+ \d+$/);
      assertEquals(await op.expect(/ 347 /), `${S} 347 inop #inv :End of channel invite list`);
      const pal = await pool.user("pal");
      await join(pal, "#inv");
      const stranger = await pool.user("stranger");
      stranger.send("JOIN #inv");
      assertEquals(
        await stranger.expect(/ 473 /),
        `${S} 473 stranger #inv :Cannot join channel (+i)`,
      );
      op.send("VERSION");
      match(await op.expect(/ 005 .*CHANMODES/), / CHANMODES=beI,k,l,imnst .*EXCEPTS=e INVEX=I /);
    });

    await t.step("ELIST: member counts, masks, negation, creation and topic times", async () => {
      const a = await pool.user("lister");
      const b = await pool.user("lister2");
      for (const c of [a, b]) await join(c, "#el-two");
      await join(a, "#el-one");
      a.send("TOPIC #el-one :a topic");
      await a.expect(/ TOPIC /);
      const list = async (args: string) => {
        a.send(`LIST ${args}`);
        const lines = await a.collectUntil(/ 323 /);
        return lines.filter((l) => / 322 /.test(l)).map((l) => l.split(" ")[3]).sort();
      };
      assertEquals(await list("#el-*"), ["#el-one", "#el-two"]);
      assertEquals(await list("#el-*,>1"), ["#el-two"]);
      assertEquals(await list("#el-*,<2"), ["#el-one"]);
      assertEquals(await list("#el-*,!*two"), ["#el-one"]);
      assertEquals(await list("#el-*,C<60"), ["#el-one", "#el-two"]);
      assertEquals(await list("#el-*,C>60"), []);
      assertEquals(await list("#el-*,T<60"), ["#el-one"]);
      assertEquals(await list("#el-two"), ["#el-two"]);
      a.send("VERSION");
      match(await a.expect(/ 005 .*ELIST/), / ELIST=CMNTU /);
    });

    await t.step("LINKS names this server, linked to itself", async () => {
      const c = await pool.user("linker");
      c.send("LINKS");
      assertEquals(await c.collectUntil(/ 365 /), [
        `${S} 364 linker deno-chat.local deno-chat.local :0 deno-chat`,
        `${S} 365 linker * :End of /LINKS list`,
      ]);
    });

    await t.step(
      "client tags over 4094 bytes or a body over 512 get 417, not processed",
      async () => {
        const c = await pool.user("longline");
        // 4094 bytes of tag data is allowed
        c.send(`@+a=${"t".repeat(4091)} PING fits`);
        assertEquals(await c.expect(/PONG/), `${S} PONG deno-chat.local :fits`);
        c.send(`@+a=${"t".repeat(4092)} PING over`);
        assertEquals(await c.expect(/ 417 /), `${S} 417 longline :Input line was too long`);
        await c.expectNone(/PONG \S+ over/);
        // 510 bytes and CRLF is the most a body may be
        const room = 510 - "PRIVMSG longline :".length;
        c.send(`PRIVMSG longline :${"x".repeat(room)}`);
        assertEquals(
          await c.expect(/ PRIVMSG /),
          `:longline!~longline@127.0.0.1 PRIVMSG longline :${"x".repeat(room)}`,
        );
        c.send(`PRIVMSG longline :${"y".repeat(room + 1)}`);
        assertEquals(await c.expect(/ 417 /), `${S} 417 longline :Input line was too long`);
        await c.expectNone(/yyyy/);
      },
    );
  } finally {
    await Promise.all(pool.clients.map((c) => c.close()));
    await server.stop();
  }
});
