import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { canConnectFrom, TestClient } from "../helpers/irc_client.ts";
import { ClientPool } from "../helpers/client_pool.ts";
import { startServer } from "../helpers/server_process.ts";

async function sasl(c: TestClient, account: string, password: string): Promise<string> {
  c.send("AUTHENTICATE PLAIN");
  await c.expect("AUTHENTICATE +");
  c.send(...encodePlain(account, password).map((chunk) => `AUTHENTICATE ${chunk}`));
  return await c.expect(/ (903|904) /);
}

Deno.test("accounts: REGISTER, SASL PLAIN, throttling, NickServ, nick reservation", async (t) => {
  const server = await startServer([], ["floodBurst=0", "loginAttempts=3", "nickGrace=1"]);
  const { clients, connect } = new ClientPool(server.port);
  try {
    await t.step("the first start creates an operator account and prints it once", async () => {
      await server.waitForOutput(/created operator account 'admin' with password \S{16} /);
    });

    await t.step("REGISTER creates an account and logs in", async () => {
      const c = await connect();
      await c.register("alice", ["draft/account-registration"]);
      c.send("REGISTER * * correct-horse");
      assertEquals(
        await c.expect(/ 900 /),
        ":deno-chat.local 900 alice alice!~alice@127.0.0.1 alice :You are now logged in as alice",
      );
      assertEquals(
        await c.expect(/REGISTER/),
        ":deno-chat.local REGISTER SUCCESS alice :Account created",
      );
      c.send("REGISTER * * another-one");
      assertEquals(
        await c.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER ALREADY_AUTHENTICATED alice :You are already logged in as alice",
      );
      const d = await connect();
      await d.register("mallory");
      d.send("REGISTER alice * whatever12");
      assertEquals(
        await d.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK alice :You can only register your current nick (mallory); use * or change nick first",
      );
      d.send("REGISTER mallory * short");
      assertEquals(
        await d.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER WEAK_PASSWORD mallory :Passwords need at least 8 characters",
      );
      c.send("QUIT");
      await c.expectClosed();
      d.send("NICK alice");
      await d.expect(/ NICK :?alice$/);
      d.send("REGISTER * * whatever12");
      assertEquals(
        await d.expect(/FAIL/),
        ":deno-chat.local FAIL REGISTER ACCOUNT_EXISTS alice :The account alice already exists",
      );
      await d.close();
    });

    await t.step("SASL PLAIN logs in at connect; a wrong password gets 904", async () => {
      const c = await connect();
      c.send("CAP LS 302", "NICK alice", "USER a 0 * :A", "CAP REQ :sasl");
      await c.expect(/ ACK /);
      assertEquals(
        await sasl(c, "alice", "wrong-password"),
        ":deno-chat.local 904 alice :SASL authentication failed",
      );
      assertEquals(
        await sasl(c, "ALICE", "correct-horse"),
        ":deno-chat.local 903 alice :SASL authentication successful",
      );
      c.send("CAP END");
      await c.expect(/ 001 alice /);
      c.send("WHOIS alice");
      assertEquals(
        await c.expect(/ 330 /),
        ":deno-chat.local 330 alice alice alice :is logged in as",
      );
      await c.close();
    });

    await t.step("failed logins are throttled: even the right password waits", async () => {
      const c = await connect();
      c.send("CAP LS 302", "NICK thrower", "USER a 0 * :A", "CAP REQ :sasl");
      await c.expect(/ ACK /);
      for (let i = 0; i < 3; i++) await sasl(c, "alice", `bad-${i}-password`);
      match(
        await sasl(c, "alice", "correct-horse"),
        /^:deno-chat\.local 904 thrower :SASL authentication failed: too many failed attempts, try again in \d+ seconds$/,
      );
      c.send("AUTHENTICATE FOO");
      assertEquals(
        await c.expect(/ 908 /),
        ":deno-chat.local 908 thrower PLAIN :are available SASL mechanisms",
      );
      await c.expect(/ 904 /);
      c.send("AUTHENTICATE PLAIN");
      await c.expect("AUTHENTICATE +");
      c.send("AUTHENTICATE *");
      assertEquals(
        await c.expect(/ 906 /),
        ":deno-chat.local 906 thrower :SASL authentication aborted",
      );
    });

    await t.step("NickServ REGISTER and IDENTIFY, account-notify and extended-join", async () => {
      const watcher = await connect();
      await watcher.register("watcher", ["account-notify", "extended-join", "account-tag"]);
      watcher.send("JOIN #acct");
      await watcher.expect(/ 366 /);
      const b = await connect();
      await b.register("bob");
      b.send("JOIN #acct");
      await watcher.expect(/ JOIN #acct \* :bob Tester$/);
      b.send("PRIVMSG NickServ :REGISTER bobs-password");
      assertEquals(
        await b.expect(/NOTICE/),
        ":NickServ!NickServ@services. NOTICE bob :Account bob created; you are logged in.",
      );
      assertEquals(await watcher.expect(/ ACCOUNT /), ":bob!~bob@127.0.0.1 ACCOUNT bob");
      b.send("PRIVMSG #acct :signed");
      const m = await watcher.expectMessage(/ PRIVMSG /);
      assertEquals(m.tags.account, "bob");
      b.send("NS LOGOUT");
      assertEquals(await watcher.expect(/ ACCOUNT /), ":bob!~bob@127.0.0.1 ACCOUNT *");
      b.send("PRIVMSG NickServ :IDENTIFY bob bobs-password");
      assertEquals(
        await b.expect(/NOTICE .*logged in/),
        ":NickServ!NickServ@services. NOTICE bob :You are now logged in as bob.",
      );
      b.send("PRIVMSG NickServ :IDENTIFY bob nope-nope");
      await b.expect(/already logged in/);
    });

    await t.step("a registered nick used without logging in is taken back", async () => {
      const c = await connect();
      c.send("NICK alice", "USER x 0 * :X");
      await c.expect(/ 001 alice /);
      match(await c.expect(/NOTICE alice :The nickname alice is registered/), /within 1 seconds/);
      const rename = await c.expect(/ NICK /, 5000);
      match(rename, /^:alice!~x@127\.0\.0\.1 NICK Guest\d{5}$/);
    });

    await t.step("OPER with an operator account, KILL and WALLOPS", async () => {
      const adminLine = server.output.find((l) => l.includes("created operator account"))!;
      const password = adminLine.match(/with password (\S+)/)![1];
      const op = await connect();
      await op.register("boss");
      op.send("OPER admin wrong");
      assertEquals(await op.expect(/ 464 /), ":deno-chat.local 464 boss :Password incorrect");
      op.send(`OPER admin ${password}`);
      assertEquals(
        await op.expect(/ 381 /),
        ":deno-chat.local 381 boss :You are now an IRC operator",
      );
      const victim = await connect();
      await victim.register("victim");
      victim.send("MODE victim +w");
      await victim.expect(/ MODE victim \+w/);
      op.send("WALLOPS :maintenance at noon");
      assertEquals(
        await victim.expect(/WALLOPS/),
        ":boss!~boss@127.0.0.1 WALLOPS :maintenance at noon",
      );
      victim.send("KILL boss :no");
      assertEquals(
        await victim.expect(/ 481 /),
        ":deno-chat.local 481 victim :Permission Denied- You're not an IRC operator",
      );
      op.send("KILL victim :spamming");
      assertEquals(
        await victim.expect(/^ERROR/),
        "ERROR :Closing Link: 127.0.0.1 (Killed (boss (spamming)))",
      );
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("--require-account: no joining or talking before logging in", async () => {
  const server = await startServer(["--require-account"]);
  const c = await TestClient.connect(server.port);
  try {
    await c.register("guest");
    await c.expect(/NOTICE guest :This server requires an account/);
    c.send("JOIN #x");
    assertEquals(
      await c.expect(/FAIL/),
      ":deno-chat.local FAIL JOIN ACCOUNT_REQUIRED :You must log in first: /msg NickServ IDENTIFY <account> <password>, or REGISTER",
    );
    c.send("PRIVMSG NickServ :REGISTER guest-password");
    await c.expect(/Account guest created/);
    c.send("JOIN #x");
    await c.expect(/ 366 guest #x /);
  } finally {
    await c.close();
    await server.stop();
  }
});

Deno.test("--no-open-registration: only operators create accounts", async () => {
  const server = await startServer(["--no-open-registration"]);
  const c = await TestClient.connect(server.port);
  try {
    await c.register("nobody");
    c.send("REGISTER * * long-enough-pw");
    assertEquals(
      await c.expect(/FAIL/),
      ":deno-chat.local FAIL REGISTER DISALLOWED nobody :Registration is closed on this server; ask an operator for an account",
    );
  } finally {
    await c.close();
    await server.stop();
  }
});

/** Connects `n` clients that wait, mid-registration, with SASL started; resolves when all can send credentials. */
async function saslPending(
  open: () => Promise<TestClient>,
  n: number,
  nick: string,
): Promise<TestClient[]> {
  return await Promise.all(Array.from({ length: n }, async (_, i) => {
    const c = await open();
    c.send("CAP LS 302", `NICK ${nick}${i}`, "USER a 0 * :A", "CAP REQ :sasl");
    await c.expect(/ ACK /);
    c.send("AUTHENTICATE PLAIN");
    await c.expect("AUTHENTICATE +");
    return c;
  }));
}

/** Sends PLAIN credentials without waiting. */
function sendPlain(c: TestClient, account: string, password: string): void {
  c.send(...encodePlain(account, password).map((chunk) => `AUTHENTICATE ${chunk}`));
}

/** Counts the 904 replies of `clients` by their text after "SASL authentication failed". */
async function saslReplies(clients: TestClient[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of clients) {
    const line = await c.expect(/ (903|904) /, 20_000);
    const why = line.includes(" 903 ") ? "success" : line.replace(/^.* 904 \S+ :/, "");
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  return counts;
}

Deno.test("login throttle: parallel SASL guesses are counted before the hash, not after", async () => {
  const server = await startServer([], ["floodBurst=0", "loginAttempts=3"]);
  const { clients, connect } = new ClientPool(server.port);
  try {
    const owner = await connect();
    await owner.register("alice", ["draft/account-registration"]);
    owner.send("REGISTER * * correct-horse");
    await owner.expect(/REGISTER SUCCESS/);
    const guessers = await saslPending(connect, 30, "guess");
    for (const [i, c] of guessers.entries()) sendPlain(c, "alice", `wrong-${i}-password`);
    const counts = await saslReplies(guessers);
    // only the allowance is verified; every other guess is refused before any hashing
    const refused = [...counts.keys()].filter((k) => k !== "SASL authentication failed");
    assertEquals(counts.get("SASL authentication failed"), 3);
    assertEquals(refused.length, 1);
    match(
      refused[0],
      /^SASL authentication failed: too many failed attempts, try again in \d+ seconds$/,
    );
    assertEquals(counts.get(refused[0]), 27);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("OPER: parallel guesses are counted before the hash", async () => {
  const server = await startServer([], ["floodBurst=0", "loginAttempts=3"]);
  const { clients, user } = new ClientPool(server.port);
  try {
    const ops = await Promise.all(Array.from({ length: 20 }, (_, i) => user(`op${i}`)));
    for (const op of ops) op.send("OPER admin not-the-password");
    const replies = await Promise.all(ops.map((op) => op.expect(/ 464 /, 20_000)));
    const plain = replies.filter((l) => l.endsWith(":Password incorrect"));
    assertEquals(plain.length, 3);
    for (const l of replies) {
      match(
        l,
        /:Password incorrect$|:Password not checked: too many failed attempts, try again in \d+ seconds$/,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

/** Median of OPER round trips, in ms. */
async function operTime(c: TestClient, name: string): Promise<number> {
  const start = performance.now();
  c.send(`OPER ${name} not-the-password`);
  await c.expect(/ 464 /);
  return performance.now() - start;
}

Deno.test("OPER takes as long for a name that is no operator as for an operator", async () => {
  const server = await startServer(["--oper", "boss:configured-secret"], [
    "floodBurst=0",
    "loginAttempts=20",
  ]);
  const { clients, user } = new ClientPool(server.port);
  try {
    const c = await user("timer", ["draft/account-registration"]);
    c.send("REGISTER * * plain-user-pw");
    await c.expect(/REGISTER SUCCESS/);
    const oper: number[] = [];
    const others: number[] = [];
    // interleaved, so machine load weighs on both alike
    for (let i = 0; i < 5; i++) {
      oper.push(await operTime(c, "admin"));
      others.push(await operTime(c, `nobody${i}`));
      others.push(await operTime(c, "timer")); // an account, not an operator
      others.push(await operTime(c, "boss")); // configured credentials
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ratio = median(others) / median(oper);
    if (ratio < 0.3) {
      throw new Error(`OPER for non-operators ${median(others)} ms, operator ${median(oper)} ms`);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

const MANY_SOURCES = await canConnectFrom("127.0.0.2");

/** A process's peak resident memory in MiB (VmHWM, Linux), or 0 where it cannot be read. */
async function peakRssMiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Math.round(Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

Deno.test({
  name: "login throttle: guesses from one address never lock the owner out from another",
  ignore: !MANY_SOURCES,
  fn: async () => {
    const server = await startServer([], [
      "floodBurst=0",
      "loginAttempts=3",
      "loginSourceAttempts=4",
      "loginAccountCeiling=4",
      "limitLoopback=1",
      "maxPerIp=100",
    ]);
    const clients: TestClient[] = [];
    const from = async (address: string) => {
      const c = await TestClient.connectFrom(server.port, address);
      clients.push(c);
      return c;
    };
    const login = async (address: string, account: string, password: string) => {
      const [c] = await saslPending(() => from(address), 1, `u${clients.length}`);
      sendPlain(c, account, password);
      return (await c.expect(/ (903|904) /)).replace(/^:\S+ (\d+) \S+ /, "$1 ");
    };
    try {
      const owner = await from("127.0.0.2");
      await owner.register("alice", ["draft/account-registration"]);
      owner.send("REGISTER * * correct-horse");
      await owner.expect(/REGISTER SUCCESS/);

      for (let i = 0; i < 3; i++) {
        assertEquals(
          await login("127.0.0.3", "alice", `bad-${i}`),
          "904 :SASL authentication failed",
        );
      }
      match(
        await login("127.0.0.3", "alice", "correct-horse"),
        /^904 :SASL authentication failed: too many failed attempts, try again in \d+ seconds$/,
      );
      // the owner, from an address that has not been guessing, gets in
      assertEquals(
        await login("127.0.0.2", "alice", "correct-horse"),
        "903 :SASL authentication successful",
      );

      // one address guessing many accounts is paused after loginSourceAttempts
      for (let i = 0; i < 4; i++) {
        assertEquals(
          await login("127.0.0.4", `nobody${i}`, "guess"),
          "904 :SASL authentication failed",
        );
      }
      match(await login("127.0.0.4", "someone-else", "guess"), /too many failed attempts/);

      // a distributed guess: past the account's ceiling, addresses that failed on it wait,
      // a fresh address still gets in with the right password
      assertEquals(await login("127.0.0.5", "alice", "bad"), "904 :SASL authentication failed");
      match(await login("127.0.0.5", "alice", "correct-horse"), /too many failed attempts/);
      assertEquals(
        await login("127.0.0.6", "alice", "correct-horse"),
        "903 :SASL authentication successful",
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "hashing queue: a flood of SASL attempts is refused as busy, and a real login still gets in",
  ignore: !MANY_SOURCES,
  fn: async () => {
    const server = await startServer([], [
      "floodBurst=0",
      "limitLoopback=1",
      "maxPerIp=200",
      "hashPerSource=2",
    ]);
    const clients: TestClient[] = [];
    const from = async (address: string) => {
      const c = await TestClient.connectFrom(server.port, address);
      clients.push(c);
      return c;
    };
    try {
      const owner = await from("127.0.0.2");
      await owner.register("alice", ["draft/account-registration"]);
      owner.send("REGISTER * * correct-horse");
      await owner.expect(/REGISTER SUCCESS/);

      const peakBefore = await peakRssMiB(server.process.pid);
      const flood = await saslPending(() => from("127.0.0.3"), 60, "flood");
      const [real] = await saslPending(() => from("127.0.0.4"), 1, "real");
      for (const [i, c] of flood.entries()) sendPlain(c, `invented${i}`, "guess-guess");
      sendPlain(real, "alice", "correct-horse");
      match(
        await real.expect(/ (903|904) /, 20_000),
        / 903 real0 :SASL authentication successful$/,
      );
      const counts = await saslReplies(flood);
      const hashed = counts.get("SASL authentication failed") ?? 0;
      // counted before hashing: at most loginSourceAttempts of the flood were ever hashed
      if (hashed > 20) throw new Error(`${hashed} of the flood were hashed: ${[...counts]}`);
      const busy =
        counts.get("SASL authentication failed: the server is busy, try again in a moment") ?? 0;
      if (busy === 0) throw new Error(`nothing refused as busy: ${[...counts]}`);
      // scrypt takes 16 MiB a hash: with two at a time the peak barely moves
      const peakAfter = await peakRssMiB(server.process.pid);
      if (peakBefore > 0 && peakAfter - peakBefore > 150) {
        throw new Error(`peak RSS grew from ${peakBefore} to ${peakAfter} MiB`);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.stop();
    }
  },
});

Deno.test("REGISTER: only one's own current nick, before-connect included", async () => {
  const server = await startServer();
  const { clients, connect, user } = new ClientPool(server.port);
  try {
    const carol = await user("carol");
    const bare = await connect();
    bare.send("CAP LS 302", "NICK lurker", "CAP REQ :draft/account-registration");
    await bare.expect(/ ACK /);
    bare.send("REGISTER carol * carols-password");
    assertEquals(
      await bare.expect(/FAIL/),
      ":deno-chat.local FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK carol :You can only register your current nick (lurker); use * or change nick first",
    );
    const nameless = await connect();
    nameless.send("REGISTER * * some-password");
    assertEquals(
      await nameless.expect(/FAIL/),
      ":deno-chat.local FAIL REGISTER NEED_NICK * :Send NICK before REGISTER",
    );
    // before-connect is advertised: the own nick may be registered before USER
    bare.send("REGISTER * * lurkers-password");
    assertEquals(
      await bare.expect(/REGISTER/),
      ":deno-chat.local REGISTER SUCCESS lurker :Account created",
    );
    carol.send("PRIVMSG NickServ :REGISTER carols-password");
    assertEquals(
      await carol.expect(/NOTICE/),
      ":NickServ!NickServ@services. NOTICE carol :Account carol created; you are logged in.",
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});

Deno.test("REGISTER before connecting needs the server password when there is one", async () => {
  const server = await startServer(["--password", "letmein"]);
  const c = await TestClient.connect(server.port);
  try {
    c.send("NICK early");
    c.send("REGISTER * * early-password");
    assertEquals(
      await c.expect(/FAIL/),
      ":deno-chat.local FAIL REGISTER DISALLOWED early :Send the server password (PASS) before registering",
    );
    c.send("PASS letmein", "REGISTER * * early-password");
    assertEquals(
      await c.expect(/REGISTER/),
      ":deno-chat.local REGISTER SUCCESS early :Account created",
    );
  } finally {
    await c.close();
    await server.stop();
  }
});

Deno.test("REGISTER is rate-limited per address (REGISTER and NickServ alike)", async () => {
  const server = await startServer([], ["floodBurst=0", "limitLoopback=1", "registerPerSource=2"]);
  const { clients, user } = new ClientPool(server.port);
  try {
    for (const nick of ["first", "second"]) {
      const c = await user(nick);
      c.send("REGISTER * * long-password");
      assertEquals(
        await c.expect(/REGISTER/),
        `:deno-chat.local REGISTER SUCCESS ${nick} :Account created`,
      );
    }
    const third = await user("third");
    third.send("REGISTER * * long-password");
    match(
      await third.expect(/FAIL/),
      /^:deno-chat\.local FAIL REGISTER TEMPORARILY_UNAVAILABLE third :Too many accounts registered from your address, try again in \d+ seconds$/,
    );
    third.send("PRIVMSG NickServ :REGISTER long-password");
    match(
      await third.expect(/NOTICE/),
      /^:NickServ!NickServ@services\. NOTICE third :Cannot register: Too many accounts registered from your address, try again in \d+ seconds\.$/,
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  }
});
