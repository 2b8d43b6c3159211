import { deepStrictEqual as assertEquals, ok, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MemoryStore } from "../../lib/store/memory.ts";
import { MIGRATIONS } from "../../lib/store/migrations.ts";
import { PostgresStore } from "../../lib/store/postgres.ts";
import { SqliteStore, StoreOpenError } from "../../lib/store/sqlite.ts";
import { postgresBinDir, startPostgres } from "../helpers/postgres.ts";
import { type ChatStore, dmKey, type HistoryMessage } from "../../lib/store/store.ts";

function msg(n: number, target = "#room", time = 1_000_000 + n * 1000): HistoryMessage {
  return {
    msgid: `m${n}`,
    time,
    target,
    rawTarget: target,
    source: "alice!~a@127.0.0.1",
    account: n % 2 ? "alice" : undefined,
    command: "PRIVMSG",
    text: `message ${n}`,
    tags: n === 3 ? { "+draft/reply": "m1" } : undefined,
  };
}

/** The same behaviour is required of every store. */
function conformance(
  name: string,
  make: () => Promise<{ store: ChatStore; done: () => Promise<void> }>,
) {
  Deno.test(`${name}: accounts are created once and found casefolded`, async () => {
    const { store, done } = await make();
    try {
      const rec = {
        name: "Alice",
        folded: "alice",
        passwordHash: "scrypt$x",
        email: undefined,
        createdAt: 1,
        oper: false,
      };
      assertEquals(await store.createAccount(rec), true);
      assertEquals(await store.createAccount({ ...rec, name: "ALICE" }), false);
      assertEquals(await store.getAccount("alice"), rec);
      await store.setAccountPassword("alice", "scrypt$y");
      await store.setAccountOper("alice", true);
      assertEquals((await store.getAccount("alice"))?.passwordHash, "scrypt$y");
      assertEquals((await store.getAccount("alice"))?.oper, true);
      assertEquals(await store.countAccounts(), 1);
      assertEquals(await store.getAccount("bob"), undefined);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: always-on is kept per account with what restores it`, async () => {
    const { store, done } = await make();
    try {
      for (const n of ["Bob", "Alice"]) {
        await store.createAccount({
          name: n,
          folded: n.toLowerCase(),
          passwordHash: "scrypt$x",
          email: undefined,
          createdAt: 1,
          oper: false,
        });
      }
      assertEquals(await store.getAlwaysOn("alice"), undefined);
      assertEquals(await store.listAlwaysOn(), []);
      const state = {
        nick: "Alicia",
        username: "~alice",
        host: "10.0.0.2",
        realname: "Alice A.",
        channels: ["#Room", "#b"],
      };
      await store.setAlwaysOn("alice", state);
      await store.setAlwaysOn("bob", { ...state, nick: "Bob", channels: [] });
      await store.setAlwaysOn("nobody", state);
      assertEquals(await store.getAlwaysOn("alice"), state);
      assertEquals(await store.getAlwaysOn("nobody"), undefined);
      await store.setAlwaysOn("alice", { ...state, channels: ["#b"] });
      assertEquals(await store.listAlwaysOn(), [
        { folded: "alice", name: "Alice", state: { ...state, channels: ["#b"] } },
        { folded: "bob", name: "Bob", state: { ...state, nick: "Bob", channels: [] } },
      ]);
      await store.setAlwaysOn("bob", undefined);
      assertEquals(await store.getAlwaysOn("bob"), undefined);
      assertEquals((await store.listAlwaysOn()).map((e) => e.folded), ["alice"]);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: channel registrations and K-lines are saved and removed`, async () => {
    const { store, done } = await make();
    try {
      const chan = {
        name: "#Room",
        folded: "#room",
        founder: "alice",
        registeredAt: 5,
        topic: { text: "hi", setBy: "alice", setAt: 6 },
        modes: "nt",
        key: undefined,
        limit: 10,
        ops: ["alice"],
        bans: [{ mask: "x!*@*", setBy: "alice", setAt: 7 }],
      };
      await store.saveChannel(chan);
      assertEquals(await store.getChannel("#room"), JSON.parse(JSON.stringify(chan)));
      await store.saveChannel({ ...chan, modes: "ntm" });
      assertEquals((await store.getChannel("#room"))?.modes, "ntm");
      await store.deleteChannel("#room");
      assertEquals(await store.getChannel("#room"), undefined);
      const k = { mask: "*@10.0.0.1", reason: "spam", setBy: "op", setAt: 1, expiresAt: 99 };
      await store.addKline(k);
      assertEquals(await store.listKlines(), [k]);
      assertEquals(await store.removeKline("*@10.0.0.1"), true);
      assertEquals(await store.removeKline("*@10.0.0.1"), false);
      assertEquals(await store.listKlines(), []);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: history windows come back oldest first`, async () => {
    const { store, done } = await make();
    try {
      await Promise.all([1, 2, 3, 4, 5, 6].map((n) => store.appendMessage(msg(n))));
      await store.appendMessage(msg(7, "#other"));
      const texts = (l: HistoryMessage[]) => l.map((m) => m.text.replace("message ", ""));
      assertEquals(texts(await store.latest("#room", 3)), ["4", "5", "6"]);
      assertEquals(texts(await store.latest("#room", 10, { time: 0, msgid: "m4" })), ["5", "6"]);
      assertEquals(texts(await store.before("#room", { time: 0, msgid: "m4" }, 2)), ["2", "3"]);
      assertEquals(texts(await store.after("#room", { time: 0, msgid: "m2" }, 2)), ["3", "4"]);
      assertEquals(texts(await store.before("#room", { time: 1_003_500 }, 10)), ["1", "2", "3"]);
      assertEquals(texts(await store.after("#room", { time: 1_003_500 }, 10)), ["4", "5", "6"]);
      assertEquals(texts(await store.after("#room", { time: 0, msgid: "m2" }, 2, true)), [
        "2",
        "3",
      ]);
      const m2 = { time: 0, msgid: "m2" }, m6 = { time: 0, msgid: "m6" };
      assertEquals(texts(await store.between("#room", m2, m6, 2, false)), ["3", "4"]);
      assertEquals(texts(await store.between("#room", m2, m6, 2, true)), ["4", "5"]);
      assertEquals(texts(await store.between("#room", { time: 1_001_500 }, m6, 10, false)), [
        "2",
        "3",
        "4",
        "5",
      ]);
      assertEquals((await store.latest("#room", 6))[2].tags, { "+draft/reply": "m1" });
      assertEquals((await store.latest("#room", 6))[0].account, "alice");
      assertEquals(await store.findMessage("m2"), { time: 1_002_000, msgid: "m2" });
      assertEquals(await store.findMessage("nope"), undefined);
      const targets = await store.targets(0, 2_000_000, 10, () => true);
      assertEquals(targets.map((t) => t.target), ["#other", "#room"]);
      assertEquals((await store.targets(0, 2_000_000, 10, (k) => k === "#room")).length, 1);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: prune drops old messages and caps each conversation`, async () => {
    const { store, done } = await make();
    try {
      const now = Date.now();
      await store.appendMessage(msg(1, "#p", now - 10_000_000));
      for (let n = 2; n <= 6; n++) await store.appendMessage(msg(n, "#p", now - 1000 + n));
      await store.prune(5_000_000, 3);
      assertEquals((await store.latest("#p", 10)).map((m) => m.msgid), ["m4", "m5", "m6"]);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: private conversations share one key whoever speaks`, () => {
    assertEquals(dmKey("bob", "alice"), dmKey("alice", "bob"));
    ok(dmKey("a", "b").startsWith("dm:"));
  });
}

conformance("MemoryStore", () => {
  const store = new MemoryStore();
  return Promise.resolve({ store, done: () => store.close() });
});

conformance("SqliteStore", async () => {
  const dir = await Deno.makeTempDir();
  const store = SqliteStore.open(`${dir}/chat.db`);
  return {
    store,
    done: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("SqliteStore keeps data across reopening and batches appends of one turn", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = SqliteStore.open(`${dir}/chat.db`);
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.appendMessage(msg(i))));
    await a.close();
    const b = SqliteStore.open(`${dir}/chat.db`);
    assertEquals((await b.latest("#room", 1000)).length, 100);
    await b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore refuses a file that is not a database, with a clear reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/chat.db`, "this is not sqlite ".repeat(100));
    throws(() => SqliteStore.open(`${dir}/chat.db`), (err: Error) => {
      ok(err instanceof StoreOpenError);
      ok(/is damaged/.test(err.message), err.message);
      return true;
    });
    // the damaged file is left as it was, never replaced by an empty database
    ok((await Deno.readTextFile(`${dir}/chat.db`)).startsWith("this is not sqlite"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SqliteStore refuses a database held by another server", async () => {
  const dir = await Deno.makeTempDir();
  const first = SqliteStore.open(`${dir}/chat.db`);
  try {
    throws(() => SqliteStore.open(`${dir}/chat.db`), /is in use/);
  } finally {
    await first.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migration 2 moves nick-keyed private history of two accounts to the accounts, and only that", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-migrate-" });
  const path = `${dir}/chat.db`;
  try {
    // a database as the previous version left it: schema 1, private history keyed by nicks
    const old = new DatabaseSync(path);
    MIGRATIONS[0].up(old);
    old.exec("PRAGMA user_version = 1");
    const account = old.prepare(
      "INSERT INTO accounts (folded, name, password_hash, created_at) VALUES (?, ?, 'x', 1)",
    );
    account.run("ann", "Ann");
    account.run("bob", "Bob");
    const row = old.prepare(
      `INSERT INTO history (msgid, time, target, raw_target, source, command, text)
       VALUES (?, ?, ?, ?, 'x!~x@h', 'PRIVMSG', ?)`,
    );
    row.run("a", 1, "dm:ann bob", "bob", "between accounts");
    row.run("b", 2, "dm:ann zed", "zed", "with a guest");
    row.run("c", 3, "#room", "#room", "in a channel");
    old.close();

    const store = SqliteStore.open(path);
    try {
      assertEquals((await store.latest("dm:@ann @bob", 10)).map((m) => m.text), [
        "between accounts",
      ]);
      assertEquals((await store.latest("dm:ann zed", 10)).map((m) => m.text), ["with a guest"]);
      assertEquals((await store.latest("#room", 10)).map((m) => m.text), ["in a channel"]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

if (postgresBinDir()) {
  conformance("PostgresStore", async () => {
    // a cluster of its own per test: nothing one test leaves can reach the next
    const pg = await startPostgres();
    const store = await PostgresStore.open({ url: await pg.newDatabase() });
    return {
      store,
      done: async () => {
        await store.close();
        await pg.stop();
      },
    };
  });
} else {
  Deno.test({
    name: "PostgresStore conformance (needs Debian's postgresql)",
    ignore: true,
    fn() {},
  });
}
