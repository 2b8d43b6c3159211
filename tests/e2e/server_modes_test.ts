import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

Deno.test("user and channel modes", async (t) => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    await t.step("user mode +i, 221, 501 and 502", async () => {
      const a = await user("uma");
      await user("uno");
      a.send("MODE uma +i");
      assertEquals(await a.expect(/ MODE /), ":uma!~uma@127.0.0.1 MODE uma +i");
      a.send("MODE uma");
      assertEquals(await a.expect(/ 221 /), ":deno-chat.local 221 uma +i");
      a.send("MODE uma +x");
      assertEquals(await a.expect(/ 501 /), ":deno-chat.local 501 uma :Unknown MODE flag");
      a.send("MODE uno +i");
      assertEquals(
        await a.expect(/ 502 /),
        ":deno-chat.local 502 uma :Cant change mode for other users",
      );
      a.send("MODE -i");
      assertEquals(await a.expect(/ 401 /), ":deno-chat.local 401 uma -i :No such nick/channel");
    });

    await t.step("channel mode query: 324 and 329; new channels are +nt", async () => {
      const a = await user("ada");
      await join(a, "#m");
      a.send("MODE #m");
      assertEquals(await a.expect(/ 324 /), ":deno-chat.local 324 ada #m +nt");
      await a.expect(/^:deno-chat\.local 329 ada #m \d+$/);
    });

    await t.step(
      "+o and +v give prefixes; 482 for non-ops, 441 and 401 for bad targets",
      async () => {
        const a = await user("bea");
        const b = await user("cy");
        await join(a, "#ov");
        await join(b, "#ov");
        a.send("MODE #ov +ov cy cy");
        assertEquals(await b.expect(/ MODE /), ":bea!~bea@127.0.0.1 MODE #ov +ov cy cy");
        b.send("NAMES #ov");
        assertEquals(await b.expect(/ 353 /), ":deno-chat.local 353 cy = #ov :@bea @cy");
        a.send("MODE #ov -o cy");
        await b.expect(/ MODE #ov -o cy/);
        b.send("MODE #ov +t");
        assertEquals(
          await b.expect(/ 482 /),
          ":deno-chat.local 482 cy #ov :You're not channel operator",
        );
        const c = await user("dee");
        a.send("MODE #ov +o dee");
        assertEquals(
          await a.expect(/ 441 /),
          ":deno-chat.local 441 bea dee #ov :They aren't on that channel",
        );
        a.send("MODE #ov +o ghost");
        assertEquals(
          await a.expect(/ 401 /),
          ":deno-chat.local 401 bea ghost :No such nick/channel",
        );
        a.send("MODE #ov +Z");
        assertEquals(
          await a.expect(/ 472 /),
          ":deno-chat.local 472 bea Z :is unknown mode char to me",
        );
        await c.close();
      },
    );

    await t.step("multi-prefix shows every prefix in NAMES and WHO", async () => {
      const a = await user("eve", ["multi-prefix"]);
      await join(a, "#mp");
      a.send("MODE #mp +v eve");
      await a.expect(/ MODE #mp \+v eve/);
      a.send("NAMES #mp");
      assertEquals(await a.expect(/ 353 /), ":deno-chat.local 353 eve = #mp :@+eve");
      a.send("WHO #mp");
      assertEquals(
        await a.expect(/ 352 /),
        ":deno-chat.local 352 eve #mp ~eve 127.0.0.1 deno-chat.local eve H@+ :0 eve Tester",
      );
    });

    await t.step("+b bans by mask: list, 474 on join, 404 on speaking", async () => {
      const a = await user("fay");
      const b = await user("gus");
      await join(a, "#ban");
      await join(b, "#ban");
      a.send("MODE #ban +b gus");
      assertEquals(await b.expect(/ MODE /), ":fay!~fay@127.0.0.1 MODE #ban +b gus!*@*");
      b.send("PRIVMSG #ban :can I talk?");
      assertEquals(
        await b.expect(/ 404 /),
        ":deno-chat.local 404 gus #ban :Cannot send to channel",
      );
      a.send("MODE #ban b");
      await a.expect(/^:deno-chat\.local 367 fay #ban gus!\*@\* fay!~fay@127\.0\.0\.1 \d+$/);
      assertEquals(
        await a.expect(/ 368 /),
        ":deno-chat.local 368 fay #ban :End of channel ban list",
      );
      b.send("PART #ban");
      await b.expect(/ PART /);
      b.send("JOIN #ban");
      assertEquals(
        await b.expect(/ 474 /),
        ":deno-chat.local 474 gus #ban :Cannot join channel (+b)",
      );
      a.send("MODE #ban -b GUS!*@*");
      await a.expect(/ MODE #ban -b gus!\*@\*/);
      b.send("JOIN #ban");
      await b.expect(/ 366 gus #ban /);
    });

    await t.step("+l limits members; 696 for a bad limit; 471 when full", async () => {
      const a = await user("hal");
      const b = await user("ida");
      await join(a, "#lim");
      a.send("MODE #lim +l abc");
      assertEquals(await a.expect(/ 696 /), ":deno-chat.local 696 hal #lim l abc :Invalid limit");
      a.send("MODE #lim +l 1");
      assertEquals(await a.expect(/ MODE /), ":hal!~hal@127.0.0.1 MODE #lim +l 1");
      b.send("JOIN #lim");
      assertEquals(
        await b.expect(/ 471 /),
        ":deno-chat.local 471 ida #lim :Cannot join channel (+l)",
      );
      a.send("MODE #lim -l");
      assertEquals(await a.expect(/ MODE /), ":hal!~hal@127.0.0.1 MODE #lim -l");
      b.send("JOIN #lim");
      await b.expect(/ 366 ida #lim /);
    });

    await t.step("+k hides the key from outsiders; -k removes it", async () => {
      const a = await user("jo");
      const b = await user("kay");
      await join(a, "#key");
      a.send("MODE #key +k :bad key");
      assertEquals(
        await a.expect(/ 696 /),
        ":deno-chat.local 696 jo #key k * :Invalid key",
      );
      a.send("MODE #key +k pw");
      await a.expect(/ MODE #key \+k pw/);
      a.send("MODE #key");
      assertEquals(await a.expect(/ 324 /), ":deno-chat.local 324 jo #key +ntk pw");
      b.send("MODE #key");
      assertEquals(await b.expect(/ 324 /), ":deno-chat.local 324 kay #key +ntk *");
      a.send("MODE #key -k pw");
      assertEquals(await a.expect(/ MODE /), ":jo!~jo@127.0.0.1 MODE #key -k *");
      b.send("JOIN #key");
      await b.expect(/ 366 kay #key /);
    });

    await t.step("+m lets only voiced and ops speak; -n lets outsiders send", async () => {
      const a = await user("lee");
      const b = await user("mo");
      const c = await user("nia");
      await join(a, "#mod");
      await join(b, "#mod");
      a.send("MODE #mod +m-n");
      assertEquals(await b.expect(/ MODE /), ":lee!~lee@127.0.0.1 MODE #mod +m-n");
      b.send("PRIVMSG #mod :hello?");
      assertEquals(await b.expect(/ 404 /), ":deno-chat.local 404 mo #mod :Cannot send to channel");
      a.send("MODE #mod +v mo");
      await b.expect(/ MODE #mod \+v mo/);
      b.send("PRIVMSG #mod :now?");
      assertEquals(await a.expect(/ PRIVMSG /), ":mo!~mo@127.0.0.1 PRIVMSG #mod :now?");
      a.send("MODE #mod -m");
      await a.expect(/ MODE #mod -m/);
      c.send("PRIVMSG #mod :from outside");
      assertEquals(await a.expect(/ PRIVMSG /), ":nia!~nia@127.0.0.1 PRIVMSG #mod :from outside");
    });

    await t.step("+s hides a channel from WHOIS and NAMES for outsiders", async () => {
      const a = await user("oli");
      const b = await user("pam");
      await join(a, "#sec");
      a.send("MODE #sec +s");
      await a.expect(/ MODE #sec \+s/);
      b.send("WHOIS oli");
      const lines = await b.collectUntil(/ 318 /);
      assertEquals(lines.some((l) => l.includes("#sec")), false);
      b.send("NAMES #sec");
      assertEquals(await b.expect(/ 366 /), ":deno-chat.local 366 pam #sec :End of /NAMES list");
      a.send("NAMES #sec");
      assertEquals(await a.expect(/ 353 /), ":deno-chat.local 353 oli @ #sec :@oli");
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
