import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { parseMessage } from "../../lib/protocol/message.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

const SERVER = "deno-chat.local";
const ALICE = "alice!~alice@127.0.0.1";
const LIMITS = [
  "floodBurst=0",
  "multilineMaxBytes=40",
  "multilineMaxLines=4",
  "multilineTimeout=1",
];
const ML_CAPS = ["batch", "draft/multiline", "message-tags"];

/** The lines of the multiline message the tests send (with a blank and a concatenated one). */
function sendMessage(c: TestClient, ref: string, opening = `BATCH +${ref} draft/multiline #ml`) {
  c.send(
    opening,
    `@batch=${ref} PRIVMSG #ml hello`,
    `@batch=${ref} PRIVMSG #ml :`,
    `@batch=${ref} PRIVMSG #ml :how is `,
    `@batch=${ref};draft/multiline-concat PRIVMSG #ml :everyone?`,
    `BATCH -${ref}`,
  );
}

/** Waits until every line the client sent so far has been handled. */
async function synced(c: TestClient): Promise<void> {
  await c.expectNone(/^$/);
}

/** The id a `BATCH +id` line opens. */
function opened(line: string): string {
  return parseMessage(line)!.params[0].slice(1);
}

Deno.test("draft/multiline: one message in, one batch or separate lines out", async (t) => {
  const server = await startServer([], LIMITS);
  const { clients, user, connect } = new ClientPool(server.port);
  try {
    await t.step("CAP LS 302 offers the cap with the limits", async () => {
      const c = await connect();
      c.send("CAP LS 302");
      match(
        await c.expect(/ CAP \* LS /),
        / draft\/multiline=max-bytes=40,max-lines=4 /,
      );
    });

    const alice = await user("alice", [...ML_CAPS, "echo-message", "labeled-response"]);
    const bob = await user("bob", ML_CAPS);
    const carol = await user("carol");
    const dave = await user("dave", ["message-tags"]);
    for (const c of [alice, bob, carol, dave]) await join(c, "#ml");

    let msgid = "";
    await t.step("to a channel: a batch to clients with the cap, lines to the rest", async () => {
      sendMessage(alice, "a1", "@label=L1;+draft/reply=abc BATCH +a1 draft/multiline #ml");
      const start = await bob.expect(/ BATCH \+/);
      const id = opened(start);
      msgid = parseMessage(start)!.tags.msgid;
      match(msgid, /\S/);
      assertEquals(
        await bob.collectUntil(/ BATCH -/),
        [
          `@+draft/reply=abc;msgid=${msgid} :${ALICE} BATCH +${id} draft/multiline #ml`,
          `@batch=${id} :${ALICE} PRIVMSG #ml :hello`,
          `@batch=${id} :${ALICE} PRIVMSG #ml :`,
          `@batch=${id} :${ALICE} PRIVMSG #ml :how is `,
          `@batch=${id};draft/multiline-concat :${ALICE} PRIVMSG #ml :everyone?`,
          `:${ALICE} BATCH -${id}`,
        ].slice(1),
      );
      assertEquals(await carol.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :hello`);
      assertEquals(await carol.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :how is `);
      assertEquals(await carol.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :everyone?`);
      // msgid and client tags on the first line only
      assertEquals(
        await dave.expect(/PRIVMSG #ml/),
        `@+draft/reply=abc;msgid=${msgid} :${ALICE} PRIVMSG #ml :hello`,
      );
      assertEquals(await dave.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :how is `);
      assertEquals(await dave.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :everyone?`);
      await carol.expectNone(/PRIVMSG #ml/);
    });

    await t.step("the echo is the batch, labeled on its opening BATCH only", async () => {
      const first = await alice.expect(/ BATCH \+/);
      const id = opened(first);
      assertEquals(
        first,
        `@label=L1;+draft/reply=abc;msgid=${msgid} :${ALICE} BATCH +${id} draft/multiline #ml`,
      );
      const rest = await alice.collectUntil(/ BATCH -/);
      assertEquals(rest.length, 5);
      assertEquals(rest[4], `:${ALICE} BATCH -${id}`);
      await alice.expectNone(/ ACK|label=/);
    });

    /** Asserts a batch refused with `fail` delivered nothing to the others. */
    const refused = async (lines: string[], fail: string) => {
      alice.send(...lines);
      assertEquals(await alice.expect(/ FAIL /), fail);
      await synced(alice);
      for (const c of [bob, carol, dave]) await c.expectNone(/PRIVMSG|BATCH/);
    };

    await t.step("over max-bytes: FAIL MULTILINE_MAX_BYTES, nothing delivered", async () => {
      await refused(
        [
          "BATCH +b1 draft/multiline #ml",
          `@batch=b1 PRIVMSG #ml :${"x".repeat(30)}`,
          `@batch=b1 PRIVMSG #ml :${"y".repeat(10)}`, // 30 + newline + 10 = 41
          `@batch=b1 PRIVMSG #ml :more`,
          "BATCH -b1",
        ],
        `:${SERVER} FAIL BATCH MULTILINE_MAX_BYTES 40 :A multiline message may have at most 40 bytes`,
      );
    });

    await t.step("over max-lines: FAIL MULTILINE_MAX_LINES, nothing delivered", async () => {
      await refused(
        [
          "BATCH +b2 draft/multiline #ml",
          ...["1", "2", "3", "4", "5", "6"].map((n) => `@batch=b2 PRIVMSG #ml ${n}`),
          "BATCH -b2",
        ],
        `:${SERVER} FAIL BATCH MULTILINE_MAX_LINES 4 :A multiline message may have at most 4 lines`,
      );
    });

    await t.step("a line to another target: FAIL MULTILINE_INVALID_TARGET", async () => {
      await refused(
        [
          "BATCH +b3 draft/multiline #ml",
          "@batch=b3 PRIVMSG #ml one",
          "@batch=b3 PRIVMSG #elsewhere two",
          "BATCH -b3",
        ],
        `:${SERVER} FAIL BATCH MULTILINE_INVALID_TARGET #ml #elsewhere :Every line of a multiline batch must go to the batch's target`,
      );
    });

    await t.step("only blank lines: FAIL MULTILINE_INVALID", async () => {
      await refused(
        ["BATCH +b4 draft/multiline #ml", "@batch=b4 PRIVMSG #ml :", "BATCH -b4"],
        `:${SERVER} FAIL BATCH MULTILINE_INVALID :A multiline message needs a line that is not blank`,
      );
    });

    await t.step("another command inside the batch drops it, and is itself done", async () => {
      alice.send("BATCH +b5 draft/multiline #ml", "@batch=b5 PRIVMSG #ml one", "TOPIC #ml :t");
      assertEquals(
        await alice.expect(/ FAIL /),
        `:${SERVER} FAIL BATCH MULTILINE_INVALID :TOPIC was sent inside a multiline batch, which is dropped`,
      );
      // TOPIC carries its own msgid (and time, with server-time): only the line itself matters here
      assertEquals((await bob.expect(/ TOPIC /)).replace(/^@\S+ /, ""), `:${ALICE} TOPIC #ml :t`);
      alice.send("BATCH -b5");
      assertEquals(
        await alice.expect(/ FAIL /),
        `:${SERVER} FAIL BATCH MULTILINE_INVALID :No multiline batch b5 is open`,
      );
      await synced(alice);
      await bob.expectNone(/PRIVMSG|BATCH/);
    });

    await t.step("a batch never closed times out; nothing is delivered", async () => {
      alice.send("@label=T1 BATCH +t1 draft/multiline #ml", "@batch=t1 PRIVMSG #ml :lost");
      assertEquals(
        await alice.expect(/ FAIL /, 4000),
        `@label=T1 :${SERVER} FAIL BATCH TIMEOUT t1 :The multiline batch was not closed within 1 seconds; it was dropped`,
      );
      // its late lines and end are dropped quietly
      alice.send("@batch=t1 PRIVMSG #ml :late", "BATCH -t1");
      await alice.expectNone(/ FAIL /);
      for (const c of [bob, carol, dave]) await c.expectNone(/PRIVMSG|BATCH/);
    });

    await t.step("CHATHISTORY returns it as one message", async () => {
      const h = await user("hist", [...ML_CAPS, "draft/chathistory"]);
      await join(h, "#ml");
      h.send("CHATHISTORY LATEST #ml * 10");
      const outer = opened(await h.expect(/ BATCH \+\S+ chathistory /));
      const lines = await h.collectUntil(new RegExp(`BATCH -${outer}$`));
      const inner = opened(lines[0]);
      assertEquals(lines, [
        `@batch=${outer};+draft/reply=abc;msgid=${msgid} :${ALICE} BATCH +${inner} draft/multiline #ml`,
        `@batch=${inner} :${ALICE} PRIVMSG #ml :hello`,
        `@batch=${inner} :${ALICE} PRIVMSG #ml :`,
        `@batch=${inner} :${ALICE} PRIVMSG #ml :how is `,
        `@batch=${inner};draft/multiline-concat :${ALICE} PRIVMSG #ml :everyone?`,
        `@batch=${outer} :${ALICE} BATCH -${inner}`,
        `:${SERVER} BATCH -${outer}`,
      ]);

      const p = await user("histplain", ["batch", "message-tags", "draft/chathistory"]);
      await join(p, "#ml");
      p.send("CHATHISTORY LATEST #ml * 10");
      const id = opened(await p.expect(/ BATCH \+\S+ chathistory /));
      assertEquals(await p.collectUntil(new RegExp(`BATCH -${id}$`)), [
        `@batch=${id};+draft/reply=abc;msgid=${msgid} :${ALICE} PRIVMSG #ml :hello`,
        `@batch=${id} :${ALICE} PRIVMSG #ml :how is `,
        `@batch=${id} :${ALICE} PRIVMSG #ml :everyone?`,
        `:${SERVER} BATCH -${id}`,
      ]);
    });

    await t.step("replay on join gives a plain client the lines", async () => {
      const late = await user("late");
      late.send("JOIN #ml");
      match(
        await late.expect(/PRIVMSG #ml/),
        /^:alice!~alice@127\.0\.0\.1 PRIVMSG #ml :\[\d{4}-\d\d-\d\d \d\d:\d\d\] hello$/,
      );
      assertEquals(await late.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :how is `);
      assertEquals(await late.expect(/PRIVMSG #ml/), `:${ALICE} PRIVMSG #ml :everyone?`);
    });

    await t.step("to a nick, starting with a blank line", async () => {
      alice.send(
        "BATCH +p1 draft/multiline bob",
        "@batch=p1 PRIVMSG bob :",
        "@batch=p1 PRIVMSG bob :first",
        "@batch=p1 PRIVMSG bob :second",
        "BATCH -p1",
      );
      const id = opened(await bob.expect(/ BATCH \+\S+ draft\/multiline bob$/));
      assertEquals(await bob.collectUntil(/ BATCH -/), [
        `@batch=${id} :${ALICE} PRIVMSG bob :`,
        `@batch=${id} :${ALICE} PRIVMSG bob :first`,
        `@batch=${id} :${ALICE} PRIVMSG bob :second`,
        `:${ALICE} BATCH -${id}`,
      ]);
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("draft/multiline: a labeled echo without the cap is a labeled-response batch", async () => {
  const server = await startServer([], LIMITS);
  const { clients, user } = new ClientPool(server.port);
  try {
    const a = await user("alice", ["batch", "message-tags", "echo-message", "labeled-response"]);
    await join(a, "#ml");
    a.send(
      "@label=E1 BATCH +e1 draft/multiline #ml",
      "@batch=e1 PRIVMSG #ml one",
      "@batch=e1 PRIVMSG #ml two",
      "BATCH -e1",
    );
    const first = await a.expect(/^@label=E1 /);
    const id = opened(first);
    assertEquals(first, `@label=E1 :${SERVER} BATCH +${id} labeled-response`);
    const rest = await a.collectUntil(new RegExp(`BATCH -${id}$`));
    assertEquals(rest.length, 3);
    match(rest[0], new RegExp(`^@batch=${id};msgid=\\S+ :${ALICE} PRIVMSG #ml :one$`));
    assertEquals(rest.slice(1), [
      `@batch=${id} :${ALICE} PRIVMSG #ml :two`,
      `:${SERVER} BATCH -${id}`,
    ]);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("draft/multiline: a batch's lines skip flood control and are billed as a whole", async () => {
  // the default flood limits: 20 lines at once, then 4 a second
  const server = await startServer([], ["multilineMaxLines=60"]);
  const { clients, user } = new ClientPool(server.port);
  try {
    const a = await user("alice", ML_CAPS);
    const b = await user("bob", ML_CAPS);
    await join(a, "#ml");
    await join(b, "#ml");
    const lines = Array.from({ length: 60 }, (_, i) => `@batch=f1 PRIVMSG #ml :line ${i}`);
    a.send("BATCH +f1 draft/multiline #ml", ...lines, "BATCH -f1");
    // line by line, the 40 beyond the burst would take 10 s: more than the 5 s waits allow
    await b.expect(/ BATCH \+\S+ draft\/multiline #ml$/);
    const got = await b.collectUntil(/ BATCH -/);
    assertEquals(got.length, 61);
    // billed 8 tokens (one per 8 lines): the next message still goes at once
    a.send("PRIVMSG #ml :after");
    await b.expect(/PRIVMSG #ml :after$/);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
