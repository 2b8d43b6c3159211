import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  escapeTagValue,
  parseMessage,
  parseTags,
  serializeMessage,
  unescapeTagValue,
} from "../../lib/protocol/message.ts";

Deno.test("parseMessage() reads tags, source, command and a trailing parameter", () => {
  assertEquals(parseMessage("@a=1;b :nick!u@h PRIVMSG #chan :hello there"), {
    tags: { a: "1", b: "" },
    source: "nick!u@h",
    command: "PRIVMSG",
    params: ["#chan", "hello there"],
  });
});

Deno.test("parseMessage() keeps a trailing parameter that starts with ':'", () => {
  assertEquals(parseMessage("PRIVMSG #c ::-)")?.params, ["#c", ":-)"]);
});

Deno.test("parseMessage() keeps an empty trailing parameter", () => {
  assertEquals(parseMessage("TOPIC #c :")?.params, ["#c", ""]);
});

Deno.test("parseMessage() allows ':' inside middle parameters", () => {
  assertEquals(parseMessage("MODE #c +b a:b!*@*")?.params, ["#c", "+b", "a:b!*@*"]);
});

Deno.test("parseMessage() tolerates repeated spaces and upper-cases the verb", () => {
  assertEquals(parseMessage("  join   #a   key ")?.command, "JOIN");
  assertEquals(parseMessage("  join   #a   key ")?.params, ["#a", "key"]);
});

Deno.test("parseMessage() returns undefined for a line with no command", () => {
  assertEquals(parseMessage(""), undefined);
  assertEquals(parseMessage("   "), undefined);
  assertEquals(parseMessage("@a=b"), undefined);
  assertEquals(parseMessage(":src"), undefined);
});

Deno.test("unescapeTagValue() decodes every escape and drops a lone trailing backslash", () => {
  assertEquals(unescapeTagValue("a\\:b\\sc\\\\d\\re\\nf"), "a;b c\\d\re\nf");
  assertEquals(unescapeTagValue("x\\"), "x");
  assertEquals(unescapeTagValue("\\b"), "b");
});

Deno.test("escapeTagValue() and unescapeTagValue() round-trip", () => {
  for (const v of ["plain", "a b;c\\d", "\r\n", "", "ünï ; code"]) {
    assertEquals(unescapeTagValue(escapeTagValue(v)), v);
  }
});

Deno.test("parseTags() keeps the last value of a repeated key", () => {
  assertEquals(parseTags("a=1;a=2"), { a: "2" });
});

Deno.test("serializeMessage() round-trips through parseMessage()", () => {
  const cases = [
    "@time=2024-01-01T00:00:00.000Z;+typing=active :n!u@h PRIVMSG #c :hi there",
    ":srv 001 nick :Welcome home",
    "PING token",
    "PRIVMSG #c ::)",
    "TOPIC #c :",
    "@label=a\\sb ACK",
  ];
  for (const line of cases) assertEquals(serializeMessage(parseMessage(line)!), line);
});

Deno.test("serializeMessage() keeps a bad middle parameter from breaking the line", () => {
  const line = serializeMessage({ tags: {}, command: "X", params: ["a b", "", ":c", "end"] });
  assertEquals(line, "X a_b * _c end");
  assertEquals(parseMessage(line)?.params.length, 4);
});

Deno.test("parseTags() removes CR, LF and NUL from tag values, escaped or not", () => {
  assertEquals(parseTags("+draft/reply=a\\rb\\nc;x=1\0;y=\r\n"), {
    "+draft/reply": "abc",
    x: "1",
    y: "",
  });
});

Deno.test("parseMessage() never hands on CR, LF or NUL in a parameter, tag or source", () => {
  assertEquals(
    parseMessage("@t=a\\nb :s\0rc PRIVMSG #c :hi\r:NickServ NOTICE x :forged\n\0"),
    {
      tags: { t: "ab" },
      source: "src",
      command: "PRIVMSG",
      params: ["#c", "hi:NickServ NOTICE x :forged"],
    },
  );
});
