import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { TestClient } from "../helpers/irc_client.ts";
import { ClientPool } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

async function sasl(c: TestClient, account: string, password: string): Promise<string> {
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(account, password).map((chunk) => `AUTHENTICATE ${chunk}`));
  return await c.expect(/ (903|904) /);
}

Deno.test("accounts: REGISTER, SASL PLAIN, throttling, NickServ, nick reservation", async (t) => {
  const server = await startServer([], ["floodBurst=0", "loginAttempts=3", "nickGrace=1"]);
  const { clients, connect } = new ClientPool(server.port);
  try {
    await t.step("the first start creates an operator account and prints it once", async () => {
      await server.waitForOutput(/created operator account 'admin' with password \S{16} /);
    });

    await t.step("REGISTER creates an account and logs in", async () => {
      const c = await connect();
      await c.register("alice", ["draft/account-registration"]);
      c.send("REGISTER * * correct-horse");
      assertEquals(
        await c.expect(/ 900 /),
        ":deno-chat.local 900 alice alice!~alice@127.0.0.1 alice :You are now logged in as alice",
      );
      assertEquals(
        await c.expect(/REGISTER/),
        ":deno-chat.local REGISTER SUCCESS alice :Account created",
      );
      c.send("REGISTER * * another-one");
      assertEquals(
        await c.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER ALREADY_AUTHENTICATED alice :You are already logged in as alice",
      );
      const d = await connect();
      await d.register("mallory");
      d.send("REGISTER alice * whatever12");
      assertEquals(
        await d.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER ACCOUNT_EXISTS alice :The account alice already exists",
      );
      d.send("REGISTER mallory * short");
      assertEquals(
        await d.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER WEAK_PASSWORD mallory :Passwords need at least 8 characters",
      );
      await c.close();
    });

    await t.step("SASL PLAIN logs in at connect; a wrong password gets 904", async () => {
      const c = await connect();
      c.send("CAP LS 302", "NICK alice", "USER a 0 * :A", "CAP REQ :sasl");
      await c.expect(/ ACK /);
      assertEquals(
        await sasl(c, "alice", "wrong-password"),
        ":deno-chat.local 904 alice :SASL authentication failed",
      );
      assertEquals(
        await sasl(c, "ALICE", "correct-horse"),
        ":deno-chat.local 903 alice :SASL authentication successful",
      );
      c.send("CAP END");
      await c.expect(/ 001 alice /);
      c.send("WHOIS alice");
      assertEquals(
        await c.expect(/ 330 /),
        ":deno-chat.local 330 alice alice alice :is logged in as",
      );
      await c.close();
    });

    await t.step("failed logins are throttled: even the right password waits", async () => {
      const c = await connect();
      c.send("CAP LS 302", "NICK thrower", "USER a 0 * :A", "CAP REQ :sasl");
      await c.expect(/ ACK /);
      for (let i = 0; i < 3; i++) await sasl(c, "alice", `bad-${i}-password`);
      match(
        await sasl(c, "alice", "correct-horse"),
        /^:deno-chat\.local 904 thrower :SASL authentication failed: too many failed attempts, try again in \d+ seconds$/,
      );
      c.send("AUTHENTICATE FOO");
      assertEquals(
        await c.expect(/ 908 /),
        ":deno-chat.local 908 thrower PLAIN :are available SASL mechanisms",
      );
      await c.expect(/ 904 /);
      c.send("AUTHENTICATE PLAIN");
      await c.expect("AUTHENTICATE +");
      c.send("AUTHENTICATE *");
      assertEquals(
        await c.expect(/ 906 /),
        ":deno-chat.local 906 thrower :SASL authentication aborted",
      );
    });

    await t.step("NickServ REGISTER and IDENTIFY, account-notify and extended-join", async () => {
      const watcher = await connect();
      await watcher.register("watcher", ["account-notify", "extended-join", "account-tag"]);
      watcher.send("JOIN #acct");
      await watcher.expect(/ 366 /);
      const b = await connect();
      await b.register("bob");
      b.send("JOIN #acct");
      await watcher.expect(/ JOIN #acct \* :bob Tester$/);
      b.send("PRIVMSG NickServ :REGISTER bobs-password");
      assertEquals(
        await b.expect(/NOTICE/),
        ":NickServ!NickServ@services. NOTICE bob :Account bob created; you are logged in.",
      );
      assertEquals(await watcher.expect(/ ACCOUNT /), ":bob!~bob@127.0.0.1 ACCOUNT bob");
      b.send("PRIVMSG #acct :signed");
      const m = await watcher.expectMessage(/ PRIVMSG /);
      assertEquals(m.tags.account, "bob");
      b.send("NS LOGOUT");
      assertEquals(await watcher.expect(/ ACCOUNT /), ":bob!~bob@127.0.0.1 ACCOUNT *");
      b.send("PRIVMSG NickServ :IDENTIFY bob bobs-password");
      assertEquals(
        await b.expect(/NOTICE .*logged in/),
        ":NickServ!NickServ@services. NOTICE bob :You are now logged in as bob.",
      );
      b.send("PRIVMSG NickServ :IDENTIFY bob nope-nope");
      await b.expect(/already logged in/);
    });

    await t.step("a registered nick used without logging in is taken back", async () => {
      const c = await connect();
      c.send("NICK alice", "USER x 0 * :X");
      await c.expect(/ 001 alice /);
      match(await c.expect(/NOTICE alice :The nickname alice is registered/), /within 1 seconds/);
      const rename = await c.expect(/ NICK /, 5000);
      match(rename, /^:alice!~x@127\.0\.0\.1 NICK Guest\d{5}$/);
    });

    await t.step("OPER with an operator account, KILL and WALLOPS", async () => {
      const adminLine = server.output.find((l) => l.includes("created operator account"))!;
      const password = adminLine.match(/with password (\S+)/)![1];
      const op = await connect();
      await op.register("boss");
      op.send("OPER admin wrong");
      assertEquals(await op.expect(/ 464 /), ":deno-chat.local 464 boss :Password incorrect");
      op.send(`OPER admin ${password}`);
      assertEquals(
        await op.expect(/ 381 /),
        ":deno-chat.local 381 boss :You are now an IRC operator",
      );
      const victim = await connect();
      await victim.register("victim");
      victim.send("MODE victim +w");
      await victim.expect(/ MODE victim \+w/);
      op.send("WALLOPS :maintenance at noon");
      assertEquals(
        await victim.expect(/WALLOPS/),
        ":boss!~boss@127.0.0.1 WALLOPS :maintenance at noon",
      );
      victim.send("KILL boss :no");
      assertEquals(
        await victim.expect(/ 481 /),
        ":deno-chat.local 481 victim :Permission Denied- You're not an IRC operator",
      );
      op.send("KILL victim :spamming");
      assertEquals(
        await victim.expect(/^ERROR/),
        "ERROR :Closing Link: 127.0.0.1 (Killed (boss (spamming)))",
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("--require-account: no joining or talking before logging in", async () => {
  const server = await startServer(["--require-account"]);
  const c = await TestClient.connect(server.port);
  try {
    await c.register("guest");
    await c.expect(/NOTICE guest :This server requires an account/);
    c.send("JOIN #x");
    assertEquals(
      await c.expect(/FAIL/),
      ":deno-chat.local FAIL JOIN ACCOUNT_REQUIRED :You must log in first: /msg NickServ IDENTIFY <account> <password>, or REGISTER",
    );
    c.send("PRIVMSG NickServ :REGISTER guest-password");
    await c.expect(/Account guest created/);
    c.send("JOIN #x");
    await c.expect(/ 366 guest #x /);
  } finally {
    await c.close();
    await server.stop();
  }
});

Deno.test("--no-open-registration: only operators create accounts", async () => {
  const server = await startServer(["--no-open-registration"]);
  const c = await TestClient.connect(server.port);
  try {
    await c.register("nobody");
    c.send("REGISTER * * long-enough-pw");
    assertEquals(
      await c.expect(/FAIL/),
      ":deno-chat.local FAIL REGISTER DISALLOWED nobody :Registration is closed on this server; ask an operator for an account",
    );
  } finally {
    await c.close();
    await server.stop();
  }
});
