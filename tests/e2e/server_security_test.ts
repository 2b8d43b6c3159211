/**
 * Findings of the adversarial review (issue 18) in the server core, each as it was attacked.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

const SERVER = "deno-chat.local";
const HISTORY = ["draft/chathistory", "batch"];

Deno.test("security: channels, K-lines and flood control", async (t) => {
  const server = await startServer(["--oper", "op:operpassword"]);
  const { clients, user, connect } = new ClientPool(server.port);
  try {
    await t.step("a private channel's history is not handed to whoever re-creates it", async () => {
      const alice = await user("alice");
      await join(alice, "#secret");
      alice.send("MODE #secret +sik hush");
      await alice.expect(/ MODE #secret \+sik hush/);
      alice.send("PRIVMSG #secret :the plan is ready");
      alice.send("PART #secret");
      await alice.expect(/ PART #secret/);
      // the channel is gone; mallory makes a new one of the same name and is its operator
      const mallory = await user("mallory", HISTORY);
      await join(mallory, "#secret");
      mallory.send("CHATHISTORY LATEST #secret * 50");
      const start = await mallory.expect(/ BATCH \+\S+ chathistory #secret$/);
      const id = start.split(" ")[2].slice(1);
      assertEquals(await mallory.collectUntil(/ BATCH -/), [`:${SERVER} BATCH -${id}`]);
      mallory.send(
        "CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10",
      );
      const tstart = await mallory.expect(/ BATCH \+\S+ draft\/chathistory-targets$/);
      const tid = tstart.split(" ")[2].slice(1);
      assertEquals(await mallory.collectUntil(/ BATCH -/), [`:${SERVER} BATCH -${tid}`]);
      // a client without chathistory gets the channel's history replayed on join: none
      const plain = await user("plainjoe");
      await join(plain, "#secret");
      await plain.expectNone(/the plan/);
      // what is said in the new channel is its history
      mallory.send("PRIVMSG #secret :new talk");
      mallory.send("CHATHISTORY LATEST #secret * 50");
      await mallory.expect(/ BATCH \+\S+ chathistory #secret$/);
      const lines = await mallory.collectUntil(/ BATCH -/);
      assertEquals(lines.filter((l) => l.includes("PRIVMSG")).length, 1, lines.join("\n"));
      ok(lines[0].endsWith("PRIVMSG #secret :new talk"), lines[0]);
    });

    await t.step("a public channel that empties keeps its history for the next one", async () => {
      const bob = await user("bob");
      await join(bob, "#open");
      bob.send("PRIVMSG #open :anyone could read this", "PART #open");
      await bob.expect(/ PART #open/);
      const later = await user("later", HISTORY);
      await join(later, "#open");
      later.send("CHATHISTORY LATEST #open * 50");
      await later.expect(/ BATCH \+\S+ chathistory #open$/);
      const lines = await later.collectUntil(/ BATCH -/);
      ok(lines[0].endsWith("PRIVMSG #open :anyone could read this"), lines.join("\n"));
    });

    await t.step("+s channel details are not shown to non-members (442)", async () => {
      const owner = await user("owner");
      await join(owner, "#hidden");
      owner.send("MODE #hidden +s", "MODE #hidden +b evil!*@*");
      await owner.expect(/ MODE #hidden \+b evil!\*@\*/);
      const outsider = await user("outsider");
      outsider.send("MODE #hidden");
      assertEquals(
        await outsider.expect(/ 442 /),
        `:${SERVER} 442 outsider #hidden :You're not on that channel`,
      );
      outsider.send("MODE #hidden b");
      assertEquals(
        await outsider.expect(/ 442 /),
        `:${SERVER} 442 outsider #hidden :You're not on that channel`,
      );
      await outsider.expectNone(/ (324|329|367|368) /);
      // members still see everything
      owner.send("MODE #hidden b");
      assertEquals(await owner.expect(/ 367 /).then((l) => l.split(" ").slice(0, 5)), [
        `:${SERVER}`,
        "367",
        "owner",
        "#hidden",
        "evil!*@*",
      ]);
    });

    await t.step("only a channel operator's INVITE overrides a ban", async () => {
      const op = await user("chanop");
      const member = await user("member");
      const banned = await user("banned");
      await join(op, "#club");
      await join(member, "#club");
      op.send("MODE #club +b banned!*@*");
      await member.expect(/ MODE #club \+b banned/);
      member.send("INVITE banned #club");
      await banned.expect(/ INVITE banned #club/);
      banned.send("JOIN #club");
      assertEquals(
        await banned.expect(/ 474 /),
        `:${SERVER} 474 banned #club :Cannot join channel (+b)`,
      );
      op.send("INVITE banned #club");
      await banned.expect(/:chanop!\S+ INVITE banned #club/);
      banned.send("JOIN #club");
      assertEquals(await banned.expect(/ JOIN /), ":banned!~banned@127.0.0.1 JOIN #club");
    });

    await t.step("a K-lined address is refused at connect, before any command", async () => {
      const op = await user("oper");
      op.send("OPER op operpassword");
      await op.expect(/ 381 /);
      // a connection still registering from there is not left open to guess passwords
      const pending = await connect();
      pending.send("NICK pending");
      await pending.expectNone(/ERROR/);
      op.send("KLINE 1 *@127.0.0.1 :go away");
      // the operator matches too, and is disconnected with everyone else from there
      await op.expect(/K-Lined: go away/);
      assertEquals(
        await pending.expect(/^ERROR /),
        "ERROR :Closing Link: 127.0.0.1 (K-Lined: go away)",
      );
      const c = await connect();
      assertEquals(await c.expect(/^ERROR /), "ERROR :Closing Link: 127.0.0.1 (K-Lined: go away)");
      await c.expectClosed();
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("security: flood control applies before registration too", async () => {
  // a burst of 5 lines, then 10 a second
  const server = await startServer([], ["floodBurst=5", "floodRate=10"]);
  const { clients, connect } = new ClientPool(server.port);
  try {
    const c = await connect();
    const started = Date.now();
    c.send(...Array.from({ length: 15 }, (_, i) => `PING t${i + 1}`));
    await c.expect(/PONG \S+ :?t5$/);
    await c.expect(/PONG \S+ :?t15$/);
    const elapsed = Date.now() - started;
    // ten lines past the burst take a second at 10 a second (some slack for timers)
    ok(elapsed >= 800, `15 lines answered in ${elapsed} ms: not slowed`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("security: a registered nick is kept for its owner", async (t) => {
  const server = await startServer([], ["floodBurst=0", "nickGrace=1"]);
  const { clients, user, connect } = new ClientPool(server.port);
  /** A connection logged in to `owner` (with SASL) under another nick. */
  const owner = async (nick: string) => {
    const c = await connect();
    c.send("CAP LS 302", `NICK ${nick}`, "USER o 0 * :Owner", "CAP REQ :sasl");
    await c.expect(/ ACK /);
    c.send("AUTHENTICATE PLAIN");
    await c.expect("AUTHENTICATE +");
    c.send(`AUTHENTICATE ${btoa("\0owner\0owner-password")}`);
    await c.expect(/ 903 /);
    c.send("CAP END");
    await c.expect(/ (376|422) /);
    return c;
  };
  try {
    const first = await user("owner");
    first.send("REGISTER * * owner-password");
    await first.expect(/REGISTER SUCCESS owner/);
    first.send("QUIT");
    await first.expectClosed();

    await t.step("an impostor renamed after the grace period cannot take it back", async () => {
      const impostor = await user("owner");
      await impostor.expect(/NOTICE owner :The nickname owner is registered/);
      const rename = await impostor.expect(/ NICK Guest\d{5}$/, 5000);
      const guest = rename.split(" ").pop()!;
      impostor.send("NICK owner");
      assertEquals(
        await impostor.expect(/ 433 /),
        `:${SERVER} 433 ${guest} owner :Nickname is reserved for its owner`,
      );
      // the owner may have it
      const o = await owner("elsewhere");
      o.send("NICK owner");
      assertEquals(await o.expect(/ NICK /), ":elsewhere!~o@127.0.0.1 NICK owner");
      o.send("QUIT");
      await o.expectClosed();
    });

    await t.step("the logged-in owner takes the nick from an impostor at once", async () => {
      const impostor = await user("owner");
      await impostor.expect(/The nickname owner is registered/);
      const o = await owner("owner2");
      o.send("NICK owner");
      assertEquals(await o.expect(/ NICK /), ":owner2!~o@127.0.0.1 NICK owner");
      await impostor.expect(/^:owner!~owner@127\.0\.0\.1 NICK Guest\d{5}$/);
      o.send("QUIT");
      await o.expectClosed();
    });

    await t.step("a connection that never registers holds no registered nick", async () => {
      const squatter = await connect();
      squatter.send("NICK owner");
      await squatter.expectNone(/ 433 /);
      const o = await owner("owner3");
      o.send("NICK owner");
      assertEquals(await o.expect(/ NICK /), ":owner3!~o@127.0.0.1 NICK owner");
      await squatter.expect(/NOTICE \S+ :.*you are now Guest\d{5}/);
      o.send("QUIT");
      await o.expectClosed();
    });

    await t.step("NickServ GHOST disconnects whoever holds the owner's nick", async () => {
      const impostor = await user("owner");
      await impostor.expect(/The nickname owner is registered/);
      const o = await owner("owner4");
      o.send("PRIVMSG NickServ :GHOST owner");
      assertEquals(
        await impostor.expect(/^ERROR /),
        "ERROR :Closing Link: 127.0.0.1 (Killed (NickServ (GHOST command used by owner4)))",
      );
      assertEquals(
        await o.expect(/NOTICE owner4 /),
        ":NickServ!NickServ@services. NOTICE owner4 :owner has been disconnected.",
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
