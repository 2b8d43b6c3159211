import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { parseMessage as parse } from "../../lib/protocol/message.ts";
import { Chat } from "../../lib/web/static/model.ts";

function feed(chat: Chat, ...lines: string[]) {
  return lines.flatMap((l) => chat.handle(parse(l)!));
}

function joined(): Chat {
  const chat = new Chat("ann");
  feed(
    chat,
    ":ann!u@h JOIN #a",
    ":ann!u@h JOIN #b",
    ":s 353 ann = #a :@ann bob",
    ":s 366 ann #a :End",
  );
  chat.activate(chat.buffer("#b")!.key);
  return chat;
}

Deno.test("read marker: MARKREAD from another device clears the badge and moves the line", () => {
  const chat = joined();
  feed(
    chat,
    "@msgid=m1;time=2026-01-01T10:00:00.000Z :bob!u@h PRIVMSG #a :one",
    "@msgid=m2;time=2026-01-01T10:01:00.000Z :bob!u@h PRIVMSG #a :ann: two",
    "@msgid=m3;time=2026-01-01T10:02:00.000Z :bob!u@h PRIVMSG #a :three",
  );
  const a = chat.buffer("#a")!;
  assertEquals([a.unread, a.mentions], [3, 1]);
  // read up to m2 on the phone
  const effects = feed(chat, ":s MARKREAD #a timestamp=2026-01-01T10:01:00.000Z");
  assertEquals(effects.map((e) => e.kind), ["read"]);
  assertEquals([a.unread, a.mentions], [1, 0]);
  // an older marker does not move it back
  feed(chat, ":s MARKREAD #a timestamp=2026-01-01T09:00:00.000Z");
  assertEquals(a.unread, 1);
  // opened here: the marker line is after m2, the last line read on any device
  chat.activate(a.key);
  assertEquals(a.markerAfter, "m2");
  // everything read on the phone: nothing unread
  chat.activate(chat.buffer("#b")!.key);
  feed(chat, ":s MARKREAD #a timestamp=2026-01-01T10:02:00.000Z");
  assertEquals([a.unread, a.mentions], [0, 0]);
  // "*": the server has no marker; nothing changes
  assertEquals(feed(chat, ":s MARKREAD #a *"), []);
});

Deno.test("read marker: what to send when a conversation is looked at", () => {
  const chat = joined();
  const a = chat.buffer("#a")!;
  assertEquals(chat.readMarkerToSend(a), undefined); // nothing in it
  feed(chat, "@msgid=m1;time=2026-01-01T10:00:00.000Z :bob!u@h PRIVMSG #a :one");
  assertEquals(chat.readMarkerToSend(a), "2026-01-01T10:00:00.000Z");
  assertEquals(chat.readMarkerToSend(a), undefined); // already sent
  // the server's echo of our own marker changes nothing
  feed(chat, ":s MARKREAD #a timestamp=2026-01-01T10:00:00.000Z");
  assertEquals(a.readAt, Date.parse("2026-01-01T10:00:00.000Z"));
});

Deno.test("read marker: none for a channel we left; a refused MARKREAD is not shown", () => {
  const chat = joined();
  feed(chat, "@msgid=m1;time=2026-01-01T10:00:00.000Z :bob!u@h PRIVMSG #a :one");
  feed(chat, ":ann!u@h PART #a");
  assertEquals(chat.readMarkerToSend(chat.buffer("#a")!), undefined);
  const before = chat.buffer("#b")!.lines.length;
  feed(chat, ":s FAIL MARKREAD INVALID_PARAMS #a :You are not on that channel");
  assertEquals(chat.buffer("#b")!.lines.length, before);
  feed(chat, ":s FAIL REDACT REDACT_FORBIDDEN #b m1 :You may not delete that message");
  assertEquals(chat.buffer("#b")!.lines.at(-1)!.text, "You may not delete that message");
});

Deno.test("read marker: history after the marker counts as unread", () => {
  const chat = joined();
  feed(
    chat,
    ":s MARKREAD #a timestamp=2026-01-01T10:00:00.000Z",
    ":s BATCH +h chathistory #a",
    "@batch=h;msgid=m1;time=2026-01-01T09:59:00.000Z :bob!u@h PRIVMSG #a :old",
    "@batch=h;msgid=m2;time=2026-01-01T10:05:00.000Z :bob!u@h PRIVMSG #a :new",
    "@batch=h;msgid=m3;time=2026-01-01T10:06:00.000Z :ann!u@h PRIVMSG #a :mine",
    ":s BATCH -h",
  );
  assertEquals(chat.buffer("#a")!.unread, 1);
});

