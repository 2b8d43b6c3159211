import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { StreamConnection } from "../../lib/transport/tcp.ts";
import { directSendFd, sendNow } from "../../lib/transport/socket_send.ts";

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
      assertEquals(p.server.tryWrite, p.server.sendDirect);
      assertEquals(p.server.tryWrite!(line), line.length);
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
      for (let i = 0; i < 1000 && partial === undefined; i++) {
        const taken = p.server.sendDirect(chunk);
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

Deno.test("a direct send after close() takes nothing (the descriptor may belong to another socket)", async () => {
  const p = await pair();
  p.server.close();
  assertEquals(p.server.sendDirect(enc.encode("late\r\n")), 0);
  p.close();
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

Deno.test("a connection without direct sends has no tryWrite (callers use write())", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  // labelled TLS: never a raw socket to send on, whatever the platform
  const conn = new StreamConnection(await listener.accept(), "tls", () => {});
  try {
    assertEquals(conn.tryWrite, undefined);
    assertEquals(conn.sendDirect(enc.encode("x")), 0);
  } finally {
    conn.close();
    client.close();
    listener.close();
  }
});
