import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { startServer, TEST_LIMITS } from "../helpers/server_process.ts";

const S = ":deno-chat.local";
const CAPS = ["draft/metadata-2", "batch"];

/** Lines with their batch ids (random) written as `B`, so they compare exactly. */
function norm(lines: string[]): string[] {
  return lines.map((l) =>
    l.replace(/^@batch=\S+ /, "@batch=B ").replace(/BATCH ([+-])\S+/, "BATCH $1B")
  );
}

/** Registers with the metadata caps and waits for the own-metadata batch that ends the burst. */
async function metaUser(pool: ClientPool, nick: string, subs = "display-name avatar") {
  const c = await pool.connect();
  c.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick} Tester`);
  c.send(`CAP REQ :${CAPS.join(" ")}`);
  await c.expect(/ CAP \S+ ACK /);
  if (subs !== "") {
    c.send(`METADATA * SUB ${subs}`);
    await c.expect(/ 770 /);
  }
  c.send("CAP END");
  await c.expect(/ (376|422) /);
  await c.expect(/^:\S+ BATCH -/);
  return c;
}

/** Collects a command's reply up to the PONG of a PING sent after it. */
async function replyTo(c: TestClient, ...lines: string[]): Promise<string[]> {
  const token = `t${Math.random().toString(36).slice(2)}`;
  c.skip();
  c.send(...lines, `PING ${token}`);
  const got = await c.collectUntil(new RegExp(`PONG \\S+ :?${token}$`));
  return norm(got.slice(0, -1));
}

Deno.test("METADATA: set, get, list and clear one's own keys, with exact replies", async (t) => {
  const server = await startServer([], [...TEST_LIMITS, "metadataMaxKeys=3", "metadataMaxSubs=3"]);
  const pool = new ClientPool(server.port);
  try {
    const ann = await metaUser(pool, "ann");

    await t.step("CAP LS shows the limits", async () => {
      const c = await pool.connect();
      c.send("CAP LS 302");
      const ls = (await c.collectUntil(/ CAP \* LS :/)).join(" ");
      assertEquals(
        / draft\/metadata-2=(\S+)/.exec(ls)?.[1],
        "before-connect,max-subs=3,max-keys=3,max-value-bytes=300",
      );
    });

    await t.step("SET answers 761; GET and LIST come in a metadata batch", async () => {
      assertEquals(await replyTo(ann, "METADATA * SET display-name :Ann Lee"), [
        `${S} 761 ann ann display-name * :Ann Lee`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * SET avatar https://example.com/a.png"), [
        `${S} 761 ann ann avatar * :https://example.com/a.png`,
      ]);
      assertEquals(await replyTo(ann, "METADATA ann GET display-name homepage"), [
        `${S} BATCH +B metadata ann`,
        `@batch=B ${S} 761 ann ann display-name * :Ann Lee`,
        `@batch=B ${S} 766 ann ann homepage :Key not set`,
        `${S} BATCH -B`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * LIST"), [
        `${S} BATCH +B metadata ann`,
        `@batch=B ${S} 761 ann ann display-name * :Ann Lee`,
        `@batch=B ${S} 761 ann ann avatar * :https://example.com/a.png`,
        `${S} BATCH -B`,
      ]);
    });

    await t.step("an invalid key, a value too long, a fourth key are refused", async () => {
      assertEquals(await replyTo(ann, "METADATA * SET Display$Name :x"), [
        `${S} FAIL METADATA INVALID_KEY Display$Name :Invalid key`,
      ]);
      assertEquals(await replyTo(ann, `METADATA * SET homepage :${"é".repeat(151)}`), [
        `${S} FAIL METADATA INVALID_VALUE homepage :The value is longer than 300 bytes`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * SET homepage :https://ann.example"), [
        `${S} 761 ann ann homepage * :https://ann.example`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * SET status :away"), [
        `${S} FAIL METADATA LIMIT_REACHED ann :Metadata limit reached: 3 keys`,
      ]);
    });

    await t.step("SET without a value removes a key; a key not set says so", async () => {
      assertEquals(await replyTo(ann, "METADATA * SET homepage"), [
        `${S} 766 ann ann homepage :Key deleted`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * SET homepage"), [
        `${S} FAIL METADATA KEY_NOT_SET ann homepage :Key not set`,
      ]);
    });

    await t.step(
      "others' metadata is read-only; unknown targets and subcommands fail",
      async () => {
        const bob = await metaUser(pool, "bob");
        assertEquals(await replyTo(bob, "METADATA ann GET display-name"), [
          `${S} BATCH +B metadata ann`,
          `@batch=B ${S} 761 bob ann display-name * :Ann Lee`,
          `${S} BATCH -B`,
        ]);
        assertEquals(await replyTo(bob, "METADATA ann SET display-name :Bob"), [
          `${S} FAIL METADATA KEY_NO_PERMISSION ann display-name :You may not change the metadata of ann`,
        ]);
        assertEquals(await replyTo(bob, "METADATA nobody LIST"), [
          `${S} FAIL METADATA INVALID_TARGET nobody :Invalid metadata target`,
        ]);
        assertEquals(await replyTo(bob, "METADATA * DESTROY"), [
          `${S} FAIL METADATA INVALID_SUBCOMMAND DESTROY :Invalid subcommand`,
        ]);
        const whois = await replyTo(bob, "WHOIS ann");
        assertEquals(whois.filter((l) => / 760 /.test(l)), [
          `${S} 760 bob ann display-name * :Ann Lee`,
        ]);
      },
    );

    await t.step("CLEAR removes every key, in a batch of 766", async () => {
      assertEquals(await replyTo(ann, "METADATA * CLEAR"), [
        `${S} BATCH +B metadata ann`,
        `@batch=B ${S} 766 ann ann display-name :Key deleted`,
        `@batch=B ${S} 766 ann ann avatar :Key deleted`,
        `${S} BATCH -B`,
      ]);
      assertEquals(await replyTo(ann, "METADATA * LIST"), [
        `${S} BATCH +B metadata ann`,
        `${S} BATCH -B`,
      ]);
    });

    await t.step(
      "SUB stops at max-subs and names the first key refused; SUBS and UNSUB",
      async () => {
        const c = await metaUser(pool, "carl", "");
        assertEquals(await replyTo(c, "METADATA * SUB avatar $bad website"), [
          `${S} FAIL METADATA INVALID_KEY $bad :Invalid key`,
          `${S} 770 carl :avatar website`,
        ]);
        assertEquals(await replyTo(c, "METADATA * SUB avatar status color display-name"), [
          `${S} FAIL METADATA TOO_MANY_SUBS color :Too many subscriptions: 3 keys`,
          `${S} 770 carl :avatar status`,
        ]);
        assertEquals(await replyTo(c, "METADATA * SUBS"), [
          `${S} BATCH +B metadata-subs`,
          `@batch=B ${S} 772 carl :avatar website status`,
          `${S} BATCH -B`,
        ]);
        assertEquals(await replyTo(c, "METADATA * UNSUB website nothing"), [
          `${S} 771 carl :website nothing`,
        ]);
        assertEquals(await replyTo(c, "METADATA * SUBS"), [
          `${S} BATCH +B metadata-subs`,
          `@batch=B ${S} 772 carl :avatar status`,
          `${S} BATCH -B`,
        ]);
      },
    );
  } finally {
    for (const c of pool.clients) await c.close();
    await server.stop();
  }
});

