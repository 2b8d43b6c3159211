import { deepStrictEqual as assertEquals, equal, ok, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MemoryStore } from "../../lib/store/memory.ts";
import { MIGRATIONS } from "../../lib/store/migrations.ts";
import { PostgresStore } from "../../lib/store/postgres.ts";
import { SqliteStore, StoreOpenError } from "../../lib/store/sqlite.ts";
import { postgresBinDir, startPostgres } from "../helpers/postgres.ts";
import {
  type ChatStore,
  dmKey,
  type HistoryMessage,
  StoreUnavailableError,
} from "../../lib/store/store.ts";

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
      const both = { keys: ["#room", "#other"], party: "@nobody" };
      const targets = await store.targets(0, 2_000_000, 10, both);
      assertEquals(targets.map((t) => t.target), ["#other", "#room"]);
      assertEquals(targets[1].latest, 1_006_000);
      const room = { keys: ["#room"], party: "@nobody" };
      assertEquals((await store.targets(0, 2_000_000, 10, room)).map((t) => t.target), ["#room"]);
      // the latest time in the range, not the latest overall; either order of the two times
      assertEquals(await store.targets(1_003_500, 1_001_500, 10, room), [
        { target: "#room", rawTarget: "#room", latest: 1_003_000 },
      ]);
      assertEquals(await store.targets(0, 999_999, 10, both), []);
      assertEquals((await store.targets(0, 2_000_000, 1, both)).map((t) => t.target), ["#other"]);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: a message appended again is stored once, in one batch or later`, async () => {
    const { store, done } = await make();
    try {
      equal(store.available(), true);
      // a retry in the same turn, a retry later, and another writer's copy of the same entry
      await Promise.all([store.appendMessage(msg(1)), store.appendMessage(msg(1))]);
      await store.appendMessage(msg(2));
      await store.appendMessage(msg(1));
      await Promise.all([store.appendMessage(msg(2)), store.appendMessage(msg(3))]);
      assertEquals((await store.latest("#room", 10)).map((m) => m.msgid), ["m1", "m2", "m3"]);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: TARGETS finds a party's private conversations, and only its own`, async () => {
    const { store, done } = await make();
    try {
      const annBob = dmKey("@ann", "@bob"), annCat = dmKey("@cat", "@ann");
      await store.appendMessage(msg(1, annBob));
      await store.appendMessage(msg(2, annCat));
      await store.appendMessage(msg(3, dmKey("@bob", "@cat")));
      await store.appendMessage(msg(4, "#room"));
      const of = async (party: string, keys: string[] = []) =>
        (await store.targets(0, 2_000_000, 10, { keys, party })).map((t) => t.target);
      assertEquals(await of("@ann"), [annCat, annBob]);
      assertEquals(await of("@bob", ["#room"]), ["#room", dmKey("@bob", "@cat"), annBob]);
      assertEquals(await of("@dan"), []);
      await store.prune(1000 * 365 * 86_400_000, 0);
      assertEquals(await of("@ann"), []);
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

  Deno.test(`${name}: search finds whole words only in the conversations it is given`, async () => {
    const { store, done } = await make();
    try {
      const say = (n: number, target: string, text: string, source = "alice!~a@127.0.0.1") =>
        store.appendMessage({ ...msg(n, target), text, source, tags: undefined });
      const ann = dmKey("@ann", "@bob"),
        other = dmKey("@bob", "@cat"),
        mine = dmKey("@ann", "@cat");
      await say(1, "#room", "the Deploy went fine");
      await say(2, "#room", "deployment is tomorrow");
      await say(3, "#secret", "deploy the secret");
      await say(4, ann, "did you deploy it", "Bob[x]!~b@127.0.0.1");
      await say(5, other, "deploy between bob and cat");
      await say(6, mine, "ann and cat deploy too");
      await say(7, "#room", "DEPLOY again, later");
      const ids = (l: HistoryMessage[]) => l.map((m) => m.msgid);
      const room = new Map([["#room", -Infinity]]);
      // whole words, any case, oldest first; #secret and others' private talk never
      assertEquals(
        ids(await store.search({ keys: room, party: "@ann", text: "deploy", limit: 10 })),
        ["m1", "m4", "m6", "m7"],
      );
      // the newest `limit`
      assertEquals(
        ids(await store.search({ keys: room, party: "@ann", text: "deploy", limit: 2 })),
        ["m6", "m7"],
      );
      // every word must be there
      assertEquals(ids(await store.search({ keys: room, text: "deploy fine", limit: 10 })), [
        "m1",
      ]);
      // a channel's floor hides what came before it
      assertEquals(
        ids(
          await store.search({
            keys: new Map([["#room", msg(2).time]]),
            text: "deploy",
            limit: 10,
          }),
        ),
        ["m7"],
      );
      // times are inclusive bounds
      assertEquals(
        ids(
          await store.search({
            keys: room,
            party: "@ann",
            text: "deploy",
            after: msg(4).time,
            before: msg(6).time,
            limit: 10,
          }),
        ),
        ["m4", "m6"],
      );
      // by sender (the casefolded nick) and with no words: everything of theirs in scope
      assertEquals(
        ids(await store.search({ keys: room, party: "@ann", from: "bob{x}", limit: 10 })),
        ["m4"],
      );
      // one conversation
      assertEquals(ids(await store.search({ keys: new Map([[ann, -Infinity]]), limit: 10 })), [
        "m4",
      ]);
      // the user's own words are only words: FTS syntax in them is not obeyed
      assertEquals(
        await store.search({ keys: room, text: 'meta : "t2373656372657421" OR *', limit: 10 }),
        [],
      );
      assertEquals(await store.search({ keys: room, text: "!!!", limit: 10 }), []);
      assertEquals(await store.search({ keys: new Map(), limit: 10 }), []);
      // a pruned message is not found any more
      await store.prune(Date.now() - msg(2).time + 10, 1000);
      assertEquals(ids(await store.search({ keys: room, text: "deploy", limit: 10 })), ["m7"]);
      // nor a redacted one
      assertEquals(await store.deleteMessage("m7"), true);
      assertEquals(await store.search({ keys: room, text: "deploy", limit: 10 }), []);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: a redacted message is gone from every window, once`, async () => {
    const { store, done } = await make();
    try {
      for (let n = 1; n <= 4; n++) await store.appendMessage(msg(n));
      assertEquals(await store.getMessage("m3"), msg(3));
      assertEquals(await store.getMessage("nope"), undefined);
      assertEquals(await store.deleteMessage("m3"), true);
      assertEquals(await store.deleteMessage("m3"), false);
      assertEquals(await store.getMessage("m3"), undefined);
      assertEquals(await store.findMessage("m3"), undefined);
      assertEquals((await store.latest("#room", 10)).map((m) => m.msgid), ["m1", "m2", "m4"]);
      assertEquals((await store.after("#room", { time: 0 }, 10)).map((m) => m.msgid), [
        "m1",
        "m2",
        "m4",
      ]);
      // appended and deleted in one turn: the deletion wins
      const pending = store.appendMessage(msg(5));
      assertEquals(await store.deleteMessage("m5"), true);
      await pending;
      assertEquals((await store.latest("#room", 10)).map((m) => m.msgid), ["m1", "m2", "m4"]);
      // the last one of a conversation: the conversation is empty, not broken
      await store.appendMessage(msg(6, "#solo"));
      assertEquals(await store.deleteMessage("m6"), true);
      assertEquals(await store.latest("#solo", 10), []);
      // a private conversation emptied by a redaction is no longer one of its sides' targets
      await store.appendMessage(msg(7, "dm:@ann @bob"));
      const scope = { keys: [], party: "@ann" };
      assertEquals((await store.targets(0, 1e13, 10, scope)).map((t) => t.target), [
        "dm:@ann @bob",
      ]);
      assertEquals(await store.deleteMessage("m7"), true);
      assertEquals(await store.targets(0, 1e13, 10, scope), []);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: uploads are recorded and summed per account`, async () => {
    const { store, done } = await make();
    try {
      const up = {
        id: "abc",
        account: "ann",
        size: 1000,
        name: "cat.png",
        contentType: "image/png",
        createdAt: 1_700_000_000_000,
      };
      await store.addUpload(up);
      await store.addUpload({ ...up, id: "def", size: 234 });
      await store.addUpload({ ...up, id: "ghi", account: "bob", size: 5 });
      assertEquals(await store.getUpload("abc"), up);
      assertEquals(await store.getUpload("nope"), undefined);
      assertEquals(await store.uploadBytes("ann"), 1234);
      assertEquals(await store.uploadBytes("cat"), 0);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: metadata is kept per owner and key, replaced, removed and cleared`, async () => {
    const { store, done } = await make();
    try {
      assertEquals(await store.getMetadata("@ann"), {});
      await store.setMetadata("@ann", "display-name", "Ann Lee");
      await store.setMetadata("@ann", "avatar", "https://example.com/a.png");
      await store.setMetadata("#room", "url", "https://example.com");
      assertEquals(await store.getMetadata("@ann"), {
        "avatar": "https://example.com/a.png",
        "display-name": "Ann Lee",
      });
      // a new value replaces the old; an empty value is a value
      await store.setMetadata("@ann", "display-name", "Ann 🐱 Lee");
      await store.setMetadata("@ann", "status", "");
      assertEquals((await store.getMetadata("@ann"))["display-name"], "Ann 🐱 Lee");
      assertEquals((await store.getMetadata("@ann"))["status"], "");
      // removing a key (twice, or one never set) touches nothing else
      await store.setMetadata("@ann", "avatar", undefined);
      await store.setMetadata("@ann", "avatar", undefined);
      await store.setMetadata("@ann", "never", undefined);
      assertEquals(await store.getMetadata("@ann"), { "display-name": "Ann 🐱 Lee", status: "" });
      assertEquals(await store.getMetadata("@bob"), {});
      await store.clearMetadata("@ann");
      assertEquals(await store.getMetadata("@ann"), {});
      assertEquals(await store.getMetadata("#room"), { url: "https://example.com" });
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: read markers only move forward, per account and conversation`, async () => {
    const { store, done } = await make();
    try {
      assertEquals(await store.getReadMarker("ann", "#room"), undefined);
      assertEquals(await store.setReadMarker("ann", "#room", 2000), 2000);
      assertEquals(await store.setReadMarker("ann", "#room", 1000), 2000);
      assertEquals(await store.getReadMarker("ann", "#room"), 2000);
      assertEquals(await store.setReadMarker("ann", "#room", 3000), 3000);
      // other accounts and other conversations are apart
      assertEquals(await store.getReadMarker("bob", "#room"), undefined);
      assertEquals(await store.getReadMarker("ann", "@bob"), undefined);
      assertEquals(await store.setReadMarker("ann", "@bob", 500), 500);
      assertEquals(await store.getReadMarker("ann", "#room"), 3000);
      // two devices at once: the later time stays, whichever lands last
      await Promise.all([
        store.setReadMarker("ann", "#race", 9000),
        store.setReadMarker("ann", "#race", 8000),
      ]);
      assertEquals(await store.getReadMarker("ann", "#race"), 9000);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: history floors are set, replaced, taken back and pruned with their history`, async () => {
    const { store, done } = await make();
    try {
      assertEquals(await store.getHistoryFloor("#lobby"), undefined);
      await store.setHistoryFloors([["#lobby", 1000], ["#quiet", 2000], ["#gone", 3000]]);
      assertEquals(await store.getHistoryFloor("#lobby"), 1000);
      // one call: the last value of a name counts; undefined takes a floor back
      await store.setHistoryFloors([["#lobby", 1500], ["#quiet", undefined], ["#lobby", 1700]]);
      assertEquals(await store.getHistoryFloor("#lobby"), 1700);
      assertEquals(await store.getHistoryFloor("#quiet"), undefined);
      await store.setHistoryFloors([["#quiet", undefined]]); // nothing to take back: fine
      await store.setHistoryFloors([]);
      // a floor whose channel has no history left goes with the pruning; the others stay
      await store.appendMessage(msg(1, "#lobby", Date.now()));
      await store.prune(86400_000, 100);
      assertEquals(await store.getHistoryFloor("#lobby"), 1700);
      assertEquals(await store.getHistoryFloor("#gone"), undefined);
    } finally {
      await done();
    }
  });

  Deno.test(`${name}: a multiline message and a reaction come back as they were stored`, async () => {
    const { store, done } = await make();
    try {
      const multi: HistoryMessage = {
        ...msg(1, "#ml"),
        text: "hello\n\nhow is everyone?",
        multiline: [14],
      };
      const plain = msg(2, "#ml");
      const unbroken: HistoryMessage = { ...msg(3, "#ml"), text: "ab", multiline: [] };
      const reaction: HistoryMessage = {
        ...msg(4, "#ml"),
        command: "TAGMSG",
        text: "",
        tags: { "+draft/reply": "m1", "+draft/react": "👍" },
      };
      for (const m of [multi, plain, unbroken, reaction]) await store.appendMessage(m);
      assertEquals(await store.latest("#ml", 10), [multi, plain, unbroken, reaction]);
      assertEquals(await store.after("#ml", { time: 0, msgid: "m2" }, 10), [unbroken, reaction]);
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

/**
 * Whether one step of a query plan reads through an index by conversation, msgid or rowid:
 * never a scan of a table, never a sort of an unbounded set. `timeRange` also allows the
 * range on history's time index that prune takes in bounded steps.
 */
function indexed(step: string, timeRange = false): boolean {
  if (/^(LIST SUBQUERY|CORRELATED|SCAN json_each)/.test(step)) return true;
  if (/TEMP B-TREE|^SCAN /.test(step)) return false;
  if (/^SEARCH conversation_parties USING PRIMARY KEY \(party=/.test(step)) return true;
  if (/^SEARCH history_floors USING PRIMARY KEY \(folded[=>]/.test(step)) return true;
  if (/INDEX history_target_time \(target[=>]/.test(step)) return true;
  if (/\((msgid|rowid)=\?\)/.test(step)) return true;
  return timeRange && /INDEX history_time \(time<\?\)/.test(step);
}

Deno.test("SqliteStore: every history query reads through an index, TARGETS and prune too", async () => {
  const dir = await Deno.makeTempDir();
  const store = SqliteStore.open(`${dir}/chat.db`);
  try {
    for (let n = 1; n <= 40; n++) {
      await store.appendMessage(msg(n, n % 2 ? "#room" : dmKey("@ann", `@u${n % 5}`)));
    }
    const m5 = { time: 0, msgid: "m5" }, later = { time: 2_000_000 };
    const calls: Record<string, () => Promise<unknown>> = {
      "targets": () => store.targets(0, 1_020_000, 10, { keys: ["#room"], party: "@ann" }),
      "latest": () => store.latest("#room", 10),
      "latest after": () => store.latest("#room", 10, m5),
      "before": () => store.before("#room", m5, 10),
      "after": () => store.after("#room", m5, 10, true),
      "between": () => store.between("#room", m5, later, 10, true),
      "findMessage": () => store.findMessage("m3"),
    };
    for (const [name, call] of Object.entries(calls)) {
      const plans = await store.explain(call);
      ok(plans.length > 0, name);
      for (const { sql, plan } of plans) {
        for (const step of plan) ok(indexed(step), `${name}: ${step}\n  in ${sql}`);
      }
    }
    // prune: the age step and the per-conversation cap
    for (const [age, cap] of [[1000 * 365 * 86_400_000, 3], [0, 3]]) {
      const plans = await store.explain(() => store.prune(age, cap));
      for (const { sql, plan } of plans) {
        for (const step of plan) ok(indexed(step, true), `prune: ${step}\n  in ${sql}`);
      }
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migration 3 records the sides of the private conversations already stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-migrate-" });
  const path = `${dir}/chat.db`;
  try {
    const old = new DatabaseSync(path);
    MIGRATIONS[0].up(old);
    MIGRATIONS[1].up(old);
    old.exec("PRAGMA user_version = 2");
    const row = old.prepare(
      `INSERT INTO history (msgid, time, target, raw_target, source, command, text)
       VALUES (?, ?, ?, ?, 'x!~x@h', 'PRIVMSG', 'hi')`,
    );
    row.run("a", 1000, "#room", "#Room");
    row.run("b", 2000, "#room", "#ROOM");
    row.run("c", 1500, "dm:@ann @bob", "bob");
    row.run("d", 1700, "dm:@bob @cat", "cat");
    old.close();

    const store = SqliteStore.open(path);
    try {
      assertEquals(await store.targets(0, 5000, 10, { keys: ["#room"], party: "@ann" }), [
        { target: "#room", rawTarget: "#ROOM", latest: 2000 },
        { target: "dm:@ann @bob", rawTarget: "bob", latest: 1500 },
      ]);
      assertEquals(await store.targets(0, 5000, 10, { keys: [], party: "@cat" }), [
        { target: "dm:@bob @cat", rawTarget: "cat", latest: 1700 },
      ]);
      // the cap drops exactly the oldest of #room
      await store.prune(1000 * 365 * 86_400_000, 1);
      assertEquals((await store.latest("#room", 10)).map((m) => m.msgid), ["b"]);
      assertEquals((await store.latest("dm:@bob @cat", 10)).map((m) => m.msgid), ["d"]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "SqliteStore: chat.db and its WAL are readable by the owner only, old ones made so",
  ignore: Deno.build.os === "windows",
}, async () => {
  const dir = await Deno.makeTempDir();
  const mode = (p: string) => ((Deno.statSync(p).mode ?? 0) & 0o777).toString(8);
  try {
    const store = SqliteStore.open(`${dir}/chat.db`);
    await store.appendMessage(msg(1));
    assertEquals([mode(`${dir}/chat.db`), mode(`${dir}/chat.db-wal`)], ["600", "600"]);
    await store.close();
    // a database made by an older version with the default mode
    Deno.chmodSync(`${dir}/chat.db`, 0o644);
    const again = SqliteStore.open(`${dir}/chat.db`);
    assertEquals(mode(`${dir}/chat.db`), "600");
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations 4 and 5 give a schema-2 database its read markers and multiline column, keeping its history", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-migrate-" });
  const path = `${dir}/chat.db`;
  try {
    const old = new DatabaseSync(path);
    MIGRATIONS[0].up(old);
    MIGRATIONS[1].up(old);
    old.exec("PRAGMA user_version = 2");
    old.prepare(
      `INSERT INTO history (msgid, time, target, raw_target, source, command, text)
       VALUES ('a', 1, '#room', '#room', 'x!~x@h', 'PRIVMSG', 'kept')`,
    ).run();
    old.close();
    const store = SqliteStore.open(path);
    try {
      assertEquals((await store.latest("#room", 10)).map((m) => m.text), ["kept"]);
      assertEquals(await store.setReadMarker("ann", "#room", 1), 1);
      // and migration 5 its multiline column
      const multi: HistoryMessage = { ...msg(2), text: "a\nb", multiline: [] };
      await store.appendMessage(multi);
      assertEquals((await store.latest("#room", 10))[1], multi);
    } finally {
      await store.close();
    }
    const check = new DatabaseSync(path);
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    assertEquals({ ...check.prepare("PRAGMA user_version").get() }, { user_version: newest });
    check.close();
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

  Deno.test("PostgresStore: a database that went away fails requests at once, and is found back", async () => {
    const pg = await startPostgres();
    const store = await PostgresStore.open({ url: await pg.newDatabase() });
    try {
      await store.appendMessage(msg(1));
      await pg.kill();
      // the first request finds out; the next ones fail without waiting for a connection
      await rejects(store.appendMessage(msg(2)), StoreUnavailableError);
      equal(store.available(), false);
      const started = Date.now();
      await rejects(store.getAccount("ann"), StoreUnavailableError);
      ok(Date.now() - started < 100);
      await pg.start();
      const deadline = Date.now() + 10_000;
      while (!store.available() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      equal(store.available(), true);
      await store.appendMessage(msg(2));
      assertEquals((await store.latest("#room", 10)).map((m) => m.msgid), ["m1", "m2"]);
    } finally {
      await store.close();
      await pg.stop();
    }
  });
} else {
  Deno.test({
    name: "PostgresStore conformance (needs Debian's postgresql)",
    ignore: true,
    fn() {},
  });
}
