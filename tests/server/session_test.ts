// The server in this process over in-memory connections (tests/helpers/memory_server.ts):
// registration, channels, PING, QUIT and SendQ, asserted line for line.

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { SOFTWARE, VERSION } from "../../lib/version.ts";
import { Outgoing } from "../../lib/server/outgoing.ts";
import { toChannel } from "../../lib/server/delivery.ts";
import { SERVER_NAME, startInProcess } from "../helpers/memory_server.ts";
import type { TestClient } from "../helpers/irc_client.ts";

const S = `:${SERVER_NAME}`;
const V = `${SOFTWARE}-${VERSION}`;

/** Registers and returns the lines up to the end of the welcome (the MOTD numeric). */
async function registered(c: TestClient, nick: string): Promise<string[]> {
  c.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
  return await c.collectUntil(/ 422 /);
}

Deno.test("registration sends 001 to 005 and the LUSERS, exactly", async () => {
  const t = startInProcess();
  try {
    const alice = t.connect();
    const lines = await registered(alice, "alice");
    const created = t.server.createdAt.toUTCString();
    assertEquals(lines, [
      `${S} 001 alice :Welcome to the TestNet IRC Network alice!~alice@127.0.0.1`,
      `${S} 002 alice :Your host is ${SERVER_NAME}, running version ${V}`,
      `${S} 003 alice :This server was created ${created}`,
      `${S} 004 alice ${SERVER_NAME} ${V} Biow Ibeiklmnostv Ibeklov`,
      `${S} 005 alice AWAYLEN=390 BOT=B CASEMAPPING=rfc1459 CHANLIMIT=#:100 ` +
      `CHANMODES=beI,k,l,imnst CHANNELLEN=64 CHANTYPES=# CHATHISTORY=100 ELIST=CMNTU EXCEPTS=e ` +
      `INVEX=I KICKLEN=390 MAXLIST=b:100,e:100,I:100 :are supported by this server`,
      `${S} 005 alice MAXTARGETS=4 MODES=6 MONITOR=100 MSGREFTYPES=msgid,timestamp ` +
      `NETWORK=TestNet NICKLEN=30 PREFIX=(ov)@+ STATUSMSG=@+ ` +
      `TARGMAX=PRIVMSG:4,NOTICE:4,TAGMSG:4,JOIN:,PART:,KICK:1,NAMES:1,WHOIS:1 TOPICLEN=390 ` +
      `USERLEN=18 WHOX :are supported by this server`,
      `${S} 251 alice :There are 1 users and 0 invisible on 1 servers`,
      `${S} 254 alice 0 :channels formed`,
      `${S} 255 alice :I have 1 clients and 0 servers`,
      `${S} 265 alice 1 1 :Current local users 1, max 1`,
      `${S} 266 alice 1 1 :Current global users 1, max 1`,
      `${S} 422 alice :MOTD File is missing`,
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("JOIN and PRIVMSG between two clients arrive exactly, and not back to the sender", async () => {
  const t = startInProcess();
  try {
    const alice = t.connect();
    const bob = t.connect();
    await registered(alice, "alice");
    await registered(bob, "bob");
    alice.send("JOIN #t");
    assertEquals(await alice.collectUntil(/ 366 /), [
      ":alice!~alice@127.0.0.1 JOIN #t",
      `${S} 353 alice = #t :@alice`,
      `${S} 366 alice #t :End of /NAMES list`,
    ]);
    bob.send("JOIN #t");
    assertEquals(await bob.collectUntil(/ 366 /), [
      ":bob!~bob@127.0.0.1 JOIN #t",
      `${S} 353 bob = #t :@alice bob`,
      `${S} 366 bob #t :End of /NAMES list`,
    ]);
    assertEquals(await alice.expect(/JOIN/), ":bob!~bob@127.0.0.1 JOIN #t");
    bob.send("PRIVMSG #t :hello there");
    assertEquals(await alice.expect(/PRIVMSG/), ":bob!~bob@127.0.0.1 PRIVMSG #t :hello there");
    alice.send("PRIVMSG bob :hi bob");
    assertEquals(await bob.expect(/PRIVMSG/), ":alice!~alice@127.0.0.1 PRIVMSG bob :hi bob");
    await bob.expectNone(/PRIVMSG #t/);
  } finally {
    await t.close();
  }
});

Deno.test("PING gets its PONG with the token", async () => {
  const t = startInProcess();
  try {
    const alice = t.connect();
    await registered(alice, "alice");
    alice.send("PING :tok 1");
    assertEquals(await alice.expect(/PONG/), `${S} PONG ${SERVER_NAME} :tok 1`);
  } finally {
    await t.close();
  }
});

Deno.test("QUIT is seen by the other member of a channel; the quitter gets ERROR and is closed", async () => {
  const t = startInProcess();
  try {
    const alice = t.connect();
    const bob = t.connect();
    await registered(alice, "alice");
    await registered(bob, "bob");
    alice.send("JOIN #t");
    await alice.expect(/ 366 /);
    bob.send("JOIN #t");
    await bob.expect(/ 366 /);
    await alice.expect(/JOIN/);
    bob.send("QUIT :bye now");
    assertEquals(await alice.expect(/QUIT/), ":bob!~bob@127.0.0.1 QUIT :Quit: bye now");
    assertEquals(await bob.expect(/^ERROR/), "ERROR :Closing Link: 127.0.0.1 (Quit: bye now)");
    await bob.expectClosed();
    assertEquals(t.server.sessions.size, 1);
  } finally {
    await t.close();
  }
});

for (const direct of [false, true]) {
  Deno.test(
    `a client that never reads is dropped with SendQ exceeded; the others go on` +
      (direct ? " (direct writes)" : " (asynchronous writes)"),
    async () => {
      const t = startInProcess({ sendQ: 4096 });
      try {
        // the direct window stands for a socket buffer: it takes a little, then nothing
        const slow = t.connect(direct ? { directWindow: 1024 } : {});
        const bob = t.connect();
        const carol = t.connect();
        await registered(slow, "slow");
        for (const [c, nick] of [[bob, "bob"], [carol, "carol"]] as const) {
          await registered(c, nick);
        }
        for (const c of [slow, bob, carol]) {
          c.send("JOIN #t");
          await c.expect(/ 366 /);
        }
        slow.send("PING :ready");
        await slow.expect(/PONG/);
        slow.skip();
        // from here on slow reads nothing
        t.peer(slow).pause();
        const session = [...t.server.sessions].find((s) => s.user.nick === "slow")!;
        const text = "x".repeat(400);
        for (let i = 0; i < 20; i++) bob.send(`PRIVMSG #t :${i} ${text}`);
        assertEquals(
          await carol.expect(/QUIT/),
          ":slow!~slow@127.0.0.1 QUIT :SendQ exceeded",
        );
        // carol got every message, in order, and the chat goes on
        await carol.expect(/ :19 x/);
        const got = carol.lines.filter((l) => l.includes("PRIVMSG #t")).map((l) => l.split(" ")[3]);
        assertEquals(got, Array.from({ length: 20 }, (_, i) => `:${i}`));
        bob.send("PRIVMSG #t :still here");
        assertEquals(
          await carol.expect(/still here/),
          ":bob!~bob@127.0.0.1 PRIVMSG #t :still here",
        );
        assertEquals(t.server.stats.sendQDrops, 1);
        ok(!t.server.sessions.has(session));
        await slow.expectClosed();
      } finally {
        await t.close();
      }
    },
  );
}

Deno.test("a session over SendQ is ended on the next microtask, not inside the fan-out loop", async () => {
  const t = startInProcess({ sendQ: 2048 });
  try {
    // direct writes, as on TCP: a reading client's output leaves in the turn it was started
    // in; ben's buffer (window 0) takes nothing once he stops reading
    const clients = [0, 0, 0].map(() => t.connect({ directWindow: 0 }));
    const nicks = ["ann", "ben", "cat"];
    for (let i = 0; i < 3; i++) {
      await registered(clients[i], nicks[i]);
      clients[i].send("JOIN #t");
      await clients[i].expect(/ 366 /);
    }
    t.peer(clients[1]).pause();
    const channel = t.server.channels.find("#t")!;
    const ended: { nick: string; inLoop: boolean; members: number }[] = [];
    let inLoop = false;
    const endSession = t.server.endSession.bind(t.server);
    t.server.endSession = (session, reason, quit) => {
      ended.push({ nick: session.user.nick, inLoop, members: channel.members.size });
      endSession(session, reason, quit);
    };
    const big = new Outgoing("ann!~ann@127.0.0.1", "PRIVMSG", ["#t", "y".repeat(400)]);
    // a first round fills ben's write in flight (the others' go out at once)...
    for (let i = 0; i < 4; i++) toChannel(channel, big);
    await Promise.resolve();
    assertEquals(ended, []);
    // ...so the second takes ben over SendQ in the middle of the loop
    inLoop = true;
    for (let i = 0; i < 4; i++) toChannel(channel, big);
    inLoop = false;
    // over SendQ during the loop, but nobody was ended in it and the channel did not change
    assertEquals(ended, []);
    assertEquals(channel.members.size, 3);
    await Promise.resolve();
    assertEquals(ended, [{ nick: "ben", inLoop: false, members: 3 }]);
    assertEquals(channel.members.size, 2);
    assertEquals(await clients[0].expect(/QUIT/), ":ben!~ben@127.0.0.1 QUIT :SendQ exceeded");
  } finally {
    await t.close();
  }
});
