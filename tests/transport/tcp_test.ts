import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { StreamConnection } from "../../lib/transport/tcp.ts";
import { pollAvailable, pollReaders } from "../../lib/transport/socket_poll.ts";
import {
  descriptorMatches,
  directSendCounters,
  directSendFd,
  ipBytes,
  sendNow,
  writePath,
} from "../../lib/transport/socket_send.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A server-side StreamConnection and the raw client socket talking to it. */
async function pair(): Promise<{ server: StreamConnection; peer: Deno.TcpConn; close(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = new StreamConnection(await listener.accept(), "tcp", () => {});
  listener.close();
  return {
    server,
    peer,
    close() {
      server.close();
      try {
        peer.close();
      } catch {
        // closed by the test
      }
    },
  };
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await conn.read(out.subarray(got));
    if (n === null) throw new Error(`end of stream after ${got} of ${length} bytes`);
    got += n;
  }
  return out;
}

const linuxWithFfi = Deno.build.os === "linux" &&
  Deno.permissions.querySync({ name: "ffi" }).state === "granted";

Deno.test({
  name: "an accepted TCP connection sends straight to the socket on Linux with the FFI permission",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    try {
      const line = enc.encode(":srv NOTICE * :hello\r\n");
      const direct = p.server.takeDirectWrite()!;
      ok(direct !== undefined);
      assertEquals(p.server.takeDirectWrite(), undefined, "the direct write has one holder");
      assertEquals(direct(line), line.length);
      assertEquals(dec.decode(await readExactly(p.peer, line.length)), ":srv NOTICE * :hello\r\n");
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name:
    "a direct send takes only what fits; write() delivers the rest, in order, once the peer reads",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    try {
      // the peer does not read, so the kernel's buffers fill: bounded by count
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      let sent = 0;
      let partial: Uint8Array | undefined;
      const direct = p.server.takeDirectWrite()!;
      for (let i = 0; i < 1000 && partial === undefined; i++) {
        const taken = direct(chunk);
        sent += taken;
        if (taken < chunk.length) partial = chunk.subarray(taken);
      }
      ok(partial !== undefined, "the socket buffer never filled");
      const tail = enc.encode("END\r\n");
      const rest = p.server.write(partial!).then(() => p.server.write(tail));
      const all = await readExactly(p.peer, sent + partial!.length + tail.length);
      await rest;
      ok(all.subarray(0, sent + partial!.length).every((b) => b === 0x61));
      assertEquals(dec.decode(all.subarray(sent + partial!.length)), "END\r\n");
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name: "a direct send after close() takes nothing (the descriptor may belong to another socket)",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    const direct = p.server.takeDirectWrite()!;
    p.server.close();
    assertEquals(direct(enc.encode("late\r\n")), 0);
    p.close();
  },
});

Deno.test("directSendFd() gives an accepted socket's descriptor, or -1 where direct sends are not available", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const accepted = await listener.accept();
  try {
    const fd = directSendFd(accepted);
    if (linuxWithFfi) {
      ok(fd >= 0);
      assertEquals(sendNow(fd, enc.encode("x")), 1);
      assertEquals(dec.decode(await readExactly(client, 1)), "x");
    } else assertEquals(fd, -1);
  } finally {
    client.close();
    accepted.close();
    listener.close();
  }
});

Deno.test("a connection without direct sends hands out no direct write (callers use write())", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  // labelled TLS: never a raw socket to send on, whatever the platform
  const conn = new StreamConnection(await listener.accept(), "tls", () => {});
  try {
    assertEquals(conn.takeDirectWrite(), undefined);
    assertEquals(conn.direct, false);
  } finally {
    conn.close();
    client.close();
    listener.close();
  }
});

