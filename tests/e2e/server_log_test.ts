import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { ClientPool, join } from "../helpers/client_pool.ts";
import { type RunningServer, startServer } from "../helpers/server_process.ts";

const ADMIN_PASSWORD = "admin-secret-pw";
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * A short session: two connect and register, one fails to log in and then logs in, one
 * kicks the other and quits. What was said, the kick and quit texts and the passwords are
 * all things the log must never show.
 */
async function session(server: RunningServer, waitFor: RegExp | undefined): Promise<void> {
  const { clients, user } = new ClientPool(server.port);
  try {
    const amy = await user("amy");
    const bob = await user("bob");
    bob.send("PRIVMSG NickServ :IDENTIFY admin wrong-password-1");
    await bob.expect(/NOTICE bob :/);
    bob.send(`PRIVMSG NickServ :IDENTIFY admin ${ADMIN_PASSWORD}`);
    await bob.expect(/ 900 /);
    await join(amy, "#room");
    await join(bob, "#room");
    amy.send("PRIVMSG #room :a private remark");
    await bob.expect(/a private remark/);
    amy.send("KICK #room bob :kick words");
    await bob.expect(/ KICK #room bob /);
    amy.send("MODE #room +b bad!*@*");
    await amy.expect(/ MODE #room \+b bad!\*@\*/);
    bob.send("OPER admin wrong-password-2");
    await bob.expect(/ 464 /);
    bob.send(`OPER admin ${ADMIN_PASSWORD}`);
    await bob.expect(/ 381 /);
    bob.send("KLINE 5 *@10.9.9.9 :spam bot");
    await bob.expect(/K-line added/);
    const cat = await user("cat");
    bob.send("KILL cat :flooding");
    await cat.expectClosed();
    amy.send("QUIT :farewell words");
    await amy.expectClosed();
    if (waitFor) await server.waitForOutput(waitFor);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** What the session must log, in order, as text without the time. */
const EXPECTED = [
  "connect ip=127.0.0.1 via=tcp",
  "registered nick=amy user=~amy host=127.0.0.1 via=tcp",
  "connect ip=127.0.0.1 via=tcp",
  "registered nick=bob user=~bob host=127.0.0.1 via=tcp",
  "login-failed account=admin ip=127.0.0.1 reason=invalid",
  "login account=admin ip=127.0.0.1",
  "kick channel=#room nick=bob by=amy",
  "ban channel=#room mask=bad!*@* by=amy",
  "oper-failed name=admin nick=bob ip=127.0.0.1 reason=invalid",
  "oper name=admin nick=bob ip=127.0.0.1",
  'kline mask=*@10.9.9.9 minutes=5 by=bob reason="spam bot"',
  "connect ip=127.0.0.1 via=tcp",
  "registered nick=cat user=~cat host=127.0.0.1 via=tcp",
  "kill nick=cat by=bob reason=flooding",
  'disconnect nick=cat ip=127.0.0.1 reason="Killed (bob (flooding))"',
  "disconnect nick=amy ip=127.0.0.1 reason=Quit",
];

function assertNoSecrets(output: string[]): void {
  const all = output.join("\n");
  for (
    const secret of [ADMIN_PASSWORD, "wrong-password-1", "private remark", "kick words", "farewell"]
  ) {
    ok(!all.includes(secret), `the log shows '${secret}':\n${all}`);
  }
}

Deno.test("the operator's log: one text line per connect, registration, login, kick, ban, OPER, KLINE, KILL and disconnect", async () => {
  const server = await startServer(["--admin", `admin:${ADMIN_PASSWORD}`]);
  try {
    await session(server, /disconnect nick=amy/);
    const lines = server.output.filter((l) => /^\d{4}-\d\d-\d\dT\S+Z /.test(l));
    for (const l of lines) ok(ISO.test(l.slice(0, 24)), l);
    assertEquals(lines.map((l) => l.slice(25)), EXPECTED);
    assertNoSecrets(server.output);
  } finally {
    await server.stop();
  }
});

Deno.test("--log-format json: every line is one JSON object with time, level, event and fields", async () => {
  const server = await startServer(["--admin", `admin:${ADMIN_PASSWORD}`, "--log-format", "json"]);
  try {
    await session(server, /"event":"disconnect"/);
    const objects = server.output.map((l) => JSON.parse(l));
    for (const o of objects) ok(ISO.test(o.time), JSON.stringify(o));
    ok(objects.some((o) => o.level === "notice" && /listening on 127\.0\.0\.1:/.test(o.text)));
    const events = objects.filter((o) => o.level === "info").map((o) => {
      const { time: _time, level: _level, event, ...fields } = o;
      return [event, fields];
    });
    assertEquals(events, [
      ["connect", { ip: "127.0.0.1", via: "tcp" }],
      ["registered", { nick: "amy", user: "~amy", host: "127.0.0.1", via: "tcp" }],
      ["connect", { ip: "127.0.0.1", via: "tcp" }],
      ["registered", { nick: "bob", user: "~bob", host: "127.0.0.1", via: "tcp" }],
      ["login-failed", { account: "admin", ip: "127.0.0.1", reason: "invalid" }],
      ["login", { account: "admin", ip: "127.0.0.1" }],
      ["kick", { channel: "#room", nick: "bob", by: "amy" }],
      ["ban", { channel: "#room", mask: "bad!*@*", by: "amy" }],
      ["oper-failed", { name: "admin", nick: "bob", ip: "127.0.0.1", reason: "invalid" }],
      ["oper", { name: "admin", nick: "bob", ip: "127.0.0.1" }],
      ["kline", { mask: "*@10.9.9.9", minutes: 5, by: "bob", reason: "spam bot" }],
      ["connect", { ip: "127.0.0.1", via: "tcp" }],
      ["registered", { nick: "cat", user: "~cat", host: "127.0.0.1", via: "tcp" }],
      ["kill", { nick: "cat", by: "bob", reason: "flooding" }],
      ["disconnect", { nick: "cat", ip: "127.0.0.1", reason: "Killed (bob (flooding))" }],
      ["disconnect", { nick: "amy", ip: "127.0.0.1", reason: "Quit" }],
    ]);
    assertNoSecrets(server.output);
  } finally {
    await server.stop();
  }
});

Deno.test(
  "--quiet: none of the session's lines, the start-up lines still",
  // waits for the graceful stop's line after SIGINT: signals are sent differently on Windows
  { ignore: Deno.build.os === "windows" },
  async () => {
    const server = await startServer(["--admin", `admin:${ADMIN_PASSWORD}`, "--quiet"]);
    try {
      await session(server, undefined);
      await server.stop();
      // printed after everything else: once it is here, every earlier line is too
      await server.waitForOutput(/^shutting down\.\.\.$/);
      ok(server.output.some((l) => /listening on 127\.0\.0\.1:/.test(l)));
      const logged = server.output.filter((l) => /^\d{4}-\d\d-\d\dT\S+Z /.test(l));
      assertEquals(logged, []);
    } finally {
      await server.stop();
    }
  },
);

Deno.test("a refused connection is logged with its reason, and a flood of them at most 10 lines a second", async () => {
  const server = await startServer([], ["floodBurst=0", "maxPerIp=1", "limitLoopback=1"]);
  const { clients, user, connect } = new ClientPool(server.port);
  try {
    await user("amy");
    const start = Date.now();
    const refused = await connect();
    await refused.expect(/^ERROR :Closing Link: 127\.0\.0\.1 \(Too many connections/);
    const line = await server.waitForOutput(/ refused /);
    assertEquals(
      line.slice(25),
      'refused ip=127.0.0.1 via=tcp reason="Too many connections from your IP address"',
    );
    const flood = 40;
    await Promise.all(
      Array.from({ length: flood }, async () => {
        const c = await connect();
        await c.expectClosed();
      }),
    );
    const seconds = Math.ceil((Date.now() - start) / 1000) + 1;
    // the last of them may still be on its way to the output; the bound holds either way
    const lines = server.output.filter((l) => / refused /.test(l)).length;
    ok(lines <= 10 * seconds, `${lines} refused lines in ${seconds} s`);
    ok(lines < flood + 1 || seconds > 4, `${lines} lines for ${flood + 1} refusals`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
