import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LineFramer } from "../../lib/protocol/framer.ts";

const enc = new TextEncoder();
const texts = (lines: ReturnType<LineFramer["push"]>) =>
  lines.map((l) => (l.kind === "line" ? l.text : `<${l.kind}>`));

Deno.test("LineFramer splits on CRLF and on bare LF", () => {
  const f = new LineFramer();
  assertEquals(texts(f.push(enc.encode("A\r\nB\nC\r\n"))), ["A", "B", "C"]);
});

Deno.test("LineFramer keeps a partial line across reads", () => {
  const f = new LineFramer();
  assertEquals(texts(f.push(enc.encode("PRIV"))), []);
  assertEquals(f.buffered, 4);
  assertEquals(texts(f.push(enc.encode("MSG #a :x\r"))), []);
  assertEquals(texts(f.push(enc.encode("\n"))), ["PRIVMSG #a :x"]);
});

Deno.test("LineFramer decodes invalid UTF-8 with replacement characters", () => {
  const f = new LineFramer();
  const bytes = new Uint8Array([0x61, 0xff, 0xfe, 0x62, 0x0a]);
  assertEquals(texts(f.push(bytes)), ["a\ufffd\ufffdb"]);
});

Deno.test("LineFramer reassembles a UTF-8 character split across reads", () => {
  const f = new LineFramer();
  const bytes = enc.encode("é\n");
  f.push(bytes.subarray(0, 1));
  assertEquals(texts(f.push(bytes.subarray(1))), ["é"]);
});

Deno.test("LineFramer accepts a 510-byte body and rejects 511", () => {
  const f = new LineFramer();
  assertEquals(texts(f.push(enc.encode("x".repeat(510) + "\r\n"))), ["x".repeat(510)]);
  assertEquals(texts(f.push(enc.encode("x".repeat(511) + "\r\n"))), ["<too-long>"]);
});

Deno.test("LineFramer allows 4094 bytes of client tag data on top of the body, not 4095", () => {
  const f = new LineFramer();
  const tags = "@" + "a".repeat(4094) + " "; // 4096 bytes with '@' and the space
  assertEquals(texts(f.push(enc.encode(tags + "PING x\r\n"))).length, 1);
  assertEquals(texts(f.push(enc.encode(tags + "PING x\r\n")))[0] !== "<too-long>", true);
  const tooMany = "@" + "a".repeat(4095) + " ";
  assertEquals(texts(f.push(enc.encode(tooMany + "PING x\r\n"))), ["<too-long>"]);
});

Deno.test("LineFramer bounds its buffer for a line with no end and recovers at the next LF", () => {
  const f = new LineFramer();
  const out = f.push(enc.encode("y".repeat(20000)));
  assertEquals(texts(out), ["<too-long>"]);
  assertEquals(f.buffered, 0);
  assertEquals(texts(f.push(enc.encode("y".repeat(5000)))), []);
  assertEquals(f.buffered, 0);
  assertEquals(texts(f.push(enc.encode("tail\nPING ok\n"))), ["PING ok"]);
});

Deno.test("LineFramer refuses a line with a bare CR (a line break to some receivers)", () => {
  const f = new LineFramer();
  const out = f.push(
    enc.encode("PRIVMSG #c :hi\r:NickServ!NickServ@services. NOTICE bob :x\r\nPING a\r\n"),
  );
  assertEquals(out, [
    { kind: "bad-char", text: "PRIVMSG #c :hi:NickServ!NickServ@services. NOTICE bob :x" },
    { kind: "line", text: "PING a" },
  ]);
  // the CR of a CRLF split across reads is still a line end, not a bare CR
  assertEquals(texts(f.push(enc.encode("PING b\r"))), []);
  assertEquals(texts(f.push(enc.encode("\n"))), ["PING b"]);
  assertEquals(texts(f.push(enc.encode("PING c\r\r\n"))), ["<bad-char>"]);
});

Deno.test("LineFramer refuses a NUL anywhere: parameters, tags, the verb", () => {
  const f = new LineFramer();
  const lines = [
    "PRIVMSG #c :a\0b",
    "@+draft/reply=x\0y PRIVMSG #c :t",
    "PRI\0VMSG #c :t",
    "@a=\r PING x",
  ];
  const out = f.push(enc.encode(lines.map((l) => l + "\r\n").join("")));
  assertEquals(out.map((l) => l.kind), ["bad-char", "bad-char", "bad-char", "bad-char"]);
  assertEquals(out[0], { kind: "bad-char", text: "PRIVMSG #c :ab" });
});
