import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { TestClient } from "../helpers/irc_client.ts";
import { ClientPool } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";
import { fileURLToPath } from "node:url";

Deno.test("registration over real sockets", async (t) => {
  const server = await startServer([
    "--motd",
    // a file path, not a URL's pathname ("/C:/..." is no path on Windows)
    fileURLToPath(new URL("../fixtures/motd.txt", import.meta.url)),
  ]);
  const { clients, connect } = new ClientPool(server.port);
  try {
    await t.step("NICK and USER get the whole welcome burst in order", async () => {
      const c = await connect();
      c.send("NICK alice", "USER alice 0 * :Alice Liddell");
      const lines = await c.collectUntil(/ 376 /);
      const codes = lines.map((l) => l.split(" ")[1]);
      assertEquals(codes, [
        "001",
        "002",
        "003",
        "004",
        "005",
        "005",
        "251",
        "254",
        "255",
        "265",
        "266",
        "375",
        "372",
        "372",
        "376",
      ]);
      assertEquals(
        lines[0],
        ":deno-chat.local 001 alice :Welcome to the deno-chat IRC Network alice!~alice@127.0.0.1",
      );
      match(lines[4], /CASEMAPPING=rfc1459 .*CHANMODES=beI,k,l,imnst CHANNELLEN=64 CHANTYPES=#/);
      match(lines[5], /NICKLEN=30/);
      match(lines[5], /PREFIX=\(ov\)@\+ .*TARGMAX=PRIVMSG:4,.* TOPICLEN=390 /);
      assertEquals(lines[12], ":deno-chat.local 372 alice :- Welcome to the test server.");
    });

    await t.step("commands before registration get 451", async () => {
      const c = await connect();
      c.send("JOIN #x");
      assertEquals(await c.expect(/ 451 /), ":deno-chat.local 451 * :You have not registered");
      c.send("FOO");
      assertEquals(await c.expect(/ 451 /), ":deno-chat.local 451 * :You have not registered");
    });

    await t.step("NICK errors: 431 none given, 432 erroneous, 433 in use", async () => {
      const c = await connect();
      c.send("NICK");
      assertEquals(await c.expect(/ 431 /), ":deno-chat.local 431 * :No nickname given");
      c.send("NICK 9bad");
      assertEquals(await c.expect(/ 432 /), ":deno-chat.local 432 * 9bad :Erroneous nickname");
      c.send("NICK ALICE");
      assertEquals(
        await c.expect(/ 433 /),
        ":deno-chat.local 433 * ALICE :Nickname is already in use",
      );
      c.send("NICK alice2", "USER a 0 * :A");
      await c.expect(/ 001 alice2 /);
    });

    await t.step("USER with too few parameters gets 461, twice gets 462", async () => {
      const c = await connect();
      c.send("USER onlyone");
      assertEquals(
        await c.expect(/ 461 /),
        ":deno-chat.local 461 * USER :Not enough parameters",
      );
      c.send("USER u 0 * :");
      assertEquals(
        await c.expect(/ 461 /),
        ":deno-chat.local 461 * USER :Not enough parameters",
      );
      c.send("USER u 0 * :Real", "NICK usr");
      await c.expect(/ 001 usr /);
      c.send("USER u 0 * :Real");
      assertEquals(await c.expect(/ 462 /), ":deno-chat.local 462 usr :You may not reregister");
    });

    await t.step("an unknown command after registration gets 421", async () => {
      const c = await connect();
      await c.register("unk");
      c.send("FROBNICATE now");
      assertEquals(
        await c.expect(/ 421 /),
        ":deno-chat.local 421 unk FROBNICATE :Unknown command",
      );
    });

    await t.step("PING is answered with PONG and the same token", async () => {
      const c = await connect();
      c.send("PING :hello world");
      assertEquals(await c.expect(/PONG/), ":deno-chat.local PONG deno-chat.local :hello world");
      c.send("PING");
      assertEquals(
        await c.expect(/ 461 /),
        ":deno-chat.local 461 * PING :Not enough parameters",
      );
    });

    await t.step("a nick change is seen by the user and by channel peers", async () => {
      const a = await connect();
      const b = await connect();
      await a.register("nc1");
      await b.register("nc2");
      a.send("JOIN #nick");
      await a.expect(/ 366 /);
      b.send("JOIN #nick");
      await b.expect(/ 366 /);
      a.send("NICK nc1_new");
      assertEquals(await a.expect(/ NICK /), ":nc1!~nc1@127.0.0.1 NICK nc1_new");
      assertEquals(await b.expect(/ NICK /), ":nc1!~nc1@127.0.0.1 NICK nc1_new");
      // the old nick is free again, and a case change of one's own nick is allowed
      b.send("NICK NC1");
      assertEquals(await b.expect(/ NICK /), ":nc2!~nc2@127.0.0.1 NICK NC1");
      assertEquals(await a.expect(/ NICK /), ":nc2!~nc2@127.0.0.1 NICK NC1");
      a.send("NICK NC1_NEW");
      assertEquals(await a.expect(/ NICK /), ":nc1_new!~nc1@127.0.0.1 NICK NC1_NEW");
    });

    await t.step("QUIT closes with ERROR and peers see the reason", async () => {
      const a = await connect();
      const b = await connect();
      await a.register("q1");
      await b.register("q2");
      a.send("JOIN #quit");
      await a.expect(/ 366 /);
      b.send("JOIN #quit");
      await b.expect(/ 366 /);
      b.send("QUIT :see you");
      assertEquals(await b.expect(/^ERROR/), "ERROR :Closing Link: 127.0.0.1 (Quit: see you)");
      await b.expectClosed();
      assertEquals(await a.expect(/ QUIT /), ":q2!~q2@127.0.0.1 QUIT :Quit: see you");
    });

    await t.step("LUSERS, MOTD, VERSION and TIME answer with their numerics", async () => {
      const c = await connect();
      await c.register("info");
      c.send("LUSERS");
      match(await c.expect(/ 251 /), /:There are \d+ users and 0 invisible on 1 servers$/);
      await c.expect(/ 266 /);
      c.send("MOTD");
      await c.expect(/ 375 info :- deno-chat.local Message of the day - $/);
      await c.expect(/ 376 info :End of \/MOTD command\.$/);
      c.send("VERSION");
      match(
        await c.expect(/ 351 /),
        /^:deno-chat\.local 351 info deno-chat-\S+ deno-chat\.local :/,
      );
      await c.expect(/ 005 /);
      c.send("TIME");
      match(await c.expect(/ 391 /), /^:deno-chat\.local 391 info deno-chat\.local \d+ 0 :/);
      c.send("ADMIN");
      assertEquals(
        await c.expect(/ 256 /),
        ":deno-chat.local 256 info deno-chat.local :Administrative info",
      );
      await c.expect(/ 259 /);
      c.send("INFO");
      await c.expect(/ 371 info :deno-chat /);
      assertEquals(await c.expect(/ 374 /), ":deno-chat.local 374 info :End of /INFO list");
      c.send("LINKS");
      assertEquals(
        await c.expect(/ 364 /),
        ":deno-chat.local 364 info deno-chat.local deno-chat.local :0 deno-chat",
      );
      assertEquals(await c.expect(/ 365 /), ":deno-chat.local 365 info * :End of /LINKS list");
      c.send("STATS u");
      match(
        await c.expect(/ 242 /),
        /^:deno-chat\.local 242 info :Server Up 0 days \d\d:\d\d:\d\d$/,
      );
      assertEquals(await c.expect(/ 219 /), ":deno-chat.local 219 info u :End of /STATS report");
      c.send("HELP JOIN");
      match(await c.expect(/ 704 /), /^:deno-chat\.local 704 info JOIN :JOIN <#channel>/);
      assertEquals(await c.expect(/ 706 /), ":deno-chat.local 706 info JOIN :End of /HELP");
      c.send("HELP NOPE");
      assertEquals(
        await c.expect(/ 524 /),
        ":deno-chat.local 524 info NOPE :No help available on this topic",
      );
      c.send("MOTD other.server");
      assertEquals(
        await c.expect(/ 402 /),
        ":deno-chat.local 402 info other.server :No such server",
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("server password: PASS is checked at registration", async () => {
  const server = await startServer(["--password", "s3cret"]);
  const clients: TestClient[] = [];
  try {
    const bad = await TestClient.connect(server.port);
    clients.push(bad);
    bad.send("PASS wrong", "NICK intruder", "USER i 0 * :I");
    assertEquals(await bad.expect(/ 464 /), ":deno-chat.local 464 intruder :Password incorrect");
    assertEquals(await bad.expect(/^ERROR/), "ERROR :Closing Link: 127.0.0.1 (Bad password)");
    await bad.expectClosed();

    const none = await TestClient.connect(server.port);
    clients.push(none);
    none.send("NICK nopass", "USER i 0 * :I");
    await none.expect(/ 464 /);
    await none.expectClosed();

    const good = await TestClient.connect(server.port);
    clients.push(good);
    good.send("PASS s3cret", "NICK friend", "USER f 0 * :F");
    await good.expect(/ 001 friend /);
    good.send("PASS again");
    assertEquals(await good.expect(/ 462 /), ":deno-chat.local 462 friend :You may not reregister");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
