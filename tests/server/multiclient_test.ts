import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { hashPassword } from "../../lib/auth/password.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { type InProcessServer, startInProcess } from "../helpers/memory_server.ts";

const PASSWORD = "correct-horse";

async function makeAccount(t: InProcessServer, name: string): Promise<void> {
  await t.server.store.createAccount({
    name,
    folded: name.toLowerCase(),
    passwordHash: await hashPassword(PASSWORD),
    email: undefined,
    createdAt: 1,
    oper: false,
  });
}

/** A device that logs in with SASL while registering, as `nick`. */
async function device(t: InProcessServer, nick: string, account: string): Promise<TestClient> {
  const c = t.connect();
  c.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick}`, "CAP REQ :sasl");
  await c.expect(/ ACK /);
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(account, PASSWORD).map((chunk) => `AUTHENTICATE ${chunk}`));
  await c.expect(/ 903 /);
  c.send("CAP END");
  await c.expect(/ (376|422) /);
  return c;
}

Deno.test("UserTable: an account's devices are one user, found by account; LUSERS counts connections", async () => {
  const t = startInProcess();
  try {
    await makeAccount(t, "Ann");
    const a = await device(t, "ann", "ann");
    const b = await device(t, "ann2", "ANN");
    const users = t.server.users;
    const ann = users.findAccount("ann")!;
    strictEqual(ann.nick, "ann");
    strictEqual(users.sessionsOf("Ann").length, 2);
    assertEquals(users.sessionsOf("nobody"), []);
    strictEqual(users.devices, 2);
    strictEqual(users.counts.users, 1);
    const guest = t.connect();
    guest.send("NICK g");
    b.send("LUSERS");
    assertEquals(
      await b.expect(/ 25[13] /),
      ":test.server 251 ann :There are 1 users and 0 invisible on 1 servers",
    );
    assertEquals(await b.expect(/ 25[34] /), ":test.server 253 ann 1 :unknown connection(s)");
    a.send("QUIT");
    await a.expectClosed();
    strictEqual(users.sessionsOf("ann").length, 1);
    strictEqual(users.devices, 1);
    b.send("QUIT");
    await b.expectClosed();
    strictEqual(users.findAccount("ann"), undefined);
    strictEqual(users.devices, 0);
  } finally {
    await t.close();
  }
});

Deno.test("ChatServer.restoreAlwaysOn: always-on users come back in their channels, away, without devices", async () => {
  const t = startInProcess();
  try {
    await makeAccount(t, "Zoe");
    await t.server.store.setAlwaysOn("zoe", {
      nick: "Zed",
      username: "~zoe",
      host: "10.0.0.9",
      realname: "Zoe Z",
      channels: ["#Lobby", "#two"],
    });
    strictEqual(await t.server.restoreAlwaysOn(), 1);
    const zoe = t.server.users.find("zed")!;
    strictEqual(zoe.account, "Zoe");
    strictEqual(zoe.sessions.length, 0);
    strictEqual(zoe.away, "Not connected (always-on)");
    assertEquals([...zoe.channels].map((c) => c.name), ["#Lobby", "#two"]);
    const c = await device(t, "zz", "zoe");
    assertEquals(await c.collectUntil(/ 366 /), [
      ":Zed!~zoe@10.0.0.9 JOIN #Lobby",
      ":test.server 353 Zed = #Lobby :@Zed",
      ":test.server 366 Zed #Lobby :End of /NAMES list",
    ]);
    strictEqual(zoe.away, undefined);
    strictEqual(t.server.users.devices, 1);
  } finally {
    await t.close();
  }
});

Deno.test("registration: logged in first, then asking for the account's nick in use, attaches", async () => {
  const t = startInProcess();
  try {
    await makeAccount(t, "ann");
    const a = await device(t, "ann", "ann");
    a.send("JOIN #x");
    await a.expect(/ 366 /);
    const b = t.connect();
    b.send("CAP LS 302", "CAP REQ :sasl");
    await b.expect(/ ACK /);
    b.send("AUTHENTICATE PLAIN");
    await b.expect("AUTHENTICATE +");
    b.send(...encodePlain("ann", PASSWORD).map((chunk) => `AUTHENTICATE ${chunk}`));
    await b.expect(/ 903 /);
    b.send("NICK ann", "USER ann 0 * :Ann", "CAP END");
    assertEquals(
      await b.expect(/ 001 /),
      ":test.server 001 ann :Welcome to the TestNet IRC Network ann!~ann@127.0.0.1",
    );
    assertEquals(await b.expect(/ JOIN /), ":ann!~ann@127.0.0.1 JOIN #x");
    strictEqual(t.server.users.sessionsOf("ann").length, 2);
  } finally {
    await t.close();
  }
});
