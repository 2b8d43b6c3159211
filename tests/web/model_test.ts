import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { parseMessage as parse } from "../../lib/protocol/message.ts";
import { Chat, SERVER_KEY } from "../../lib/web/static/model.ts";
import { completions, linkify } from "../../lib/web/static/view_text.ts";
import { backoff } from "../../lib/web/static/irc_socket.ts";

function feed(chat: Chat, ...lines: string[]) {
  return lines.flatMap((l) => chat.handle(parse(l)!));
}

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

Deno.test("completions() sorts candidates that start with the prefix", () => {
  assertEquals(completions("b", ["bob", "Bea", "al"]), ["Bea", "bob"]);
  assertEquals(completions("/jo", ["/join", "/part"]), ["/join"]);
});

Deno.test("linkify() links www. addresses as https", () => {
  assertEquals(linkify("see www.example.org/x, ok"), [
    { kind: "text", text: "see " },
    { kind: "link", text: "www.example.org/x", href: "https://www.example.org/x" },
    { kind: "text", text: ", ok" },
  ]);
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
  feed(chat, ":s 401 ann nobody :No such nick", ":s 372 ann :- hello from the MOTD");
  assertEquals(chat.buffer("#a")!.lines.at(-1)?.type, "error");
  assertEquals(chat.buffer("#a")!.lines.at(-1)?.text, "There is no one called nobody online.");
  assertEquals(chat.buffer(SERVER_KEY)!.lines.at(-1)?.text, "hello from the MOTD");
});

Deno.test("Chat words numerics with the shared table and keeps the Server window readable", () => {
  const chat = new Chat("ann");
  feed(
    chat,
    ":s 001 ann :Welcome to the network, ann",
    ":s 004 ann s deno-chat-0.1 iow biklmnostv bklov",
    ":s 265 ann 1 1 :Current local users 1, max 1",
    ":s 005 ann PREFIX=(ov)@+ :are supported",
    ":ann!u@h JOIN #a",
  );
  const server = chat.buffer(SERVER_KEY)!.lines.map((l) => l.text);
  assertEquals(server, [
    "Welcome to the network, ann",
    "The server is s running deno-chat-0.1.",
    "Current local users 1, max 1",
  ]);
  chat.activate(chat.buffer("#a")!.key);
  feed(
    chat,
    ":s 482 ann #a :You're not channel operator",
    ":s 475 ann #secret :Cannot join channel (+k)",
    ":s 301 ann bob :gone fishing",
  );
  assertEquals(chat.buffer("#a")!.lines.slice(-3).map((l) => l.text), [
    "You need to be a channel operator on #a to do that.",
    "You cannot join #secret: it needs a key (use /join #secret key).",
    "bob is away: gone fishing",
  ]);
});

Deno.test("Chat marks a kick of us: a line in the channel, not joined, kicked, no typing", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a", "@+typing=active :op!u@h TAGMSG #a");
  const effects = feed(chat, ":op!u@h KICK #a ann :behave");
  const b = chat.buffer("#a")!;
  assertEquals([b.joined, b.kicked, chat.typingIn(b)], [false, true, []]);
  assertEquals(b.lines.at(-1)?.text, "You were kicked from #a by op (behave).");
  assertEquals(effects.map((e) => e.kind), ["kicked"]);
  feed(chat, ":ann!u@h JOIN #a");
  assertEquals([b.joined, b.kicked], [true, false]);
});

Deno.test("Chat closes a conversation to its neighbour and places an unread marker", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a", ":ann!u@h JOIN #b", ":ann!u@h JOIN #c");
  chat.activate("#b");
  chat.close("#b");
  assertEquals(chat.active, "#c");
  chat.close("#c");
  assertEquals(chat.active, "#a");
  feed(chat, "@msgid=m1 :bob!u@h PRIVMSG #a :seen");
  chat.activate(SERVER_KEY);
  feed(chat, "@msgid=m2 :bob!u@h PRIVMSG #a :new one");
  chat.activate("#a");
  assertEquals(chat.buffer("#a")!.markerAfter, "m1");
});

Deno.test("Chat reads CHATHISTORY TARGETS, REGISTER, logins and ignores", () => {
  const chat = new Chat("ann");
  const effects = feed(
    chat,
    ":s BATCH +t1 draft/chathistory-targets",
    "@batch=t1 :s CHATHISTORY TARGETS carol 2024-01-01T00:00:00.000Z",
    "@batch=t1 :s CHATHISTORY TARGETS #a 2024-01-01T00:00:00.000Z",
    ":s BATCH -t1",
    ":s 900 ann ann!u@h ann :You are now logged in as ann",
    ":s 904 ann :SASL authentication failed",
  );
  assertEquals(effects, [
    { kind: "targets", names: ["carol", "#a"] },
    { kind: "logged-in", account: "ann" },
    { kind: "login-failed", text: "Wrong password for this account." },
  ]);
  chat.ignored.add("spam");
  feed(chat, ":ann!u@h JOIN #a", ":Spam!u@h PRIVMSG #a :buy now");
  assertEquals(chat.buffer("#a")!.lines.map((l) => l.type), ["join"]);
  // a message with formatting keeps it for the view, plain text for everything else
  feed(chat, ":bob!u@h PRIVMSG #a :\x02bold\x02 move");
  const l = chat.buffer("#a")!.lines.at(-1)!;
  assertEquals([l.text, l.formatted], ["bold move", "\x02bold\x02 move"]);
});

Deno.test("Chat keeps live lines in arrival order: a JOIN without a time stays above the message", () => {
  const chat = new Chat("ann");
  feed(
    chat,
    ":ann!u@h JOIN #a",
    ":bob!u@h JOIN #a",
    "@time=2000-01-01T00:00:00.000Z :bob!u@h PRIVMSG #a :hi, I just came",
  );
  assertEquals(chat.buffer("#a")!.lines.map((l) => l.type), ["join", "join", "message"]);
});

Deno.test("Chat shows a notice from someone without a chat (NickServ) where the user looks", () => {
  const chat = new Chat("ann");
  feed(chat, ":ann!u@h JOIN #a");
  chat.activate("#a");
  feed(chat, ":NickServ!services@srv NOTICE ann :Invalid password for ann");
  assertEquals(chat.buffer("#a")!.lines.at(-1)?.text, "Invalid password for ann");
  assertEquals(chat.buffer("nickserv"), undefined);
  // a server notice stays in the Server window
  feed(chat, ":srv NOTICE ann :*** server notice");
  assertEquals(chat.buffer(SERVER_KEY)!.lines.at(-1)?.text, "*** server notice");
});
