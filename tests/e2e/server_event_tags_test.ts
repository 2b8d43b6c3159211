import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";
import type { TestClient } from "../helpers/irc_client.ts";

const TIME = /time=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)/;

/** The line with its time and msgid values replaced, so the rest can be compared exactly. */
function shape(line: string): string {
  return line.replace(TIME, "time=T").replace(/msgid=[^; ]+/, "msgid=M");
}

function timeOf(line: string): number {
  const m = line.match(TIME);
  ok(m, `no time tag in ${line}`);
  return Date.parse(m[1]);
}

async function next(c: TestClient, pattern: RegExp): Promise<string> {
  return await c.expect(pattern);
}

Deno.test("JOIN, PART, QUIT, NICK, KICK, MODE and TOPIC carry server-time (and msgid with message-tags)", async () => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const timeOnly = await user("tim", ["server-time"]);
    const tagged = await user("tag", ["server-time", "message-tags"]);
    const plain = await user("pla");
    const start = Date.now();
    await join(timeOnly, "#ord");
    await join(tagged, "#ord");
    const joinSeen = await next(timeOnly, / JOIN #ord/);
    assertEquals(shape(joinSeen), "@time=T :tag!~tag@127.0.0.1 JOIN #ord");
    await join(plain, "#ord");
    assertEquals(
      shape(await next(timeOnly, / JOIN #ord/)),
      "@time=T :pla!~pla@127.0.0.1 JOIN #ord",
    );
    assertEquals(
      shape(await next(tagged, / JOIN #ord/)),
      "@time=T;msgid=M :pla!~pla@127.0.0.1 JOIN #ord",
    );

    // the message after a join is never older than the join
    plain.send("PRIVMSG #ord :hello");
    const said = await next(timeOnly, / PRIVMSG #ord /);
    assertEquals(shape(said), "@time=T :pla!~pla@127.0.0.1 PRIVMSG #ord :hello");
    ok(timeOf(joinSeen) <= timeOf(said));
    ok(timeOf(joinSeen) >= start - 1000 && timeOf(said) <= Date.now() + 1000);

    timeOnly.send("TOPIC #ord :the order of things");
    assertEquals(
      shape(await next(tagged, / TOPIC #ord/)),
      "@time=T;msgid=M :tim!~tim@127.0.0.1 TOPIC #ord :the order of things",
    );
    assertEquals(
      await next(plain, / TOPIC #ord/),
      ":tim!~tim@127.0.0.1 TOPIC #ord :the order of things",
    );
    assertEquals(
      shape(await next(timeOnly, / TOPIC #ord/)),
      "@time=T :tim!~tim@127.0.0.1 TOPIC #ord :the order of things",
    );

    timeOnly.send("MODE #ord +m");
    assertEquals(
      shape(await next(tagged, / MODE #ord/)),
      "@time=T;msgid=M :tim!~tim@127.0.0.1 MODE #ord +m",
    );
    assertEquals(await next(plain, / MODE #ord/), ":tim!~tim@127.0.0.1 MODE #ord +m");

    tagged.send("NICK tag2");
    assertEquals(shape(await next(timeOnly, / NICK /)), "@time=T :tag!~tag@127.0.0.1 NICK tag2");
    assertEquals(
      shape(await next(tagged, / NICK /)),
      "@time=T;msgid=M :tag!~tag@127.0.0.1 NICK tag2",
    );

    timeOnly.send("KICK #ord pla :enough");
    assertEquals(
      shape(await next(tagged, / KICK #ord/)),
      "@time=T;msgid=M :tim!~tim@127.0.0.1 KICK #ord pla :enough",
    );
    assertEquals(await next(plain, / KICK #ord/), ":tim!~tim@127.0.0.1 KICK #ord pla :enough");

    tagged.send("PART #ord :later");
    assertEquals(
      shape(await next(timeOnly, / PART #ord/)),
      "@time=T :tag2!~tag@127.0.0.1 PART #ord :later",
    );
    await join(tagged, "#ord");
    tagged.send("QUIT :bye");
    assertEquals(
      shape(await next(timeOnly, / QUIT /)),
      "@time=T :tag2!~tag@127.0.0.1 QUIT :Quit: bye",
    );

    // a user mode change to oneself carries them too
    timeOnly.send("MODE tim +i");
    assertEquals(
      shape(await next(timeOnly, / MODE tim/)),
      "@time=T :tim!~tim@127.0.0.1 MODE tim +i",
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
