import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { LineFramer } from "../../lib/protocol/framer.ts";
import type { FramedLine } from "../../lib/protocol/framer.ts";
import { readRequestHead, responseHead } from "../../lib/transport/http1.ts";
import {
  acceptKey,
  chooseSubprotocol,
  encodeFrame,
  frameToLine,
  splitLines,
  WebSocketConnection,
  type WsMode,
} from "../../lib/transport/websocket.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("chooseSubprotocol() prefers text.ircv3.net, accepts binary, refuses strangers", () => {
  assertEquals(chooseSubprotocol("binary.ircv3.net, text.ircv3.net"), {
    mode: "text",
    protocol: "text.ircv3.net",
  });
  assertEquals(chooseSubprotocol("binary.ircv3.net"), {
    mode: "binary",
    protocol: "binary.ircv3.net",
  });
  assertEquals(chooseSubprotocol(null), { mode: "text", protocol: undefined });
  assertEquals(chooseSubprotocol(""), { mode: "text", protocol: undefined });
  assertEquals(chooseSubprotocol("chat, superchat"), undefined);
});

Deno.test("frameToLine() applies the TCP line limits and decoding", async (t) => {
  await t.step("a plain frame is one line; a trailing CRLF is tolerated", () => {
    const f = new LineFramer();
    assertEquals(frameToLine(f, "NICK a"), { kind: "line", text: "NICK a" });
    assertEquals(frameToLine(f, "NICK b\r\n"), { kind: "line", text: "NICK b" });
    assertEquals(frameToLine(f, enc.encode("NICK c\n")), { kind: "line", text: "NICK c" });
  });
  await t.step("a body over 512 bytes (with CRLF) is too long, exactly 510 is not", () => {
    const f = new LineFramer();
    const ok510 = "PRIVMSG #a :" + "x".repeat(510 - 12);
    assertEquals(frameToLine(f, ok510), { kind: "line", text: ok510 });
    assertEquals(frameToLine(f, ok510 + "y"), { kind: "too-long" });
    // the framer is not left discarding: the next frame is fine
    assertEquals(frameToLine(f, "PING x"), { kind: "line", text: "PING x" });
  });
  await t.step("tags get their own 4096-byte allowance", () => {
    const f = new LineFramer();
    const tags = "@+a=" + "t".repeat(4091) + " "; // 4096 bytes
    assertEquals(frameToLine(f, tags + "TAGMSG #a")?.kind, "line");
    assertEquals(frameToLine(f, "@+a=" + "t".repeat(4092) + " TAGMSG #a"), { kind: "too-long" });
  });
  await t.step("a huge frame is too long without being buffered", () => {
    const f = new LineFramer();
    assertEquals(frameToLine(f, "x".repeat(1 << 20)), { kind: "too-long" });
    assertEquals(frameToLine(f, new Uint8Array(1 << 20).fill(65)), { kind: "too-long" });
    assertEquals(f.buffered, 0);
  });
  await t.step("bad UTF-8 in a binary frame becomes U+FFFD", () => {
    const f = new LineFramer();
    const bytes = new Uint8Array([...enc.encode("PRIVMSG #a :"), 0xff, 0xfe, 0x41]);
    assertEquals(frameToLine(f, bytes), { kind: "line", text: "PRIVMSG #a :\ufffd\ufffdA" });
  });
  await t.step("a line break inside a frame drops the frame (one frame, one message)", () => {
    const f = new LineFramer();
    assertEquals(frameToLine(f, "PRIVMSG #a :x\r\nQUIT"), undefined);
    assertEquals(frameToLine(f, "PRIVMSG #a :x\rQUIT"), undefined);
  });
});

Deno.test("splitLines() cuts CRLF-separated output into one piece per line", () => {
  const parts = splitLines(enc.encode("A\r\nB C\r\n\r\nD\n")).map((b) => dec.decode(b));
  assertEquals(parts, ["A", "B C", "D"]);
  assertEquals(splitLines(new Uint8Array()), []);
});