Deno.test("redaction: a REDACT shows the message as deleted", () => {
  const chat = joined();
  feed(chat, "@msgid=m1 :bob!u@h PRIVMSG #a :oops", "@msgid=m2 :bob!u@h PRIVMSG #a :fine");
  const effects = feed(chat, ":bob!u@h REDACT #a m1 :typo");
  const a = chat.buffer("#a")!;
  assertEquals(effects.map((e) => e.kind), ["changed"]);
  assertEquals(a.lines.map((l) => [l.id, l.text, l.redacted ?? false]).slice(-2), [
    ["m1", "", true],
    ["m2", "fine", false],
  ]);
  // no read marker to count from: the deleted one comes off the badge all the same
  assertEquals(a.unread, 1);
  feed(chat, "@msgid=m3 :bob!u@h PRIVMSG #a :ann: look", ":bob!u@h REDACT #a m3");
  assertEquals([a.unread, a.mentions], [1, 0]);
  // a second REDACT of it changes nothing; nor does one of a message already read
  feed(chat, ":bob!u@h REDACT #a m3");
  assertEquals(a.unread, 1);
  chat.activate(a.key);
  chat.activate(chat.buffer("#b")!.key);
  feed(chat, ":bob!u@h REDACT #a m2");
  assertEquals(a.unread, 0);
  // a REDACT of a message we do not have is ignored
  assertEquals(feed(chat, ":bob!u@h REDACT #a nope"), []);
  // in a private chat the target is us: the message is found by the sender
  feed(chat, "@msgid=p1 :bob!u@h PRIVMSG ann :secret", ":bob!u@h REDACT ann p1");
  assertEquals(chat.buffer("bob")!.lines.at(-1)!.redacted, true);
});

Deno.test("replies and reactions: +draft/reply and TAGMSG +draft/react", () => {
  const chat = joined();
  feed(
    chat,
    "@msgid=m1 :bob!u@h PRIVMSG #a :lunch?",
    "@msgid=m2;+draft/reply=m1 :carl!u@h PRIVMSG #a :yes",
    "@+draft/react=👍;+draft/reply=m1 :carl!u@h TAGMSG #a",
    "@+draft/react=👍;+draft/reply=m1 :ann!u@h TAGMSG #a",
    "@+draft/react=👍;+draft/reply=m1 :ann!u@h TAGMSG #a",
    "@+draft/react=🎉;+draft/reply=m1 :bob!u@h TAGMSG #a",
  );
  const a = chat.buffer("#a")!;
  assertEquals(a.lines.at(-1)!.replyTo, "m1");
  const m1 = chat.findLine("m1", a)!.line;
  assertEquals([...m1.reactions!], [["👍", ["carl", "ann"]], ["🎉", ["bob"]]]);
  // a reaction to a message we do not show, and a typing notice, change no line
  assertEquals(feed(chat, "@+draft/react=👍;+draft/reply=zz :carl!u@h TAGMSG #a"), []);
  feed(chat, "@+typing=active :carl!u@h TAGMSG #a");
  assertEquals(chat.typingIn(a), ["carl"]);
  // in a private chat: our own echoed reaction goes to the chat with the target
  feed(
    chat,
    "@msgid=p1 :bob!u@h PRIVMSG ann :hey",
    "@+draft/react=❤️;+draft/reply=p1 :ann!u@h TAGMSG bob",
  );
  assertEquals([...chat.findLine("p1")!.line.reactions!], [["❤️", ["ann"]]]);
});

Deno.test("multiline: a draft/multiline batch is one message, live and in history", () => {
  const chat = joined();
  feed(
    chat,
    "@msgid=ml1;time=2026-01-01T10:00:00.000Z :bob!u@h BATCH +x draft/multiline #a",
    "@batch=x :bob!u@h PRIVMSG #a :first line",
    "@batch=x :bob!u@h PRIVMSG #a :second ",
    "@batch=x;draft/multiline-concat :bob!u@h PRIVMSG #a :half",
    ":s BATCH -x",
  );
  const a = chat.buffer("#a")!;
  const last = a.lines.at(-1)!;
  assertEquals([last.id, last.nick, last.text, a.unread], [
    "ml1",
    "bob",
    "first line\nsecond half",
    1,
  ]);
  // nested in a chathistory batch
  feed(
    chat,
    ":s BATCH +h chathistory #a",
    "@batch=h;msgid=old1;time=2025-12-31T10:00:00.000Z :carl!u@h PRIVMSG #a :before",
    "@batch=h;msgid=ml0;time=2025-12-31T11:00:00.000Z :carl!u@h BATCH +y draft/multiline #a",
    "@batch=y :carl!u@h PRIVMSG #a :a",
    "@batch=y :carl!u@h PRIVMSG #a :b",
    "@batch=h :s BATCH -y",
    ":s BATCH -h",
  );
  assertEquals(a.lines.slice(0, 2).map((l) => [l.id, l.text]), [["old1", "before"], [
    "ml0",
    "a\nb",
  ]]);
  assertEquals(a.unread, 1); // history does not count
});