Deno.test("METADATA: notifications to subscribers who share a channel, and metadata on JOIN", async (t) => {
  const server = await startServer();
  const pool = new ClientPool(server.port);
  try {
    const ann = await metaUser(pool, "ann");
    const bob = await metaUser(pool, "bob");
    const eve = await metaUser(pool, "eve", ""); // has the cap, subscribed to nothing
    const out = await metaUser(pool, "out"); // subscribed, shares no channel
    await join(ann, "#room");
    await join(bob, "#room");
    await join(eve, "#room");

    await t.step("a change reaches a subscriber in a shared channel, not the others", async () => {
      ann.send("METADATA * SET display-name :Ann Lee");
      assertEquals(await bob.expect(/ METADATA /), `${S} METADATA ann display-name * :Ann Lee`);
      await eve.expectNone(/ METADATA /);
      await out.expectNone(/ METADATA /);
      // the one who made it has the reply, no notification
      assertEquals(await ann.expect(/ 761 /), `${S} 761 ann ann display-name * :Ann Lee`);
      await ann.expectNone(/ METADATA /);
    });

    await t.step("a removal is a METADATA without value", async () => {
      ann.send("METADATA * SET display-name");
      assertEquals(await bob.expect(/ METADATA /), `${S} METADATA ann display-name :*`);
      ann.send("METADATA * SET display-name :Ann");
      assertEquals(await bob.expect(/ METADATA /), `${S} METADATA ann display-name * :Ann`);
    });

    await t.step("JOIN sends the members' metadata in a batch after NAMES", async () => {
      bob.send("METADATA * SET avatar https://example.com/b.png");
      await bob.expect(/ 761 /);
      const late = await metaUser(pool, "late");
      late.send("JOIN #room");
      await late.expect(/ 366 /);
      const lines = norm(await late.collectUntil(/^:\S+ BATCH -/));
      assertEquals(lines, [
        `${S} BATCH +B metadata #room`,
        `@batch=B ${S} METADATA ann display-name * :Ann`,
        `@batch=B ${S} METADATA bob avatar * :https://example.com/b.png`,
        `${S} BATCH -B`,
      ]);
    });

    await t.step("a joiner's metadata goes to the members who subscribed", async () => {
      const cid = await metaUser(pool, "cid");
      cid.send("METADATA * SET display-name :Cid Newcomer");
      await cid.expect(/ 761 /);
      cid.send("JOIN #room");
      await ann.expect(/:cid!\S+ JOIN #room/);
      for (const member of [ann, bob]) {
        assertEquals(
          await member.expect(/ METADATA /),
          `${S} METADATA cid display-name * :Cid Newcomer`,
        );
      }
    });

    await t.step("channel metadata: operators set it, members hear of it", async () => {
      assertEquals(await replyTo(bob, "METADATA #room SET url :https://room.example"), [
        `${S} FAIL METADATA KEY_NO_PERMISSION #room url :You may not change the metadata of #room`,
      ]);
      ann.send("METADATA * SUB url");
      await ann.expect(/ 770 /);
      bob.send("METADATA * SUB url");
      await bob.expect(/ 770 /);
      ann.send("METADATA #room SET url :https://room.example");
      assertEquals(await ann.expect(/ 761 /), `${S} 761 ann #room url * :https://room.example`);
      assertEquals(
        await bob.expect(/ METADATA #room/),
        `${S} METADATA #room url * :https://room.example`,
      );
      assertEquals(await replyTo(out, "METADATA #room LIST"), [
        `${S} FAIL METADATA KEY_NO_PERMISSION #room * :You are not on #room`,
      ]);
    });
  } finally {
    for (const c of pool.clients) await c.close();
    await server.stop();
  }
});

Deno.test("METADATA: before-connect keys apply at registration; an account's survive a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-metadata-" });
  try {
    let server = await startServer([], undefined, { dataDir });
    let pool = new ClientPool(server.port);
    const reg = await pool.user("dora", ["draft/account-registration", ...CAPS]);
    reg.send("REGISTER * * secret-pass");
    await reg.expect(/ REGISTER SUCCESS /);
    reg.send("METADATA * SET display-name :Dora Explorer");
    await reg.expect(/ 761 /);
    // the background write to the store is done once a read after it answers
    reg.send("METADATA * LIST");
    await reg.expect(/^:\S+ BATCH -/);
    for (const c of pool.clients) await c.close();
    await server.stop();

    server = await startServer([], undefined, { dataDir });
    pool = new ClientPool(server.port);
    try {
      // a guest sets a key before registering: it is there once registered
      const g = await pool.connect();
      g.send("CAP LS 302", "NICK gus", "USER gus 0 * :Gus");
      g.send(`CAP REQ :${CAPS.join(" ")}`);
      await g.expect(/ CAP \S+ ACK /);
      assertEquals(await replyTo(g, "METADATA * SET display-name :Gus G"), [
        `${S} 761 gus * display-name * :Gus G`,
      ]);
      assertEquals(await replyTo(g, "METADATA dora LIST"), [
        `${S} FAIL METADATA KEY_NO_PERMISSION dora * :Before registering, only your own (*) metadata`,
      ]);
      g.send("CAP END");
      await g.expect(/ (376|422) /);
      assertEquals(norm(await g.collectUntil(/^:\S+ BATCH -/)), [
        `${S} BATCH +B metadata gus`,
        `@batch=B ${S} METADATA gus display-name * :Gus G`,
        `${S} BATCH -B`,
      ]);

      // the account logs in again after the restart: its display name is back
      const d = await pool.connect();
      d.send("CAP LS 302", "NICK dora", "USER dora 0 * :Dora", "PASS dora:secret-pass");
      d.send(`CAP REQ :${CAPS.join(" ")}`);
      await d.expect(/ CAP \S+ ACK /);
      d.send("CAP END");
      await d.expect(/ (376|422) /);
      assertEquals(norm(await d.collectUntil(/^:\S+ BATCH -/)), [
        `${S} BATCH +B metadata dora`,
        `@batch=B ${S} METADATA dora display-name * :Dora Explorer`,
        `${S} BATCH -B`,
      ]);
      assertEquals(await replyTo(g, "METADATA dora GET display-name"), [
        `${S} BATCH +B metadata dora`,
        `@batch=B ${S} 761 gus dora display-name * :Dora Explorer`,
        `${S} BATCH -B`,
      ]);
    } finally {
      for (const c of pool.clients) await c.close();
      await server.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("METADATA: a JOIN whose members' metadata would fill the SendQ says 774 to SYNC later", async () => {
  const server = await startServer([], [...TEST_LIMITS, "sendQ=8192"]);
  const pool = new ClientPool(server.port);
  try {
    for (const nick of ["m1", "m2", "m3", "m4"]) {
      const m = await metaUser(pool, nick);
      m.send(
        `METADATA * SET display-name :${"n".repeat(290)}`,
        `METADATA * SET avatar :https://example.com/${"a".repeat(260)}`,
      );
      await m.expect(/ 761 \S+ \S+ avatar /);
      await join(m, "#big");
    }
    const late = await metaUser(pool, "late");
    late.send("JOIN #big");
    await late.expect(/ 366 late #big /);
    // instead of the batch that would not fit
    assertEquals(await late.expect(/ (774|BATCH) /), `${S} 774 late #big :10`);
  } finally {
    for (const c of pool.clients) await c.close();
    await server.stop();
  }
});
