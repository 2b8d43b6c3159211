import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { format, parse } from "../../lib/web/static/irc.ts";
import { Chat, SERVER_KEY } from "../../lib/web/static/model.ts";
import { completions, linkify, mentions, stripFormatting } from "../../lib/web/static/text.ts";
import { backoff } from "../../lib/web/static/connection.ts";

function feed(chat: Chat, ...lines: string[]) {
  return lines.flatMap((l) => chat.handle(parse(l)!));
}

Deno.test("parse() and format() of the browser app round-trip tags, source and trailing", () => {
  const m = parse("@time=2024-01-01T00:00:00.000Z;+typing=active :ann!u@h TAGMSG #a")!;
  assertEquals(m.nick, "ann");
  assertEquals(m.tags["+typing"], "active");
  assertEquals(parse("@a=b\\sc\\:d :s CMD x :y z")?.tags["a"], "b c;d");
  assertEquals(format("PRIVMSG", ["#a", ":)"]), "PRIVMSG #a ::)");
  assertEquals(format("PRIVMSG", ["#a", "x\r\nQUIT"]), "PRIVMSG #a :x QUIT");
  assertEquals(format("TAGMSG", ["#a"], { "+x": "a b;c" }), "@+x=a\\sb\\:c TAGMSG #a");
});

Deno.test("linkify() makes only http(s) links, without trailing punctuation", () => {
  assertEquals(linkify("go to https://example.org/a?b=1."), [
    { kind: "text", text: "go to " },
    { kind: "link", text: "https://example.org/a?b=1", href: "https://example.org/a?b=1" },
    { kind: "text", text: "." },
  ]);
  assertEquals(linkify("javascript:alert(1) data:text/html,x"), [
    { kind: "text", text: "javascript:alert(1) data:text/html,x" },
  ]);
  assertEquals(linkify("(see http://x.org/wiki/A_(b))").map((s) => s.text), [
    "(see ",
    "http://x.org/wiki/A_(b)",
    ")",
  ]);
});

Deno.test("stripFormatting(), mentions() and completions()", () => {
  assertEquals(stripFormatting("\x0312,04blue\x03 \x1ditalic\x1d\x0f"), "blue italic");
  ok(mentions("ping ann: hi", "Ann"));
  ok(!mentions("annabel", "ann"));
  ok(mentions("[x]: hi", "[x]"));
  assertEquals(completions("b", ["bob", "Bea", "al"]), ["Bea", "bob"]);
});

Deno.test("backoff() doubles up to 30 s with jitter", () => {
  assertEquals([0, 1, 2, 3].map((n) => backoff(n, 0.5)), [1000, 2000, 4000, 8000]);
  assertEquals(backoff(20, 0.5), 30000);
  ok(backoff(0, 0) >= 750 && backoff(0, 1) <= 1250);
});

Deno.test("Chat tracks members, prefixes, topic, nick changes and quits", () => {
  const chat = new Chat("ann");
  feed(
    chat,
    ":s 005 ann PREFIX=(ov)@+ CHANTYPES=# :are supported",
    ":ann!u@h JOIN #a",
    ":s 332 ann #a :the topic",
    ":s 353 ann = #a :@ann +bob carl",
    ":s 366 ann #a :End",
  );
  const b = chat.buffer("#a")!;
  assertEquals(b.topic, "the topic");
  assertEquals(chat.sortedMembers(b).map((m) => m.prefix + m.nick), ["@ann", "+bob", "carl"]);
  feed(chat, ":ann!u@h MODE #a +o-v carl bob", ":bob!u@h NICK rob", ":carl!u@h QUIT :bye");
  assertEquals(chat.sortedMembers(b).map((m) => m.prefix + m.nick), ["@ann", "rob"]);
  assertEquals(b.lines.map((l) => l.type), ["join", "mode", "nick", "quit"]);
  feed(chat, ":rob!u@h TOPIC #a :new one");
  assertEquals(b.topic, "new one");
});

Deno.test("Chat counts unread lines and mentions outside the active buffer", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a", ":ann!u@h JOIN #b");
  chat.activate(chat.buffer("#a")!.key);
  const effects = feed(
    chat,
    ":bob!u@h PRIVMSG #b :one",
    ":bob!u@h PRIVMSG #b :ann: two",
    ":bob!u@h PRIVMSG #a :here",
    ":bob!u@h PRIVMSG ann :private",
  );
  const b = chat.buffer("#b")!;
  assertEquals([b.unread, b.mentions], [2, 1]);
  assertEquals([chat.buffer("#a")!.unread, chat.buffer("bob")!.unread], [0, 1]);
  assertEquals(effects.filter((e) => e.kind === "mention").length, 2);
  chat.activate(b.key);
  assertEquals([b.unread, b.mentions], [0, 0]);
});

Deno.test("Chat shows /me as an action and drops other CTCP", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a", ":bob!u@h PRIVMSG #a :\x01ACTION waves\x01");
  feed(chat, ":bob!u@h PRIVMSG #a :\x01VERSION\x01");
  const lines = chat.buffer("#a")!.lines.filter((l) => l.type !== "join");
  assertEquals(lines.map((l) => [l.type, l.text]), [["action", "waves"]]);
});

Deno.test("Chat merges a chathistory batch in time order without duplicates", () => {
  const chat = new Chat("ann");
  feed(
    chat,
    ":ann!u@h JOIN #a",
    "@msgid=3;time=2024-01-01T00:03:00.000Z :bob!u@h PRIVMSG #a :three",
  );
  chat.activate(chat.buffer("#a")!.key);
  const effects = feed(
    chat,
    ":s BATCH +h1 chathistory #a",
    "@batch=h1;msgid=1;time=2024-01-01T00:01:00.000Z :bob!u@h PRIVMSG #a :one",
    "@batch=h1;msgid=2;time=2024-01-01T00:02:00.000Z :carl!u@h PRIVMSG #a :two ann",
    "@batch=h1;msgid=3;time=2024-01-01T00:03:00.000Z :bob!u@h PRIVMSG #a :three",
    ":s BATCH -h1",
  );
  const texts = chat.buffer("#a")!.lines.filter((l) => l.type === "message").map((l) => l.text);
  assertEquals(texts, ["one", "two ann", "three"]);
  assertEquals(effects.map((e) => e.kind), ["history"]);
  assertEquals(chat.buffer("#a")!.mentions, 0);
});

Deno.test("Chat keeps typing notices for 6 s or until done, and ignores its own", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a", "@+typing=active :bob!u@h TAGMSG #a");
  const b = chat.buffer("#a")!;
  assertEquals(chat.typingIn(b), ["bob"]);
  assertEquals(chat.typingIn(b, Date.now() + 7000), []);
  feed(chat, "@+typing=active :bob!u@h TAGMSG #a", "@+typing=done :bob!u@h TAGMSG #a");
  assertEquals(chat.typingIn(b), []);
  feed(chat, "@+typing=active :ann!u@h TAGMSG #a");
  assertEquals(chat.typingIn(b), []);
});

Deno.test("Chat puts errors in the active buffer and other numerics in the server one", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a");
  chat.activate(chat.buffer("#a")!.key);
  feed(chat, ":s 401 ann nobody :No such nick", ":s 375 ann :- MOTD -");
  assertEquals(chat.buffer("#a")!.lines.at(-1)?.type, "error");
  assertEquals(chat.buffer(SERVER_KEY)!.lines.at(-1)?.text, "- MOTD -");
});
