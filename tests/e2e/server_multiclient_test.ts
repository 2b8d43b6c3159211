import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const ALICE = "alice!~alice@127.0.0.1";

/** Connects a device of `account` that logs in with SASL before registration ends. */
async function device(
  connect: () => Promise<TestClient>,
  nick: string,
  account: string,
  password: string,
  caps: string[] = [],
): Promise<TestClient> {
  const c = await connect();
  c.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
  c.send(`CAP REQ :${["sasl", ...caps].join(" ")}`);
  await c.expect(/ CAP \S+ ACK /);
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(account, password).map((chunk) => `AUTHENTICATE ${chunk}`));
  await c.expect(/ (903|904) /);
  c.send("CAP END");
  return c;
}

/** The line of a client's received ones that matches, however long ago it came. */
function received(c: TestClient, pattern: RegExp): string | undefined {
  return c.lines.find((l) => pattern.test(l));
}

Deno.test("multiclient: several devices share one account's nick, channels and presence", async (t) => {
  const server = await startServer([], ["floodBurst=0", "sessionsPerAccount=2"]);
  const { clients, connect, user } = new ClientPool(server.port);
  try {
    const a = await user("alice", ["draft/account-registration"]);
    a.send("REGISTER * * correct-horse");
    await a.expect(/REGISTER SUCCESS/);
    await join(a, "#room");
    const bob = await user("bob", ["away-notify"]);
    await join(bob, "#room");
    await a.expect(/ JOIN :?#room/);
    let b: TestClient;

    await t.step("a second device takes the account's nick and gets its channels", async () => {
      bob.skip();
      // it asks for the nick in use: it is its own account's, so it attaches
      b = await device(connect, "alice", "alice", "correct-horse");
      assertEquals(
        await b.expect(/ 001 /),
        `:deno-chat.local 001 alice :Welcome to the deno-chat IRC Network ${ALICE}`,
      );
      await b.expect(/ (376|422) /);
      assertEquals(await b.collectUntil(/ 366 /), [
        `:${ALICE} JOIN #room`,
        ":deno-chat.local 353 alice = #room :@alice bob",
        ":deno-chat.local 366 alice #room :End of /NAMES list",
      ]);
      await bob.expectNone(/ (JOIN|QUIT|NICK|AWAY) /);
    });

    await t.step("a peer sees one user", async () => {
      bob.send("NAMES #room");
      assertEquals(await bob.expect(/ 353 /), ":deno-chat.local 353 bob = #room :@alice bob");
    });

    await t.step("a message from device A reaches device B and the channel", async () => {
      a.send("PRIVMSG #room :from the laptop");
      assertEquals(await bob.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG #room :from the laptop`);
      assertEquals(await b.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG #room :from the laptop`);
      a.send("PRIVMSG bob :psst");
      assertEquals(await bob.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG bob :psst`);
      assertEquals(await b.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG bob :psst`);
      bob.send("PRIVMSG alice :hello both");
      assertEquals(await a.expect(/ PRIVMSG /), ":bob!~bob@127.0.0.1 PRIVMSG alice :hello both");
      assertEquals(await b.expect(/ PRIVMSG /), ":bob!~bob@127.0.0.1 PRIVMSG alice :hello both");
      await a.expectNone(/ PRIVMSG #room :from the laptop/); // no echo-message: no echo
    });

    await t.step("JOIN, PART and a nick change from one device reach the other", async () => {
      a.send("JOIN #side");
      assertEquals(await b.collectUntil(/ 366 /), [
        `:${ALICE} JOIN #side`,
        ":deno-chat.local 353 alice = #side :@alice",
        ":deno-chat.local 366 alice #side :End of /NAMES list",
      ]);
      a.send("PART #side");
      assertEquals(await b.expect(/ PART /), `:${ALICE} PART #side`);
      a.send("NICK alicia");
      assertEquals(await a.expect(/ NICK /), `:${ALICE} NICK alicia`);
      assertEquals(await b.expect(/ NICK /), `:${ALICE} NICK alicia`);
      assertEquals(await bob.expect(/ NICK /), `:${ALICE} NICK alicia`);
      b.send("NICK alice");
      assertEquals(await a.expect(/ NICK /), ":alicia!~alice@127.0.0.1 NICK alice");
      await b.expect(/ NICK alice$/);
    });

    await t.step("away only when every device is away", async () => {
      a.send("AWAY :lunch");
      await a.expect(/ 306 /);
      await bob.expectNone(/ AWAY /);
      b.send("AWAY :commuting");
      await b.expect(/ 306 /);
      assertEquals(await bob.expect(/ AWAY /), `:${ALICE} AWAY :commuting`);
      a.send("AWAY");
      await a.expect(/ 305 /);
      assertEquals(await bob.expect(/ AWAY/), `:${ALICE} AWAY`);
      b.send("AWAY");
      await b.expect(/ 305 /);
      await bob.expectNone(/ AWAY/);
    });

    await t.step("to oneself, and user modes, every device hears once", async () => {
      a.send("PRIVMSG alice :note to self");
      assertEquals(await a.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG alice :note to self`);
      assertEquals(await b.expect(/ PRIVMSG /), `:${ALICE} PRIVMSG alice :note to self`);
      a.send("MODE alice +i");
      assertEquals(await b.expect(/ MODE /), `:${ALICE} MODE alice +i`);
      await b.expectNone(/ PRIVMSG /);
    });

    await t.step("the nick of an account online goes to nobody else at registration", async () => {
      const c = await connect();
      c.send("CAP LS 302", "NICK alice", "USER x 0 * :X", "CAP REQ :sasl", "CAP END");
      assertEquals(
        await c.expect(/ 433 /),
        ":deno-chat.local 433 * alice :Nickname is already in use",
      );
      c.send("NICK carol");
      await c.expect(/ 001 carol /);
      await c.close();
    });

    await t.step("the limit: a third device is refused", async () => {
      const c = await device(connect, "alice3", "alice", "correct-horse");
      assertEquals(
        received(c, / 904 /),
        ":deno-chat.local 904 alice3 :SASL authentication failed: the account already has 2 connections",
      );
      assertEquals(
        await c.expect(/ 001 /),
        ":deno-chat.local 001 alice3 :Welcome to the deno-chat IRC Network alice3!~alice3@127.0.0.1",
      );
      await c.close();
    });

    await t.step("device A quits: no QUIT for peers, device B still receives", async () => {
      a.send("QUIT :laptop closed");
      await a.expectClosed();
      await bob.expectNone(/ QUIT /);
      bob.send("PRIVMSG #room :still there?");
      assertEquals(await b.expect(/ PRIVMSG /), ":bob!~bob@127.0.0.1 PRIVMSG #room :still there?");
    });

    await t.step("logging in after connecting attaches too", async () => {
      const c = await user("phone");
      await join(c, "#phone");
      await join(bob, "#phone");
      c.skip();
      c.send("PRIVMSG NickServ :IDENTIFY alice correct-horse");
      assertEquals(
        await bob.expect(/ QUIT /),
        ":phone!~phone@127.0.0.1 QUIT :Logged in on another device as alice",
      );
      assertEquals(await c.collectUntil(/ 366 /), [
        ":phone!~phone@127.0.0.1 PART #phone :Attached to another device",
        ":phone!~phone@127.0.0.1 NICK alice",
        `:deno-chat.local 900 alice ${ALICE} alice :You are now logged in as alice`,
        `:${ALICE} JOIN #room`,
        ":deno-chat.local 353 alice = #room :@alice bob",
        ":deno-chat.local 366 alice #room :End of /NAMES list",
      ]);
      c.send("QUIT");
      await c.expectClosed();
    });

    await t.step("the last device quits: peers see QUIT", async () => {
      b.send("QUIT :phone off");
      assertEquals(await bob.expect(/ QUIT /), `:${ALICE} QUIT :Quit: phone off`);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("always-on: the user stays in its channels with no device, catches up, survives a restart", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-always-on-" });
  let server = await startServer([], undefined, { dataDir });
  let pool = new ClientPool(server.port);
  const all: TestClient[] = [];
  try {
    const a = await pool.user("alice", ["draft/account-registration"]);
    all.push(a);
    a.send("REGISTER * * correct-horse");
    await a.expect(/REGISTER SUCCESS/);
    a.send("PRIVMSG NickServ :SET always-on on");
    assertEquals(
      await a.expect(/NOTICE/),
      ":NickServ!NickServ@services. NOTICE alice :Always-on is on: alice stays online in its channels while you are disconnected.",
    );
    await join(a, "#room");
    const bob = await pool.user("bob", ["away-notify"]);
    all.push(bob);
    await join(bob, "#room");

    await t.step("its last device leaves: no QUIT, it is away and still a member", async () => {
      a.send("QUIT :bye");
      await a.expectClosed();
      assertEquals(await bob.expect(/ AWAY /), `:${ALICE} AWAY :Not connected (always-on)`);
      await bob.expectNone(/ QUIT /);
      bob.send("NAMES #room");
      assertEquals(await bob.expect(/ 353 /), ":deno-chat.local 353 bob = #room :@alice bob");
      bob.send("PRIVMSG #room :while you were away");
      bob.send("PRIVMSG alice :call me");
      await bob.expectNone(/ 401 /);
    });

    await t.step("a device that returns gets what it missed", async () => {
      const back = await device(pool.connect, "alice", "alice", "correct-horse");
      all.push(back);
      await back.expect(/ (376|422) /);
      assertEquals(await back.collectUntil(/ 366 /), [
        `:${ALICE} JOIN #room`,
        ":deno-chat.local 353 alice = #room :@alice bob",
        ":deno-chat.local 366 alice #room :End of /NAMES list",
      ]);
      const missed = await back.expect(/ PRIVMSG #room /);
      assertEquals(
        missed.replace(/\[[^\]]+\] /, "[time] "),
        ":bob!~bob@127.0.0.1 PRIVMSG #room :[time] while you were away",
      );
      const privately = await back.expect(/ PRIVMSG alice /);
      assertEquals(
        privately.replace(/\[[^\]]+\] /, "[time] "),
        ":bob!~bob@127.0.0.1 PRIVMSG alice :[time] call me",
      );
      assertEquals(await bob.expect(/ AWAY/), `:${ALICE} AWAY`);
      back.send("QUIT");
      await back.expectClosed();
      await bob.expect(/ AWAY :Not connected/);
    });

    await t.step("after a restart it is back in its channels", async () => {
      await Promise.all(all.map((c) => c.close()));
      all.length = 0;
      await server.stop();
      server = await startServer([], undefined, { dataDir });
      pool = new ClientPool(server.port);
      const bob2 = await pool.user("bob");
      all.push(bob2);
      bob2.send("JOIN #room");
      assertEquals(
        await bob2.expect(/ 353 /),
        ":deno-chat.local 353 bob = #room :@alice bob",
      );
      const back = await device(pool.connect, "ali", "alice", "correct-horse");
      all.push(back);
      assertEquals(
        await back.expect(/ 001 /),
        `:deno-chat.local 001 alice :Welcome to the deno-chat IRC Network ${ALICE}`,
      );
      await back.expect(/ 366 alice #room /);
      back.send("PRIVMSG NickServ :SET always-on off");
      await back.expect(/Always-on is off/);
      back.send("QUIT :gone");
      assertEquals(await bob2.expect(/ QUIT /), `:${ALICE} QUIT :Quit: gone`);
    });
  } finally {
    await Promise.all(all.map((c) => c.close()));
    await server.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
