import { deepStrictEqual as assertEquals, fail, match } from "node:assert/strict";
import { parseMessage } from "../../lib/protocol/message.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

const SERVER = "deno-chat.local";

/** The batch id a `BATCH +id ...` line opens. */
function opened(line: string): string {
  const m = parseMessage(line);
  if (!m || m.command !== "BATCH" || !m.params[0].startsWith("+")) {
    fail(`not a batch start: ${line}`);
  }
  return m.params[0].slice(1);
}

/** Collects a whole labeled response: from its labeled first line to the outer BATCH end. */
async function labeledBatch(c: TestClient, label: string): Promise<string[]> {
  const first = await c.expect(new RegExp(`^@label=${label} `));
  const outer = opened(first);
  const rest = await c.collectUntil(new RegExp(`^:${SERVER} BATCH -${outer}$`));
  return [first, ...rest];
}

/** Asserts lines one by one: a string must be equal, a RegExp must match. */
function assertLines(actual: string[], expected: (string | RegExp)[]): void {
  assertEquals(actual.length, expected.length, `got:\n${actual.join("\n")}`);
  expected.forEach((e, i) => {
    if (typeof e === "string") assertEquals(actual[i], e);
    else match(actual[i], e);
  });
}

Deno.test("labeled-response: replies go through the command's response buffer", async (t) => {
  const server = await startServer();
  const { clients, user } = new ClientPool(server.port);
  try {
    const alice = await user("alice");
    await join(alice, "#lr");
    alice.send("PRIVMSG #lr :one", "PRIVMSG #lr :two");
    // each PRIVMSG is stored before the next line is read: a PING answer means both are kept
    await alice.expectNone(/ FAIL /);

    await t.step("CHATHISTORY LATEST: history lines in the inner chathistory batch", async () => {
      const c = await user("hist", ["labeled-response", "batch", "draft/chathistory"]);
      await join(c, "#lr");
      c.send("@label=c1 CHATHISTORY LATEST #lr * 10");
      const lines = await labeledBatch(c, "c1");
      const outer = opened(lines[0]);
      const inner = opened(lines[1]);
      assertLines(lines, [
        `@label=c1 :${SERVER} BATCH +${outer} labeled-response`,
        `@batch=${outer} :${SERVER} BATCH +${inner} chathistory #lr`,
        `@batch=${inner} :alice!~alice@127.0.0.1 PRIVMSG #lr :one`,
        `@batch=${inner} :alice!~alice@127.0.0.1 PRIVMSG #lr :two`,
        `@batch=${outer} :${SERVER} BATCH -${inner}`,
        `:${SERVER} BATCH -${outer}`,
      ]);
    });

    await t.step(
      "JOIN with history replay: the replay is a batch nested in the label's",
      async () => {
        const c = await user("bob", ["labeled-response", "batch"]);
        c.send("@label=j1 JOIN #lr");
        const lines = await labeledBatch(c, "j1");
        const outer = opened(lines[0]);
        const inner = opened(lines[4]);
        const stamp = String.raw`\[\d{4}-\d\d-\d\d \d\d:\d\d\]`;
        assertLines(lines, [
          `@label=j1 :${SERVER} BATCH +${outer} labeled-response`,
          `@batch=${outer} :bob!~bob@127.0.0.1 JOIN #lr`,
          `@batch=${outer} :${SERVER} 353 bob = #lr :@alice hist bob`,
          `@batch=${outer} :${SERVER} 366 bob #lr :End of /NAMES list`,
          `@batch=${outer} :${SERVER} BATCH +${inner} chathistory #lr`,
          new RegExp(`^@batch=${inner} :alice!~alice@127\\.0\\.0\\.1 PRIVMSG #lr :${stamp} one$`),
          new RegExp(`^@batch=${inner} :alice!~alice@127\\.0\\.0\\.1 PRIVMSG #lr :${stamp} two$`),
          `@batch=${outer} :${SERVER} BATCH -${inner}`,
          `:${SERVER} BATCH -${outer}`,
        ]);
        // the others see the JOIN as it happens, unlabeled
        assertEquals(await alice.expect(/ JOIN #lr/), ":hist!~hist@127.0.0.1 JOIN #lr");
        assertEquals(await alice.expect(/ JOIN #lr/), ":bob!~bob@127.0.0.1 JOIN #lr");
      },
    );

    await t.step(
      "PRIVMSG to oneself with echo-message: the delivery, then the labeled echo",
      async () => {
        // labeled-response: "When a client sends a message to itself, the server MUST NOT
        // include the label tag, except for any acknowledgment sent with echo-message"
        const c = await user("carol", ["labeled-response", "batch", "echo-message"]);
        c.send("@label=p1 PRIVMSG carol :hi me");
        assertEquals(await c.collectUntil(/label=p1/), [
          ":carol!~carol@127.0.0.1 PRIVMSG carol :hi me",
          "@label=p1 :carol!~carol@127.0.0.1 PRIVMSG carol :hi me",
        ]);
        await c.expectNone(/PRIVMSG carol/);
        // without echo-message there is nothing to say: the delivery, and an ACK
        const d = await user("dave", ["labeled-response", "batch"]);
        d.send("@label=p2 PRIVMSG dave :hi me");
        assertEquals(await d.collectUntil(/label=p2/), [
          ":dave!~dave@127.0.0.1 PRIVMSG dave :hi me",
          `@label=p2 :${SERVER} ACK`,
        ]);
      },
    );

    await t.step("an unknown command: 421 carrying the label", async () => {
      const c = await user("erin", ["labeled-response", "batch"]);
      c.send("@label=u1 FROBNICATE x");
      assertEquals(
        await c.expect(/ 421 /),
        `@label=u1 :${SERVER} 421 erin FROBNICATE :Unknown command`,
      );
    });

    await t.step(
      "what others send during an awaited command is not part of its reply",
      async () => {
        const c = await user("frank", ["labeled-response", "batch"]);
        // IDENTIFY awaits a password hash; alice's message arrives before or during it
        c.send("@label=i1 PRIVMSG NickServ :IDENTIFY frank wrongpassword");
        alice.send("PRIVMSG frank :meanwhile");
        // alice's PONG: her message is in frank's queue, so before his next PONG
        await alice.expectNone(/ FAIL /);
        const reply = await c.expect(/label=i1/);
        assertEquals(
          reply,
          "@label=i1 :NickServ!NickServ@services. NOTICE frank :Invalid account or password.",
        );
        await c.expectNone(/batch=/);
        assertEquals(
          c.lines.filter((l) => l.includes("meanwhile")),
          [":alice!~alice@127.0.0.1 PRIVMSG frank :meanwhile"],
        );
      },
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
