import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseRequestHead, readRequestHead, responseHead } from "../../lib/transport/http1.ts";

const enc = new TextEncoder();

/** A reader that hands out `text` in pieces of at most `piece` bytes. */
function reader(text: string, piece = 7) {
  let data = enc.encode(text);
  return {
    read(buf: Uint8Array): Promise<number | null> {
      if (data.length === 0) return Promise.resolve(null);
      const n = Math.min(buf.length, data.length, piece);
      buf.set(data.subarray(0, n));
      data = data.subarray(n);
      return Promise.resolve(n);
    },
  };
}

Deno.test("readRequestHead() reads a head that arrives in pieces and keeps what follows", async () => {
  const got = await readRequestHead(
    // the last piece holds the head's end and the first bytes of what follows
    reader("GET /irc?x=1 HTTP/1.1\r\nHost: a:1\r\nUpgrade: websocket\r\n\r\nAB", 31),
    new Uint8Array(),
    16384,
  );
  if (got.kind !== "head") throw new Error(got.kind);
  assertEquals([got.head.method, got.head.target, got.head.version], [
    "GET",
    "/irc?x=1",
    "HTTP/1.1",
  ]);
  assertEquals(got.head.headers.get("upgrade"), "websocket");
  assertEquals(new TextDecoder().decode(got.rest), "AB");
});

Deno.test("readRequestHead() refuses a head over the limit, and says eof for a half one", async () => {
  const long = "GET / HTTP/1.1\r\n" + "X-Pad: aaaaaaaaaaaaaaaa\r\n".repeat(1000) + "\r\n";
  assertEquals(
    (await readRequestHead(reader(long, 4096), new Uint8Array(), 16384)).kind,
    "too-large",
  );
  assertEquals(
    (await readRequestHead(reader("GET / HTTP/1.1\r\nHo"), new Uint8Array(), 16384)).kind,
    "eof",
  );
});

Deno.test("parseRequestHead() refuses folding, spaces before the colon and odd request lines", () => {
  assertEquals(parseRequestHead("GET / HTTP/1.1\r\n X: folded"), "bad header name");
  assertEquals(parseRequestHead("GET / HTTP/1.1\r\nHost : a"), "bad header name");
  assertEquals(parseRequestHead("GET / HTTP/2.0"), "bad request line");
  assertEquals(parseRequestHead("get / HTTP/1.1"), "bad request line");
});

Deno.test("responseHead() keeps a value with a line break on one line", () => {
  assertEquals(
    new TextDecoder().decode(responseHead(200, [["x", "a\r\nSet-Cookie: b"]])),
    "HTTP/1.1 200 OK\r\nx: a  Set-Cookie: b\r\n\r\n",
  );
});
