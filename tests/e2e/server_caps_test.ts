import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const ALL_CAPS = "account-notify account-tag away-notify batch cap-notify " +
  "draft/account-registration=before-connect draft/chathistory draft/message-redaction " +
  "draft/metadata-2=before-connect,max-subs=50,max-keys=20,max-value-bytes=300 " +
  "draft/multiline=max-bytes=4096,max-lines=100 draft/no-implicit-names draft/read-marker " +
  "echo-message extended-join extended-monitor invite-notify labeled-response message-tags multi-prefix sasl=PLAIN server-time setname " +
  "soju.im/search " +
  "userhost-in-names";

Deno.test("IRCv3 capabilities", async (t) => {
  const server = await startServer();
  const { clients, connect, user } = new ClientPool(server.port);
  try {
    await t.step(
      "CAP LS 302 lists every capability and holds registration until CAP END",
      async () => {
        const c = await connect();
        c.send("CAP LS 302", "NICK capper", "USER c 0 * :C");
        // past one line's length, the list continues on lines marked `LS *` (CAP 302)
        const ls = await c.collectUntil(/ CAP \* LS :/);
        assertEquals(ls.slice(0, -1).every((l) => / CAP \* LS \* :/.test(l)), true);
        assertEquals(ls.map((l) => l.split(" :")[1]).join(" "), ALL_CAPS);
        c.send("CAP LIST");
        assertEquals(await c.expect(/ CAP /), ":deno-chat.local CAP capper LIST :cap-notify");
        await c.expectNone(/ 001 /);
        c.send("CAP REQ :server-time bogus");
        assertEquals(
          await c.expect(/ CAP /),
          ":deno-chat.local CAP capper NAK :server-time bogus",
        );
        c.send("CAP REQ :server-time echo-message");
        assertEquals(
          await c.expect(/ CAP /),
          ":deno-chat.local CAP capper ACK :server-time echo-message",
        );
        c.send("CAP REQ :-echo-message");
        assertEquals(await c.expect(/ CAP /), ":deno-chat.local CAP capper ACK :-echo-message");
        c.send("CAP END");
        await c.expect(/ 001 capper /);
        c.send("CAP FOO");
        assertEquals(
          await c.expect(/ 410 /),
          ":deno-chat.local 410 capper FOO :Invalid CAP command",
        );
      },
    );

    await t.step("server-time, msgid and echo-message on a channel message", async () => {
      const a = await user("st1", ["server-time", "message-tags", "echo-message"]);
      const b = await user("st2", ["server-time"]);
      const c = await user("st3");
      for (const x of [a, b, c]) await join(x, "#tags");
      a.send("@+draft/reply=abc PRIVMSG #tags :tagged");
      const echo = await a.expectMessage(/ PRIVMSG /);
      match(echo.tags.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assertEquals(typeof echo.tags.msgid, "string");
      assertEquals(echo.tags["+draft/reply"], "abc");
      const atB = await b.expectMessage(/ PRIVMSG /);
      assertEquals(Object.keys(atB.tags), ["time"]);
      assertEquals(atB.tags.time, echo.tags.time);
      assertEquals(await c.expect(/ PRIVMSG /), ":st1!~st1@127.0.0.1 PRIVMSG #tags :tagged");
    });

    await t.step("labeled-response: ACK, one labeled reply, or a labeled batch", async () => {
      const a = await user("lr", ["labeled-response", "batch", "echo-message"]);
      a.send("@label=l1 PONG x");
      assertEquals(await a.expect(/ACK/), "@label=l1 :deno-chat.local ACK");
      a.send("@label=l2 PING tok");
      assertEquals(await a.expect(/PONG/), "@label=l2 :deno-chat.local PONG deno-chat.local :tok");
      // to oneself: the delivery is not a reply (unlabeled), the echo is
      a.send("@label=l3 PRIVMSG lr :to myself");
      assertEquals(await a.collectUntil(/label=l3/), [
        ":lr!~lr@127.0.0.1 PRIVMSG lr :to myself",
        "@label=l3 :lr!~lr@127.0.0.1 PRIVMSG lr :to myself",
      ]);
      a.send("@label=l4 JOIN #lab");
      const start = await a.expectMessage(/ BATCH \+/);
      assertEquals(start.tags.label, "l4");
      const id = start.params[0].slice(1);
      assertEquals(start.params[1], "labeled-response");
      const join = await a.expectMessage(/ JOIN /);
      assertEquals(join.tags.batch, id);
      await a.expect(new RegExp(`^@batch=${id} :deno-chat.local 366 `));
      assertEquals(await a.expect(/ BATCH -/), `:deno-chat.local BATCH -${id}`);
    });

    await t.step("extended-join carries account and real name", async () => {
      const a = await user("ej1", ["extended-join"]);
      const b = await user("ej2");
      await join(a, "#ej");
      b.send("JOIN #ej");
      assertEquals(await a.expect(/ JOIN /), ":ej2!~ej2@127.0.0.1 JOIN #ej * :ej2 Tester");
    });

    await t.step("away-notify tells channel peers about AWAY changes", async () => {
      const a = await user("an1", ["away-notify"]);
      const b = await user("an2");
      await join(a, "#away");
      await join(b, "#away");
      b.send("AWAY :brb");
      assertEquals(await a.expect(/ AWAY /), ":an2!~an2@127.0.0.1 AWAY :brb");
      b.send("AWAY");
      assertEquals(await a.expect(/ AWAY/), ":an2!~an2@127.0.0.1 AWAY");
    });

    await t.step("userhost-in-names shows full masks in NAMES", async () => {
      const a = await user("uh", ["userhost-in-names"]);
      a.send("JOIN #uh");
      assertEquals(await a.expect(/ 353 /), ":deno-chat.local 353 uh = #uh :@uh!~uh@127.0.0.1");
    });

    await t.step("invite-notify tells other members about an INVITE", async () => {
      const a = await user("in1");
      const b = await user("in2", ["invite-notify"]);
      await user("in3");
      await join(a, "#inv");
      await join(b, "#inv");
      a.send("INVITE in3 #inv");
      assertEquals(await b.expect(/ INVITE /), ":in1!~in1@127.0.0.1 INVITE in3 #inv");
    });

    await t.step("setname changes the real name and tells setname peers", async () => {
      const a = await user("sn1", ["setname"]);
      const b = await user("sn2", ["setname"]);
      await join(a, "#sn");
      await join(b, "#sn");
      a.send("SETNAME :New Name");
      assertEquals(await a.expect(/ SETNAME /), ":sn1!~sn1@127.0.0.1 SETNAME :New Name");
      assertEquals(await b.expect(/ SETNAME /), ":sn1!~sn1@127.0.0.1 SETNAME :New Name");
      b.send("WHOIS sn1");
      assertEquals(
        await b.expect(/ 311 /),
        ":deno-chat.local 311 sn2 sn1 ~sn1 127.0.0.1 * :New Name",
      );
      a.send("SETNAME :");
      assertEquals(
        await a.expect(/FAIL/),
        ":deno-chat.local FAIL SETNAME INVALID_REALNAME :Real name must not be empty",
      );
    });

    await t.step("TAGMSG goes only to message-tags clients", async () => {
      const a = await user("tm1", ["message-tags"]);
      const b = await user("tm2", ["message-tags"]);
      const c = await user("tm3");
      for (const x of [a, b, c]) await join(x, "#typing");
      a.send("@+typing=active TAGMSG #typing");
      const got = await b.expectMessage(/ TAGMSG /);
      assertEquals(got.tags["+typing"], "active");
      assertEquals(got.params, ["#typing"]);
      await c.expectNone(/TAGMSG/);
    });

    await t.step("STATUSMSG: @#chan reaches only channel operators", async () => {
      const a = await user("sm1");
      const b = await user("sm2");
      const c = await user("sm3");
      for (const x of [a, b, c]) await join(x, "#status");
      b.send("PRIVMSG @#status :ops only");
      assertEquals(await a.expect(/ PRIVMSG /), ":sm2!~sm2@127.0.0.1 PRIVMSG @#status :ops only");
      await c.expectNone(/ PRIVMSG /);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