Deno.test("search: a soju.im/search batch becomes results with their conversations", () => {
  const chat = joined();
  const effects = feed(
    chat,
    ":s BATCH +s soju.im/search",
    "@batch=s;msgid=r1;time=2026-01-01T10:00:00.000Z :bob!u@h PRIVMSG #a :the deploy is done",
    "@batch=s;msgid=r2;time=2026-01-01T11:00:00.000Z :bob!u@h PRIVMSG ann :deploy later?",
    "@batch=s;msgid=r3;time=2026-01-01T12:00:00.000Z :ann!u@h PRIVMSG carl :deploy!",
    ":s BATCH -s",
  );
  assertEquals(effects.length, 1);
  const e = effects[0];
  ok(e.kind === "search");
  assertEquals(e.results.map((r) => [r.target, r.line.id, r.line.nick, r.line.text]), [
    ["#a", "r1", "bob", "the deploy is done"],
    ["bob", "r2", "bob", "deploy later?"],
    ["carl", "r3", "ann", "deploy!"],
  ]);
  // results are not added to the conversations
  assertEquals(chat.buffer("#a")!.lines.some((l) => l.id === "r1"), false);
});

Deno.test("friends and away: MONITOR replies and away-notify", () => {
  const chat = joined();
  feed(chat, ":s 005 ann MONITOR=100 soju.im/FILEHOST=https://c.org/up\\x3Dload :are supported");
  assertEquals([chat.monitorLimit, chat.filehost], [100, "https://c.org/up=load"]);
  chat.addFriend("Bob");
  chat.addFriend("dan");
  // the first answer says who is online, without a notice
  assertEquals(feed(chat, ":s 730 ann :bob!u@h", ":s 731 ann :dan"), []);
  assertEquals([...chat.friends.values()], [
    { nick: "bob", online: true },
    { nick: "dan", online: false },
  ]);
  // dan comes online: a notice
  assertEquals(feed(chat, ":s 730 ann :dan!d@h"), [{ kind: "friend-online", nick: "dan" }]);
  // someone not on the list is ignored
  assertEquals(feed(chat, ":s 730 ann :eve!e@h"), []);
  chat.removeFriend("dan");
  assertEquals([...chat.friends.keys()], ["bob"]);
  // away-notify
  feed(chat, ":bob!u@h AWAY :lunch");
  assertEquals(chat.away.get("bob"), "lunch");
  feed(chat, ":bob!u@h AWAY");
  assertEquals(chat.away.has("bob"), false);
  feed(chat, ":s 301 ann bob :in a meeting");
  assertEquals(chat.away.get("bob"), "in a meeting");
  feed(chat, ":bob!u@h QUIT :bye");
  assertEquals(chat.away.has("bob"), false);
});

Deno.test("away: the WHO sent on joining learns who is away already, silently", () => {
  const chat = joined();
  const lines = () => [...chat.buffers.values()].reduce((n, b) => n + b.lines.length, 0);
  // without WHOX: a plain WHO, read from the flags of RPL_WHOREPLY
  assertEquals(chat.awayQuery("#a"), ["#a"]);
  const before = lines();
  feed(
    chat,
    ":s 352 ann #a b h s bob G@ :0 Bob",
    ":s 352 ann #a a h s ann H@ :0 Ann",
    ":s 315 ann #a :End of WHO list",
  );
  assertEquals([...chat.away], [["bob", ""]]);
  assertEquals(lines(), before);
  // with WHOX: only the channel, nick and flags, under the app's own token
  feed(chat, ":s 005 ann WHOX :are supported");
  assertEquals(chat.awayQuery("#a"), ["#a", "%tcnf,71"]);
  feed(chat, ":bob!u@h AWAY :lunch");
  feed(
    chat,
    ":s 354 ann 71 #a bob G",
    ":s 354 ann 71 #a cat G",
    ":s 354 ann 71 #a ann H",
    ":s 315 ann #a :End of WHO list",
  );
  // a message known from away-notify is kept; WHO has none
  assertEquals([...chat.away], [["bob", "lunch"], ["cat", ""]]);
  // the next join's answer: cat is back
  chat.awayQuery("#a");
  feed(chat, ":s 354 ann 71 #a cat H", ":s 315 ann #a :End");
  assertEquals(chat.away.has("cat"), false);
  assertEquals(lines(), before);
  // and the quiet ended with its 315: a WHO the user asks for is shown
  feed(chat, ":s 352 ann #a b h s bob G@ :0 Bob", ":s 315 ann #a :End of WHO list");
  assertEquals(lines(), before + 2);
});

Deno.test("myPrefix: our status in a channel decides who may delete others' messages", () => {
  const chat = joined();
  assertEquals(chat.myPrefix(chat.buffer("#a")!), "@");
  assertEquals(chat.myPrefix(chat.buffer("#b")!), "");
});
