import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { MemoryStore } from "../../lib/store/memory.ts";
import { PREFIX_OP } from "../../lib/server/channel.ts";
import { ChannelTable } from "../../lib/server/channels.ts";
import { LOCAL_EVENTS, type ServerEvents } from "../../lib/server/events.ts";
import { DEFAULT_LIMITS } from "../../lib/server/limits.ts";
import { User } from "../../lib/server/user.ts";
import { UserTable } from "../../lib/server/users.ts";

/** Events that record what the tables reported, as "kind subject". */
function recorder(): { events: ServerEvents; seen: string[] } {
  const seen: string[] = [];
  const events: ServerEvents = {
    ...LOCAL_EVENTS,
    nickChanged: (u, old) => seen.push(`nick ${old}->${u.nick}`),
    joined: (c, u) => seen.push(`join ${c.name} ${u.nick}`),
    parted: (c, u) => seen.push(`part ${c.name} ${u.nick}`),
    kicked: (c, t, by) => seen.push(`kick ${c.name} ${t.nick} by ${by.nick}`),
    quit: (u) => seen.push(`quit ${u.nick}`),
    registered: (u) => seen.push(`registered ${u.nick}`),
    userChanged: (u, what) => seen.push(`${what} ${u.nick}`),
    topicChanged: (c) => seen.push(`topic ${c.name} ${c.topic?.text}`),
  };
  return { events, seen };
}

function registered(users: UserTable, nick: string): User {
  const u = new User("*", "u", "127.0.0.1", "U");
  users.rename(u, nick);
  users.markRegistered(u);
  return u;
}

Deno.test("ChannelTable: a channel lives while it has members; each change is reported", async () => {
  const { events, seen } = recorder();
  const store = new MemoryStore();
  const users = new UserTable({ ...DEFAULT_LIMITS }, store, events);
  const channels = new ChannelTable(store, events);
  const a = registered(users, "a");
  const b = registered(users, "b");
  const chan = await channels.make("#Room");
  strictEqual(channels.find("#room"), undefined, "not in the table before its first member");
  channels.join(chan, a, PREFIX_OP);
  channels.join(chan, b, 0);
  strictEqual(channels.find("#ROOM"), chan);
  channels.setTopic(chan, { text: "hi", setBy: "a", setAt: 0 }, a);
  channels.kick(chan, b, a, "out");
  channels.part(chan, a, undefined);
  strictEqual(channels.size, 0, "dropped when the last member left");
  assertEquals([...a.channels, ...b.channels], []);
  assertEquals(seen.filter((e) => !e.startsWith("registered")), [
    "join #Room a",
    "join #Room b",
    "topic #Room hi",
    "kick #Room b by a",
    "part #Room a",
  ]);
});

Deno.test("UserTable: renames, WHOWAS and counts; quits are reported", () => {
  const { events, seen } = recorder();
  const users = new UserTable({ ...DEFAULT_LIMITS }, new MemoryStore(), events);
  const u = registered(users, "ann");
  users.rename(u, "Anna");
  strictEqual(users.find("anna"), u);
  strictEqual(users.find("ann"), undefined);
  assertEquals(users.whowas.map((e) => e.nick), ["ann"]);
  users.setInvisible(u, true);
  users.setAway(u, "lunch");
  assertEquals({ ...users.counts }, { users: 1, invisible: 1, opers: 0, peak: 1 });
  users.remove(u, "bye");
  assertEquals({ ...users.counts }, { users: 0, invisible: 0, opers: 0, peak: 1 });
  assertEquals(seen, ["registered ann", "nick ann->Anna", "modes Anna", "away Anna", "quit Anna"]);
});

Deno.test("ChannelTable: a public channel hands its history on through the store, a private one takes it back", async () => {
  const store = new MemoryStore();
  const users = new UserTable({ ...DEFAULT_LIMITS }, store, LOCAL_EVENTS);
  const a = registered(users, "a");
  let channels = new ChannelTable(store, LOCAL_EVENTS);
  const first = await channels.make("#Lobby");
  const floor = first.historyFloor;
  channels.join(first, a, PREFIX_OP);
  channels.part(first, a, undefined);
  strictEqual(await store.getHistoryFloor("#lobby"), floor, "written when it emptied public");
  // as if it had emptied long ago, so a fresh start shows as a later floor
  const old = 1000;
  await store.setHistoryFloors([["#lobby", old]]);

  // a new table over the same store is a restarted server
  channels = new ChannelTable(store, LOCAL_EVENTS);
  const again = await channels.make("#lobby");
  strictEqual(again.historyFloor, old);
  channels.join(again, a, PREFIX_OP);
  await channels.recordFloors(); // the shutdown, while it is open and public
  strictEqual(await store.getHistoryFloor("#lobby"), old);
  again.setFlag("s", true);
  channels.part(again, a, undefined);
  strictEqual(await store.getHistoryFloor("#lobby"), undefined, "taken back: it emptied secret");

  channels = new ChannelTable(store, LOCAL_EVENTS);
  const before = Date.now();
  const fresh = await channels.make("#lobby");
  strictEqual(fresh.historyFloor >= before, true, "starts afresh");
  channels.join(fresh, a, PREFIX_OP);
  fresh.setKey("door");
  await channels.recordFloors(); // a shutdown while private records nothing to hand on
  strictEqual(await store.getHistoryFloor("#lobby"), undefined);
});