/** Two accepted connections on one listener, with their clients. */
async function twoAccepted(): Promise<{ a: Deno.Conn; b: Deno.Conn; close(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const ca = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const a = await listener.accept();
  const cb = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const b = await listener.accept();
  listener.close();
  return {
    a,
    b,
    close() {
      for (const c of [a, b, ca, cb]) c.close();
    },
  };
}

/** A stand-in `Deno.Conn` with `real`'s addresses and, as its descriptor, `fd`. */
function withDescriptor(real: Deno.Conn, fd: number): Deno.Conn {
  return {
    localAddr: real.localAddr,
    remoteAddr: real.remoteAddr,
    read: (buf: Uint8Array) => real.read(buf),
    write: (data: Uint8Array) => real.write(data),
    close: () => real.close(),
    setNoDelay: () => {},
    [Symbol("Deno.internal.fd")]: fd,
  } as unknown as Deno.Conn;
}

Deno.test({
  name: "directSendFd() refuses a descriptor that is another connection's socket",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await twoAccepted();
    try {
      const fdB = directSendFd(p.b);
      ok(fdB >= 0);
      ok(descriptorMatches(fdB, p.b.localAddr, p.b.remoteAddr));
      ok(!descriptorMatches(fdB, p.a.localAddr, p.a.remoteAddr));
      const before = directSendCounters.mismatched;
      // a's addresses, b's descriptor: sending there would give a's lines to b's client
      assertEquals(directSendFd(withDescriptor(p.a, fdB)), -1);
      assertEquals(directSendCounters.mismatched, before + 1);
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name: "directSendFd() refuses a descriptor that is not an open socket",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await twoAccepted();
    try {
      assertEquals(directSendFd(withDescriptor(p.a, 1_000_000)), -1);
      assertEquals(directSendFd(withDescriptor(p.a, 0x7fff_ffff)), -1);
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name: "a StreamConnection whose descriptor does not match takes the ordinary write path",
  ignore: !linuxWithFfi,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const ca = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const a = await listener.accept();
    const cb = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const b = await listener.accept();
    listener.close();
    const fdB = directSendFd(b);
    const conn = new StreamConnection(withDescriptor(a, fdB), "tcp", () => {});
    try {
      assertEquals(conn.direct, false);
      assertEquals(conn.takeDirectWrite(), undefined);
      // the ordinary write still reaches a's own client, and nothing reaches b's
      await conn.write(enc.encode("to a\r\n"));
      assertEquals(dec.decode(await readExactly(ca, 6)), "to a\r\n");
    } finally {
      conn.close();
      for (const c of [b, ca, cb]) c.close();
    }
  },
});

Deno.test("writePath() names the path accepted TCP connections use here", () => {
  assertEquals(writePath(), linuxWithFfi ? "direct send(2)" : "Deno write");
});

Deno.test("ipBytes() reads IPv4 and IPv6 text forms, and nothing else", () => {
  assertEquals([...ipBytes("127.0.0.1")!], [127, 0, 0, 1]);
  assertEquals([...ipBytes("::1")!], [...new Array(15).fill(0), 1]);
  assertEquals(
    [...ipBytes("::ffff:10.0.0.2")!],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2],
  );
  assertEquals([...ipBytes("fe80::1%eth0")!].slice(0, 2), [0xfe, 0x80]);
  assertEquals([...ipBytes("1:2:3:4:5:6:7:8")!].slice(14), [0, 8]);
  for (const bad of ["localhost", "1.2.3", "256.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", ":::"]) {
    assertEquals(ipBytes(bad), undefined, bad);
  }
});

Deno.test({
  name: "input is read through the shared epoll: lines split across reads, handler awaited, " +
    "end of input when the peer closes",
  ignore: !linuxWithFfi,
  fn: async () => {
    ok(pollAvailable());
    const p = await pair();
    const before = pollReaders();
    const lines: string[] = [];
    let release!: () => void;
    let held!: () => void;
    const heldLine = new Promise<void>((r) => held = r);
    const reading = p.server.readLines((line) => {
      lines.push(line.kind === "too-long" ? "<too long>" : `${line.kind}:${line.text}`);
      if (lines.length === 1) {
        held();
        // the next line must wait for this one (backpressure)
        return new Promise<void>((r) => release = r);
      }
    });
    try {
      assertEquals(pollReaders(), before + 1, "one reader, no pending read of its own");
      await p.peer.write(enc.encode("NICK a\r\nUSER a 0 * :A"));
      await heldLine;
      assertEquals(lines, ["line:NICK a"]);
      await p.peer.write(enc.encode(" B\r\nPING :x\r\n"));
      // nothing is handed on while the first line's handler has not finished
      await new Promise((r) => setTimeout(r, 50));
      assertEquals(lines, ["line:NICK a"]);
      release();
      p.peer.close();
      await reading;
      assertEquals(lines, ["line:NICK a", "line:USER a 0 * :A B", "line:PING :x"]);
      assertEquals(pollReaders(), before, "the reader stopped at the end of input");
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name: "close() ends a polled read at once and takes the socket out of the epoll",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    const before = pollReaders();
    const reading = p.server.readLines(() => {});
    assertEquals(pollReaders(), before + 1);
    p.server.close();
    await reading;
    assertEquals(pollReaders(), before);
    p.close();
  },
});

Deno.test({
  name: "a TLS handshake on the plain-text port gets the alert, then the end (polled read)",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    try {
      const seen: unknown[] = [];
      const reading = p.server.readLines((line) => {
        seen.push(line);
      });
      await p.peer.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
      const alert = await readExactly(p.peer, 7);
      assertEquals([...alert], [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);
      assertEquals(await p.peer.read(new Uint8Array(16)), null);
      await reading;
      assertEquals(seen, []);
    } finally {
      p.close();
    }
  },
});

Deno.test({
  name: "a polled read hands on a line longer than one read (tags near the limit) whole",
  ignore: !linuxWithFfi,
  fn: async () => {
    const p = await pair();
    try {
      const lines: string[] = [];
      let got!: () => void;
      const both = new Promise<void>((r) => got = r);
      const reading = p.server.readLines((line) => {
        lines.push(line.kind === "line" ? line.text : line.kind);
        if (lines.length === 2) got();
      });
      const long = `@+x=${"a".repeat(4000)} PRIVMSG #c :${"b".repeat(400)}`;
      await p.peer.write(enc.encode(`${long}\r\nPING :y\r\n`));
      await both;
      assertEquals(lines, [long, "PING :y"]);
      p.peer.close();
      await reading;
    } finally {
      p.close();
    }
  },
});

Deno.test("without a usable descriptor input is read the ordinary way: lines, TLS knock", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const peer2 = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const real = await listener.accept();
  const real2 = await listener.accept();
  listener.close();
  // -1: no descriptor, so no direct sends and no polled reads
  const conn = new StreamConnection(withDescriptor(real, -1), "tcp", () => {});
  const conn2 = new StreamConnection(withDescriptor(real2, -1), "tcp", () => {});
  try {
    const before = pollReaders();
    const lines: string[] = [];
    const reading = conn.readLines((line) => {
      lines.push(line.kind === "line" ? line.text : line.kind);
    });
    assertEquals(pollReaders(), before);
    await peer.write(enc.encode("NICK a\r\nPING :x\r\n"));
    peer.close();
    await reading;
    assertEquals(lines, ["NICK a", "PING :x"]);

    const reading2 = conn2.readLines(() => {});
    await peer2.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    const alert = await readExactly(peer2, 7);
    assertEquals([...alert], [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);
    await reading2;
    assertEquals(await peer2.read(new Uint8Array(16)), null);
  } finally {
    conn.close();
    conn2.close();
    try {
      peer2.close();
    } catch {
      // closed
    }
  }
});
