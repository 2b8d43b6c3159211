import assert from "node:assert/strict";
import { ChannelTable } from "../../lib/client/channel_state.ts";

Deno.test("ChannelTable follows ISUPPORT PREFIX and CHANTYPES", () => {
  const t = new ChannelTable();
  t.isupport(["PREFIX=(qaohv)~&@%+", "CHANTYPES=#!", "NETWORK=lan"]);
  assert.equal(t.prefixSymbols, "~&@%+");
  assert.equal(t.isChannel("!x"), true);
  assert.equal(t.isChannel("&x"), false);
  assert.equal(t.network, "lan");
  assert.equal(t.stripStatusPrefix("@#x"), "#x");
});

Deno.test("ChannelTable builds the member list from NAMES and keeps it through MODE, NICK, QUIT", () => {
  const t = new ChannelTable(["#a"]);
  assert.deepEqual(t.joinLines(), ["JOIN #a"]);
  assert.equal(t.pendingJoins, 1);
  assert.equal(t.joined("#A"), true); // the first channel is shown, whatever its case
  t.addNames("#A", "@ann +bob");
  t.addNames("#A", "carol!c@h");
  t.endOfNames("#A");
  assert.deepEqual(t.rankedMembers("#a").map((m) => m.prefixes + m.nick), [
    "@ann",
    "+bob",
    "carol",
  ]);
  t.applyModes("#a", ["+o-v", "carol", "bob"]);
  assert.deepEqual(t.rankedMembers("#a").map((m) => m.prefixes + m.nick), [
    "@ann",
    "@carol",
    "bob",
  ]);
  assert.deepEqual(t.rename("bob", "rob").map((c) => c.name), ["#A"]);
  assert.deepEqual(t.quit("carol").map((c) => c.name), ["#A"]);
  assert.deepEqual(t.nicksIn("#a"), ["ann", "rob"]);
});

Deno.test("ChannelTable keeps away states through a new NAMES list and a nick change", () => {
  const t = new ChannelTable();
  t.joined("#a");
  t.addNames("#a", "ann bob");
  t.endOfNames("#a");
  t.whoAsked("#a");
  assert.equal(t.whoReply("#a", "bob", "G"), true);
  assert.equal(t.whoEnd("#a"), true);
  assert.equal(t.whoReply("#a", "bob", "H"), false); // not ours any more: shown to the user
  t.addNames("#a", "ann bob");
  t.endOfNames("#a");
  t.rename("bob", "rob");
  assert.equal(t.get("#a")!.members.get("rob")!.away, true);
  assert.equal(t.setAway("rob", false), true);
  assert.equal(t.get("#a")!.members.get("rob")!.away, false);
});

Deno.test("ChannelTable rejoins the channels it was on after a disconnect, not the ones left", () => {
  const t = new ChannelTable(["#a"]);
  t.joined("#a");
  t.joined("#b");
  t.joined("#c");
  t.left("#c");
  t.disconnected();
  assert.equal(t.channels.size, 0);
  assert.deepEqual(t.joinLines(), ["JOIN #a,#b"]);
  assert.equal(t.refused("#b"), true);
  assert.equal(t.pendingJoins, 1);
});
