import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { Channel } from "../../lib/server/channel.ts";
import { LOCAL_EVENTS, type ServerEvents } from "../../lib/server/events.ts";
import { DEFAULT_LIMITS } from "../../lib/server/limits.ts";
import { MetadataTable } from "../../lib/server/metadata.ts";
import type { Session } from "../../lib/server/session.ts";
import { User } from "../../lib/server/user.ts";
import { MemoryStore } from "../../lib/store/memory.ts";

function table(limits = {}) {
  const store = new MemoryStore();
  const seen: string[] = [];
  const events: ServerEvents = {
    ...LOCAL_EVENTS,
    metadataChanged: (t, key, value) =>
      seen.push(`${"members" in t ? t.name : t.nick} ${key}=${value ?? "-"}`),
  };
  const t = new MetadataTable({ ...DEFAULT_LIMITS, ...limits }, store, events);
  return { t, store, seen };
}

function user(nick: string, account?: string): User {
  const u = new User(nick, "u", "127.0.0.1", "U");
  u.account = account;
  return u;
}

/** A stand-in session: the table only keys by it and reads its caps. */
function session(caps: string[] = ["draft/metadata-2"]): Session {
  return { caps: new Set(caps) } as unknown as Session;
}

/** Lets the table's background store writes land. */
const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("MetadataTable.set() sets, replaces, removes within max-keys and reports each change", () => {
  const { t, seen } = table({ metadataMaxKeys: 2 });
  const ann = user("ann");
  strictEqual(t.set(ann, "display-name", "Ann"), "set");
  strictEqual(t.set(ann, "display-name", "Ann"), "unchanged");
  strictEqual(t.set(ann, "avatar", "https://a.example/a.png"), "set");
  strictEqual(t.set(ann, "status", "busy"), "limit");
  // replacing a key is not a new key
  strictEqual(t.set(ann, "avatar", "https://a.example/b.png"), "set");
  strictEqual(t.set(ann, "status", undefined), "not-set");
  strictEqual(t.set(ann, "avatar", undefined), "deleted");
  assertEquals([...t.list(ann)], [["display-name", "Ann"]]);
  assertEquals(t.clear(ann), [["display-name", "Ann"]]);
  assertEquals(t.clear(ann), []);
  assertEquals(seen, [
    "ann display-name=Ann",
    "ann avatar=https://a.example/a.png",
    "ann avatar=https://a.example/b.png",
    "ann avatar=-",
    "ann display-name=-",
  ]);
});

Deno.test("MetadataTable keeps an account's and a registered channel's metadata in the store, a guest's not", async () => {
  const { t, store } = table();
  t.set(user("gus"), "display-name", "Gus");
  t.set(user("ann", "Ann"), "display-name", "Ann Lee");
  const room = new Channel("#Room");
  t.set(room, "url", "https://room.example");
  room.setRegistration({ founder: "ann", registeredAt: 1, ops: new Set(["ann"]) });
  t.set(room, "topic-url", "https://room.example/t");
  await settle();
  assertEquals(await store.getMetadata("@gus"), {});
  assertEquals(await store.getMetadata("@ann"), { "display-name": "Ann Lee" });
  assertEquals(await store.getMetadata("#room"), { "topic-url": "https://room.example/t" });
});

Deno.test("MetadataTable.adopt() loads what the account kept; what was set live wins and is saved", async () => {
  const { t, store, seen } = table();
  await store.setMetadata("@ann", "display-name", "Stored Ann");
  await store.setMetadata("@ann", "avatar", "https://a.example/stored.png");
  const ann = user("ann");
  t.set(ann, "display-name", "Live Ann"); // a guest still: not saved
  ann.account = "ann";
  assertEquals(await t.adopt(ann), [["avatar", "https://a.example/stored.png"]]);
  await settle();
  assertEquals(Object.fromEntries(t.list(ann)), {
    "display-name": "Live Ann",
    avatar: "https://a.example/stored.png",
  });
  assertEquals(await store.getMetadata("@ann"), {
    avatar: "https://a.example/stored.png",
    "display-name": "Live Ann",
  });
  assertEquals(seen, ["ann display-name=Live Ann", "ann avatar=https://a.example/stored.png"]);
  // nothing kept for a guest
  assertEquals(await t.adopt(user("gus")), []);
});

Deno.test("MetadataTable.subscribe() stops at max-subs at the first key that does not fit", () => {
  const { t } = table({ metadataMaxSubs: 3 });
  const s = session();
  assertEquals(t.subscribe(s, ["avatar", "website", "avatar"]), { added: ["avatar", "website"] });
  assertEquals(t.subscribe(s, ["avatar", "status", "color", "bot"]), {
    added: ["avatar", "status"],
    refused: "color",
  });
  assertEquals([...t.subscriptions(s)], ["avatar", "website", "status"]);
  assertEquals(t.unsubscribe(s, ["website", "nope", "nope"]), ["website", "nope"]);
  strictEqual(t.wants(s, "avatar"), true);
  strictEqual(t.wants(s, "website"), false);
  // subscribed without the capability: never told
  const plain = session([]);
  t.subscribe(plain, ["avatar"]);
  strictEqual(t.wants(plain, "avatar"), false);
});
