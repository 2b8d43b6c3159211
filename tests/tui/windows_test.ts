import assert from "node:assert/strict";
import { WindowList } from "../../lib/tui/windows.ts";
import type { ChatLine } from "../../lib/client/events.ts";

const msg = (window: string, extra: Partial<ChatLine> = {}): ChatLine => ({
  time: new Date(),
  window,
  kind: "message",
  nick: "bob",
  text: "hi",
  ...extra,
});

Deno.test("WindowList starts with the status window as number 1", () => {
  const wl = new WindowList();
  assert.equal(wl.currentNumber, 1);
  assert.equal(wl.current.kind, "status");
});

Deno.test("WindowList counts unread messages and highlights in windows not shown", () => {
  const wl = new WindowList();
  const a = wl.open("#a", "channel", true);
  const b = wl.open("#b", "channel", false);
  wl.add(b, msg("#b"));
  wl.add(b, msg("#b", { highlight: true }));
  wl.add(a, msg("#a"));
  assert.deepEqual(wl.activity(), [{ number: 3, unread: 2, highlight: true }]);
  wl.focus(3);
  assert.deepEqual(wl.activity(), []);
  assert.equal(b.unread, 0);
});

Deno.test("WindowList does not count joins and parts as unread", () => {
  const wl = new WindowList();
  const b = wl.open("#b", "channel", false);
  wl.add(b, msg("#b", { kind: "join", text: "x joined" }));
  assert.equal(b.unread, 0);
});

Deno.test("WindowList cycles with next/prev and finds windows case-insensitively", () => {
  const wl = new WindowList();
  wl.open("#Dev", "channel", false);
  wl.next();
  assert.equal(wl.current.name, "#Dev");
  wl.next();
  assert.equal(wl.currentNumber, 1);
  wl.prev();
  assert.equal(wl.current.name, "#Dev");
  assert.equal(wl.find("#dev")?.name, "#Dev");
});

Deno.test("WindowList closes a window and shows its neighbour, but never the status one", () => {
  const wl = new WindowList();
  wl.open("#a", "channel", false);
  wl.open("bob", "query", true);
  assert.equal(wl.close("bob"), true);
  assert.equal(wl.current.name, "#a");
  assert.equal(wl.close(wl.windows[0].name), false);
});

Deno.test("WindowList caps the lines kept per window", () => {
  const wl = new WindowList(3);
  const a = wl.open("#a", "channel", true);
  for (let i = 0; i < 5; i++) wl.add(a, msg("#a", { text: String(i) }));
  assert.deepEqual(a.lines.map((l) => l.text), ["2", "3", "4"]);
});

Deno.test("WindowList renames a private conversation when the peer changes nick, not a channel", () => {
  const list = new WindowList();
  list.open("bob", "query", false);
  list.open("#chan", "channel", false);
  assert.equal(list.rename("BOB", "robert"), true);
  assert.equal(list.find("robert")?.kind, "query");
  assert.equal(list.find("bob"), undefined);
  assert.equal(list.rename("#chan", "#other"), false);
  list.open("carol", "query", false);
  assert.equal(list.rename("carol", "robert"), false); // would collide with an open window
});

Deno.test("WindowList.add() drops a replayed copy (by msgid, or by time, sender and text), never a live repeat", () => {
  const list = new WindowList();
  const w = list.open("#a", "channel", true);
  const t = new Date(Date.UTC(2024, 0, 1));
  const msg = (text: string, extra: Record<string, unknown> = {}) => ({
    time: t,
    window: "#a",
    kind: "message" as const,
    nick: "bob",
    text,
    ...extra,
  });
  assert.equal(list.add(w, msg("one", { msgid: "m1" })), true);
  assert.equal(list.add(w, msg("two")), true);
  assert.equal(list.add(w, msg("one", { msgid: "m1", history: true })), false);
  assert.equal(list.add(w, msg("two", { history: true })), false);
  assert.equal(list.add(w, msg("two", { history: true, msgid: "m2" })), false);
  assert.equal(list.add(w, msg("two")), true); // said again, live
  assert.deepEqual(w.lines.map((l) => l.text), ["one", "two", "two"]);
});

Deno.test("WindowList.prepend() puts older lines first, leaving out those already shown", () => {
  const list = new WindowList();
  const w = list.open("#a", "channel", true);
  const line = (text: string, msgid: string) => ({
    time: new Date(0),
    window: "#a",
    kind: "message" as const,
    nick: "bob",
    text,
    msgid,
    history: true,
  });
  list.add(w, line("b", "2"));
  const added = list.prepend(w, [line("a", "1"), line("b", "2")]);
  assert.deepEqual(added.map((l) => l.text), ["a"]);
  assert.deepEqual(w.lines.map((l) => l.text), ["a", "b"]);
  assert.equal(w.unread, 0);
});

Deno.test("WindowList takes no reaction to a deleted message, before or after the deletion", () => {
  const wl = new WindowList();
  const a = wl.open("#a", "channel", true);
  const line = msg("#a", { msgid: "m1" });
  wl.add(a, line);
  assert.equal(wl.react(a, "m1", "cy", "😮", "t1"), line);
  assert.equal(wl.redact(a, "m1"), line);
  assert.equal(line.redacted, true);
  assert.equal(line.reactions, undefined);
  // a reaction arriving after the deletion (relayed late, or replayed) changes nothing
  assert.equal(wl.react(a, "m1", "cy", "👍", "t2"), undefined);
  assert.equal(line.reactions, undefined);
});

Deno.test("WindowList keeps the server's marker through the event lines of a join, for the replay after them", () => {
  const wl = new WindowList();
  const a = wl.open("#a", "channel", true);
  // as a server sends a join: JOIN, MARKREAD, NAMES, then the replayed history
  wl.add(a, msg("#a", { kind: "join", text: "You joined #a", time: new Date(5000) }));
  wl.setReadMarker(a, new Date(1000));
  wl.add(a, msg("#a", { kind: "info", text: "2 on #a: ann bob", time: new Date(5000) }));
  wl.add(a, msg("#a", { history: true, msgid: "h1", text: "seen", time: new Date(1000) }));
  wl.add(a, msg("#a", { history: true, msgid: "h2", text: "missed", time: new Date(2000) }));
  assert.equal(a.markerShown, true);
  assert.equal(a.lines[wl.markerIndex(a)].text, "missed");
  // a live message while looking, with nothing unread: nothing new, no marker
  const b = wl.open("#b", "channel", true);
  wl.setReadMarker(b, new Date(1000));
  wl.add(b, msg("#b", { text: "live", time: new Date(6000) }));
  assert.equal(b.markerShown, false);
});
