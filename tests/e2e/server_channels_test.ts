import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

Deno.test("channels and messages over real sockets", async (t) => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    await t.step(
      "the first joiner gets ops; joins are broadcast; NAMES lists members",
      async () => {
        const a = await user("ann");
        const b = await user("ben");
        a.send("JOIN #lobby");
        assertEquals(await a.expect(/ JOIN /), ":ann!~ann@127.0.0.1 JOIN #lobby");
        assertEquals(await a.expect(/ 353 /), ":deno-chat.local 353 ann = #lobby :@ann");
        assertEquals(
          await a.expect(/ 366 /),
          ":deno-chat.local 366 ann #lobby :End of /NAMES list",
        );
        b.send("JOIN #Lobby");
        assertEquals(await a.expect(/ JOIN /), ":ben!~ben@127.0.0.1 JOIN #lobby");
        assertEquals(await b.expect(/ 353 /), ":deno-chat.local 353 ben = #lobby :@ann ben");
        b.send("NAMES #LOBBY");
        assertEquals(await b.expect(/ 353 /), ":deno-chat.local 353 ben = #lobby :@ann ben");
        await b.expect(/ 366 /);
      },
    );

    await t.step("PRIVMSG to a channel reaches the others, not the sender", async () => {
      const a = await user("cat");
      const b = await user("dog");
      const c = await user("eel");
      for (const x of [a, b, c]) await join(x, "#pets");
      a.send("PRIVMSG #pets :hello, pets");
      assertEquals(await b.expect(/ PRIVMSG /), ":cat!~cat@127.0.0.1 PRIVMSG #pets :hello, pets");
      assertEquals(await c.expect(/ PRIVMSG /), ":cat!~cat@127.0.0.1 PRIVMSG #pets :hello, pets");
      await a.expectNone(/ PRIVMSG /);
    });

    await t.step(
      "bursts from two members at once reach everyone else whole and in order",
      async () => {
        // many lines per turn: recipients share one batched write where their queues match
        const a = await user("ape");
        const b = await user("bat");
        const c = await user("cod");
        for (const x of [a, b, c]) await join(x, "#burst");
        const burst = (who: string) => Array.from({ length: 60 }, (_, i) => `${who} ${i}`);
        a.send(...burst("ape").map((m) => `PRIVMSG #burst :${m}`), "PRIVMSG #burst :ape end");
        b.send(...burst("bat").map((m) => `PRIVMSG #burst :${m}`), "PRIVMSG #burst :bat end");
        // each sender's lines are handled in order, so its "end" comes after all of them
        for (let i = 0; i < 2; i++) await c.expect(/ PRIVMSG #burst :(ape|bat) end$/);
        await a.expect(/ PRIVMSG #burst :bat end$/);
        await b.expect(/ PRIVMSG #burst :ape end$/);
        const said = (x: typeof a, from: string) => {
          const prefix = `:${from}!~${from}@127.0.0.1 PRIVMSG #burst :`;
          return x.lines.filter((l) => l.startsWith(prefix) && !l.endsWith(" end"))
            .map((l) => l.slice(prefix.length));
        };
        assertEquals(said(c, "ape"), burst("ape"));
        assertEquals(said(c, "bat"), burst("bat"));
        assertEquals(said(a, "bat"), burst("bat"));
        assertEquals(said(b, "ape"), burst("ape"));
        assertEquals(said(a, "ape"), []);
        assertEquals(said(b, "bat"), []);
      },
    );

    await t.step("private messages, several targets, NOTICE", async () => {
      const a = await user("fox");
      const b = await user("gnu");
      const c = await user("hen");
      a.send("PRIVMSG gnu,HEN :psst");
      assertEquals(await b.expect(/ PRIVMSG /), ":fox!~fox@127.0.0.1 PRIVMSG gnu :psst");
      assertEquals(await c.expect(/ PRIVMSG /), ":fox!~fox@127.0.0.1 PRIVMSG HEN :psst");
      a.send("NOTICE gnu :note");
      assertEquals(await b.expect(/ NOTICE /), ":fox!~fox@127.0.0.1 NOTICE gnu :note");
    });

    await t.step("message errors: 401, 403, 411, 412, 404, 407; NOTICE stays silent", async () => {
      const a = await user("ivy");
      a.send("PRIVMSG nobody :hi");
      assertEquals(
        await a.expect(/ 401 /),
        ":deno-chat.local 401 ivy nobody :No such nick/channel",
      );
      a.send("PRIVMSG #nowhere :hi");
      assertEquals(await a.expect(/ 403 /), ":deno-chat.local 403 ivy #nowhere :No such channel");
      a.send("PRIVMSG");
      assertEquals(
        await a.expect(/ 411 /),
        ":deno-chat.local 411 ivy :No recipient given (PRIVMSG)",
      );
      a.send("PRIVMSG ivy");
      assertEquals(await a.expect(/ 412 /), ":deno-chat.local 412 ivy :No text to send");
      const owner = await user("jay");
      await join(owner, "#closed");
      a.send("PRIVMSG #closed :let me in"); // +n: outsiders may not send
      assertEquals(
        await a.expect(/ 404 /),
        ":deno-chat.local 404 ivy #closed :Cannot send to channel",
      );
      a.send("PRIVMSG a,b,c,d,e :too many");
      assertEquals(
        await a.expect(/ 407 /),
        ":deno-chat.local 407 ivy e :Too many targets, at most 4 per message",
      );
      a.send("NOTICE nobody :hi", "NOTICE #nowhere :hi");
      await a.expectNone(/ (401|403) /);
    });

    await t.step("PART with a reason; errors 403 and 442", async () => {
      const a = await user("kit");
      const b = await user("lux");
      await join(a, "#part");
      await join(b, "#part");
      b.send("PART #part :gotta go");
      assertEquals(await a.expect(/ PART /), ":lux!~lux@127.0.0.1 PART #part :gotta go");
      assertEquals(await b.expect(/ PART /), ":lux!~lux@127.0.0.1 PART #part :gotta go");
      b.send("PART #part");
      assertEquals(
        await b.expect(/ 442 /),
        ":deno-chat.local 442 lux #part :You're not on that channel",
      );
      b.send("PART #ghost");
      assertEquals(await b.expect(/ 403 /), ":deno-chat.local 403 lux #ghost :No such channel");
    });

    await t.step("JOIN several channels with keys, JOIN 0 leaves all", async () => {
      const a = await user("max");
      const b = await user("ned");
      await join(a, "#k1");
      a.send("MODE #k1 +k sesame");
      await a.expect(/ MODE #k1 \+k sesame/);
      b.send("JOIN #k1,#k2 wrong");
      assertEquals(
        await b.expect(/ 475 /),
        ":deno-chat.local 475 ned #k1 :Cannot join channel (+k)",
      );
      await b.expect(/ 366 ned #k2 /);
      b.send("JOIN #k1,#k3 sesame");
      await b.expect(/ 366 ned #k1 /);
      await b.expect(/ 366 ned #k3 /);
      b.send("JOIN 0");
      const parts = [await b.expect(/ PART /), await b.expect(/ PART /), await b.expect(/ PART /)];
      assertEquals(parts.sort(), [
        ":ned!~ned@127.0.0.1 PART #k1",
        ":ned!~ned@127.0.0.1 PART #k2",
        ":ned!~ned@127.0.0.1 PART #k3",
      ]);
      b.send("JOIN bad,#a b");
      assertEquals(await b.expect(/ 403 /), ":deno-chat.local 403 ned bad :No such channel");
    });

    await t.step("TOPIC: set, query, 331, 482 under +t, 442 for outsiders", async () => {
      const a = await user("oak");
      const b = await user("pip");
      await join(a, "#topic");
      await join(b, "#topic");
      a.send("TOPIC #topic");
      assertEquals(await a.expect(/ 331 /), ":deno-chat.local 331 oak #topic :No topic is set");
      a.send("TOPIC #topic :Welcome all");
      assertEquals(await b.expect(/ TOPIC /), ":oak!~oak@127.0.0.1 TOPIC #topic :Welcome all");
      b.send("TOPIC #topic");
      assertEquals(await b.expect(/ 332 /), ":deno-chat.local 332 pip #topic :Welcome all");
      match(
        await b.expect(/ 333 /),
        /^:deno-chat\.local 333 pip #topic oak!~oak@127\.0\.0\.1 \d+$/,
      );
      b.send("TOPIC #topic :mine now");
      assertEquals(
        await b.expect(/ 482 /),
        ":deno-chat.local 482 pip #topic :You're not channel operator",
      );
      const c = await user("quo");
      c.send("TOPIC #topic :outsider");
      assertEquals(
        await c.expect(/ 442 /),
        ":deno-chat.local 442 quo #topic :You're not on that channel",
      );
      c.send("JOIN #topic");
      assertEquals(await c.expect(/ 332 /), ":deno-chat.local 332 quo #topic :Welcome all");
    });

    await t.step("KICK: ops only, the target and the channel see it", async () => {
      const a = await user("ray");
      const b = await user("sue");
      await join(a, "#kick");
      await join(b, "#kick");
      b.send("KICK #kick ray :no");
      assertEquals(
        await b.expect(/ 482 /),
        ":deno-chat.local 482 sue #kick :You're not channel operator",
      );
      a.send("KICK #kick sue :behave");
      assertEquals(await b.expect(/ KICK /), ":ray!~ray@127.0.0.1 KICK #kick sue :behave");
      assertEquals(await a.expect(/ KICK /), ":ray!~ray@127.0.0.1 KICK #kick sue :behave");
      a.send("KICK #kick sue");
      assertEquals(
        await a.expect(/ 441 /),
        ":deno-chat.local 441 ray sue #kick :They aren't on that channel",
      );
      a.send("KICK #kick nobody");
      assertEquals(
        await a.expect(/ 401 /),
        ":deno-chat.local 401 ray nobody :No such nick/channel",
      );
      b.send("PRIVMSG #kick :still here?");
      await b.expect(/ 404 /);
    });

    await t.step("INVITE lets a user past +i; 443, 341 and the target is told", async () => {
      const a = await user("tom");
      const b = await user("una");
      await join(a, "#vip");
      a.send("MODE #vip +i");
      await a.expect(/ MODE #vip \+i/);
      b.send("JOIN #vip");
      assertEquals(
        await b.expect(/ 473 /),
        ":deno-chat.local 473 una #vip :Cannot join channel (+i)",
      );
      a.send("INVITE una #vip");
      assertEquals(await a.expect(/ 341 /), ":deno-chat.local 341 tom una #vip");
      assertEquals(await b.expect(/ INVITE /), ":tom!~tom@127.0.0.1 INVITE una #vip");
      b.send("JOIN #vip");
      await b.expect(/ 366 una #vip /);
      a.send("INVITE una #vip");
      assertEquals(
        await a.expect(/ 443 /),
        ":deno-chat.local 443 tom una #vip :is already on channel",
      );
    });

    await t.step("LIST shows visible channels with counts and topics", async () => {
      const a = await user("vic");
      await join(a, "#listed");
      a.send("TOPIC #listed :for listing");
      await a.expect(/ TOPIC /);
      a.send("LIST #listed");
      assertEquals(await a.expect(/ 321 /), ":deno-chat.local 321 vic Channel :Users  Name");
      assertEquals(await a.expect(/ 322 /), ":deno-chat.local 322 vic #listed 1 :for listing");
      assertEquals(await a.expect(/ 323 /), ":deno-chat.local 323 vic :End of /LIST");
      const b = await user("wes");
      await join(a, "#hidden");
      a.send("MODE #hidden +s");
      await a.expect(/ MODE #hidden \+s/);
      b.send("LIST");
      const lines = await b.collectUntil(/ 323 /);
      assertEquals(lines.some((l) => l.includes("#hidden")), false);
      assertEquals(lines.some((l) => l.includes("#listed")), true);
    });

    await t.step("WHO, WHOIS and WHOWAS", async () => {
      const a = await user("xia");
      const b = await user("yul");
      await join(a, "#who");
      await join(b, "#who");
      a.send("WHO #who");
      assertEquals(
        await a.expect(/ 352 /),
        ":deno-chat.local 352 xia #who ~xia 127.0.0.1 deno-chat.local xia H@ :0 xia Tester",
      );
      assertEquals(
        await a.expect(/ 352 /),
        ":deno-chat.local 352 xia #who ~yul 127.0.0.1 deno-chat.local yul H :0 yul Tester",
      );
      assertEquals(await a.expect(/ 315 /), ":deno-chat.local 315 xia #who :End of WHO list");
      a.send("WHO #who %tcnfa,42");
      assertEquals(await a.expect(/ 354 /), ":deno-chat.local 354 xia 42 #who xia H@ :0");
      assertEquals(await a.expect(/ 354 /), ":deno-chat.local 354 xia 42 #who yul H :0");
      await a.expect(/ 315 /);
      b.send("AWAY :lunch");
      assertEquals(
        await b.expect(/ 306 /),
        ":deno-chat.local 306 yul :You have been marked as being away",
      );
      a.send("WHOIS yul");
      assertEquals(
        await a.expect(/ 311 /),
        ":deno-chat.local 311 xia yul ~yul 127.0.0.1 * :yul Tester",
      );
      assertEquals(await a.expect(/ 319 /), ":deno-chat.local 319 xia yul :#who");
      assertEquals(
        await a.expect(/ 312 /),
        ":deno-chat.local 312 xia yul deno-chat.local :deno-chat",
      );
      assertEquals(await a.expect(/ 301 /), ":deno-chat.local 301 xia yul :lunch");
      match(await a.expect(/ 317 /), / 317 xia yul \d+ \d+ :seconds idle, signon time$/);
      assertEquals(await a.expect(/ 318 /), ":deno-chat.local 318 xia yul :End of /WHOIS list");
      a.send("PRIVMSG yul :are you there");
      assertEquals(await a.expect(/ 301 /), ":deno-chat.local 301 xia yul :lunch");
      a.send("WHOIS ghost");
      assertEquals(await a.expect(/ 401 /), ":deno-chat.local 401 xia ghost :No such nick/channel");
      assertEquals(await a.expect(/ 318 /), ":deno-chat.local 318 xia ghost :End of /WHOIS list");
      b.send("QUIT");
      await a.expect(/ QUIT /);
      a.send("WHOWAS yul");
      assertEquals(
        await a.expect(/ 314 /),
        ":deno-chat.local 314 xia yul ~yul 127.0.0.1 * :yul Tester",
      );
      assertEquals(await a.expect(/ 369 /), ":deno-chat.local 369 xia yul :End of WHOWAS");
      a.send("WHOWAS never");
      assertEquals(
        await a.expect(/ 406 /),
        ":deno-chat.local 406 xia never :There was no such nickname",
      );
      a.send("AWAY");
      assertEquals(
        await a.expect(/ 305 /),
        ":deno-chat.local 305 xia :You are no longer marked as being away",
      );
    });

    await t.step("ISON and USERHOST", async () => {
      const a = await user("zed");
      a.send("ISON zed nobody");
      assertEquals(await a.expect(/ 303 /), ":deno-chat.local 303 zed :zed");
      a.send("USERHOST zed");
      assertEquals(await a.expect(/ 302 /), ":deno-chat.local 302 zed :zed=+~zed@127.0.0.1");
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