/** A WebSocket server on 127.0.0.1 whose one connection is a WebSocketConnection. */
async function pair(mode: WsMode) {
  const { promise: accepted, resolve } = Promise.withResolvers<WebSocketConnection>();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const protocol = mode === "text" ? "text.ircv3.net" : "binary.ircv3.net";
  (async () => {
    const raw = await listener.accept();
    const got = await readRequestHead(raw, new Uint8Array(), 16384);
    if (got.kind !== "head") throw new Error("no request head");
    const key = await acceptKey(got.head.headers.get("sec-websocket-key")!);
    await raw.write(responseHead(101, [
      ["upgrade", "websocket"],
      ["connection", "Upgrade"],
      ["sec-websocket-accept", key],
      ["sec-websocket-protocol", protocol],
    ]));
    const remote = (raw.remoteAddr as Deno.NetAddr).hostname;
    resolve(new WebSocketConnection(raw, remote, mode, { pending: got.rest }));
  })();
  const server = {
    addr: listener.addr as Deno.NetAddr,
    shutdown: () => Promise.resolve(listener.close()),
  };
  const client = new WebSocket(
    `ws://127.0.0.1:${server.addr.port}/`,
    mode === "text" ? "text.ircv3.net" : "binary.ircv3.net",
  );
  client.binaryType = "arraybuffer";
  const frames: (string | Uint8Array)[] = [];
  const waiters: (() => void)[] = [];
  const { promise: clientClosed, resolve: closedResolve } = Promise.withResolvers<void>();
  client.addEventListener("message", (ev) => {
    frames.push(typeof ev.data === "string" ? ev.data : new Uint8Array(ev.data));
    waiters.splice(0).forEach((w) => w());
  });
  client.addEventListener("close", () => closedResolve());
  await new Promise((r) => client.addEventListener("open", r, { once: true }));
  const conn = await accepted;
  const frameCount = async (n: number) => {
    const deadline = Date.now() + 5000;
    while (frames.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${frames.length} frames`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };
  return {
    client,
    conn,
    frames,
    frameCount,
    clientClosed,
    async stop() {
      conn.close();
      if (client.readyState !== WebSocket.CLOSED) client.close();
      await clientClosed;
      await server.shutdown();
    },
  };
}

Deno.test("WebSocketConnection.write() sends one text frame per line, without CRLF", async () => {
  const p = await pair("text");
  try {
    assertEquals(p.conn.kind, "websocket");
    assertEquals(p.conn.remoteAddress, "127.0.0.1");
    await p.conn.write(enc.encode(":s 001 a :Welcome\r\n:s 002 a :Host\r\nPING :x\r\n"));
    await p.frameCount(3);
    assertEquals(p.frames, [":s 001 a :Welcome", ":s 002 a :Host", "PING :x"]);
  } finally {
    await p.stop();
  }
});

Deno.test("WebSocketConnection in binary mode sends and reads binary frames", async () => {
  const p = await pair("binary");
  try {
    await p.conn.write(enc.encode("A\r\nB\r\n"));
    await p.frameCount(2);
    assertEquals(p.frames.map((f) => (f instanceof Uint8Array ? dec.decode(f) : "TEXT")), [
      "A",
      "B",
    ]);
    const got: FramedLine[] = [];
    const reading = p.conn.readLines((l) => {
      got.push(l);
    });
    p.client.send(new Uint8Array([...enc.encode("PRIVMSG #a :"), 0xc3, 0x28]));
    p.client.send(enc.encode("QUIT"));
    const deadline = Date.now() + 5000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assertEquals(got, [
      { kind: "line", text: "PRIVMSG #a :\ufffd(" },
      { kind: "line", text: "QUIT" },
    ]);
    p.conn.close();
    await reading;
  } finally {
    await p.stop();
  }
});

Deno.test("WebSocketConnection.readLines() hands frames in order and ends when the peer closes", async () => {
  const p = await pair("text");
  try {
    const got: FramedLine[] = [];
    const reading = p.conn.readLines(async (l) => {
      // a slow handler: frames keep arriving meanwhile and must stay in order
      await new Promise((r) => setTimeout(r, 5));
      got.push(l);
    });
    p.client.send("NICK a");
    p.client.send("x".repeat(600));
    p.client.send("USER a 0 * :A\r\n");
    p.client.send("BAD\nLINE");
    p.client.send("PING :end");
    p.client.close();
    await reading;
    assertEquals(got, [
      { kind: "line", text: "NICK a" },
      { kind: "too-long" },
      { kind: "line", text: "USER a 0 * :A" },
      { kind: "line", text: "PING :end" },
    ]);
    await rejects(p.conn.write(enc.encode("PING :late\r\n")));
  } finally {
    await p.stop();
  }
});

Deno.test("WebSocketConnection skips a message longer than an IRC line without storing it", async () => {
  const p = await pair("text");
  try {
    const got: FramedLine[] = [];
    const reading = p.conn.readLines((l) => {
      got.push(l);
    });
    // 8 MiB: far past any IRC line, so it is 417 material whatever it holds
    p.client.send("PRIVMSG #a :" + "y".repeat(8 << 20));
    p.client.send("PING :after");
    const deadline = Date.now() + 10000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assertEquals(got, [{ kind: "too-long" }, { kind: "line", text: "PING :after" }]);
    p.conn.close();
    await reading;
  } finally {
    await p.stop();
  }
});

Deno.test("encodeFrame() uses the 16- and 64-bit length forms of RFC 6455", () => {
  assertEquals([...encodeFrame(1, new Uint8Array(125)).subarray(0, 2)], [0x81, 125]);
  assertEquals([...encodeFrame(2, new Uint8Array(300)).subarray(0, 4)], [0x82, 126, 1, 44]);
  assertEquals(
    [...encodeFrame(2, new Uint8Array(70000)).subarray(0, 10)],
    [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70],
  );
});

Deno.test("WebSocketConnection.close() is safe twice and ends a pending read", async () => {
  const p = await pair("text");
  try {
    const reading = p.conn.readLines(() => {});
    p.conn.close();
    p.conn.close();
    await reading;
    await p.clientClosed;
  } finally {
    await p.stop();
  }
});

/** The server side of a WebSocket over a raw TCP pair, and the client's raw socket. */
async function rawPair(options = {}) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const raw = await listener.accept();
  listener.close();
  const conn = new WebSocketConnection(raw, "127.0.0.1", "text", options);
  const got: FramedLine[] = [];
  const reading = conn.readLines((l) => {
    got.push(l);
  });
  const buf = new Uint8Array(1024);
  /** Reads what the server sent within 5 s (null once it closed). */
  const receive = async (): Promise<Uint8Array | null> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      client.read(buf),
      new Promise<null>((_, j) => (timer = setTimeout(() => j(new Error("no reply")), 5000))),
    ]).finally(() => clearTimeout(timer));
    return n === null ? null : buf.slice(0, n);
  };
  return { client, conn, got, reading, receive };
}

/** A client frame: FIN, the opcode, masked with a fixed key unless `mask` is false. */
function clientFrame(opcode: number, payload: Uint8Array, mask = true): Uint8Array {
  const key = [1, 2, 3, 4];
  const out = new Uint8Array(2 + (mask ? 4 : 0) + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = (mask ? 0x80 : 0) | payload.length;
  if (mask) out.set(key, 2);
  const at = mask ? 6 : 2;
  for (let i = 0; i < payload.length; i++) out[at + i] = payload[i] ^ (mask ? key[i & 3] : 0);
  return out;
}

Deno.test("WebSocketConnection answers a ping with a pong and reads a masked text frame", async () => {
  const p = await rawPair({ pingIntervalMs: 0 });
  try {
    await p.client.write(clientFrame(9, enc.encode("hb")));
    assertEquals([...(await p.receive())!], [0x8a, 2, ...enc.encode("hb")]);
    await p.client.write(clientFrame(1, enc.encode("PING :x")));
    const deadline = Date.now() + 5000;
    while (p.got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assertEquals(p.got, [{ kind: "line", text: "PING :x" }]);
  } finally {
    p.conn.close();
    await p.reading;
    p.client.close();
  }
});

Deno.test("WebSocketConnection closes with 1002 on an unmasked frame and 1007 on bad UTF-8 text", async () => {
  for (
    const [frame, code] of [
      [clientFrame(1, enc.encode("NICK a"), false), 1002],
      [clientFrame(1, new Uint8Array([0x41, 0xc3, 0x28])), 1007],
    ] as const
  ) {
    const p = await rawPair({ pingIntervalMs: 0 });
    try {
      await p.client.write(frame);
      assertEquals([...(await p.receive())!], [0x88, 2, code >> 8, code & 0xff]);
      assertEquals(await p.receive(), null);
      await p.reading;
      assertEquals(p.got, []);
    } finally {
      p.conn.close();
      p.client.close();
    }
  }
});

Deno.test("WebSocketConnection sends a keep-alive ping while the connection is quiet", async () => {
  const p = await rawPair({ pingIntervalMs: 50 });
  try {
    assertEquals([...(await p.receive())!].slice(0, 2), [0x89, 0]);
  } finally {
    p.conn.close();
    await p.reading;
    p.client.close();
  }
});
