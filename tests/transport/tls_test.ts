/**
 * The TLS port's own resources: a peer that connects and never completes the handshake must
 * cost nothing once the handshake timeout has passed (finding 3 of issue 18: the socket used
 * to stay ESTABLISHED after "handshake timed out; closed").
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { acceptLoop } from "../../lib/transport/accept.ts";
import { listenTls, TlsConnection } from "../../lib/transport/tls.ts";
import { loadOrCreateCertificate } from "../../lib/tls/certificate.ts";

const openFds = () => [...Deno.readDirSync("/proc/self/fd")].length;

Deno.test({
  name: "TlsConnection closes every socket of a peer that never completes its handshake",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "deno-chat-tls-" });
    const cert = await loadOrCreateCertificate(dir, {});
    const log: string[] = [];
    const listener = listenTls({
      hostname: "127.0.0.1",
      port: 0,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      handshakeTimeoutMs: 300,
    });
    const conns: TlsConnection[] = [];
    const loop = acceptLoop(listener, (raw) => {
      const conn = new TlsConnection(raw, (l) => log.push(l));
      conns.push(conn);
      conn.readLines(() => {});
    });
    const port = (listener.addr as Deno.NetAddr).port;
    const N = 20;
    const before = openFds();
    const clients: Deno.Conn[] = [];
    try {
      for (let i = 0; i < N; i++) clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      // each client side reads end of input once the server has really closed its socket
      const results = await Promise.all(clients.map((c) =>
        Promise.race([
          c.read(new Uint8Array(16)).catch(() => null),
          new Promise((r) => setTimeout(() => r("still open"), 5000)),
        ])
      ));
      assertEquals(results, Array(N).fill(null));
      assertEquals(log.length, N);
      ok(log.every((l) => l.endsWith("failed: handshake timed out; closed")), log[0]);
      for (const c of clients) c.close();
      clients.length = 0;
      // the server's own descriptors (public socket, relay pair, TLS stream) are all gone
      const deadline = Date.now() + 5000;
      while (openFds() > before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      ok(openFds() <= before, `descriptors: ${before} before, ${openFds()} after`);

      // and the port still serves a real TLS client
      const good = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [cert.certPem] });
      await good.handshake();
      good.close();
    } finally {
      for (const c of clients) c.close();
      for (const c of conns) c.close();
      listener.close();
      await loop;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
