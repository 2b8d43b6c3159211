import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { startServer } from "../helpers/server_process.ts";

Deno.test("with TLS on, the web chat is served over HTTPS and WSS with the same certificate", async () => {
  const server = await startServer([], undefined, { web: true, tls: true });
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(join(server.dataDir, "tls", "cert.pem"))],
  });
  try {
    await server.waitForOutput(/^web chat: https:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(`https://127.0.0.1:${server.httpPort}/healthz`, { client });
    assertEquals(res.status, 200);
    assertEquals((await res.text()).trim(), "ok");

    // a WebSocket upgrade over TLS, checked at the HTTP level
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.httpPort,
      caCerts: [await Deno.readTextFile(join(server.dataDir, "tls", "cert.pem"))],
    });
    try {
      const key = btoa("0123456789abcdef");
      await conn.write(new TextEncoder().encode(
        `GET /irc HTTP/1.1\r\nHost: 127.0.0.1:${server.httpPort}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: text.ircv3.net\r\n\r\n`,
      ));
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      match(head, /^HTTP\/1\.1 101 /);
      match(head, /sec-websocket-protocol: text\.ircv3\.net/i);
    } finally {
      conn.close();
    }

    // plain HTTP on the HTTPS port does not get the app
    const plain = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`).then(
      (r) => r.status,
      () => "refused",
    );
    ok(plain !== 200, `plain HTTP answered ${plain}`);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("--no-web-tls keeps the web chat on plain HTTP while IRC has TLS", async () => {
  const server = await startServer(["--no-web-tls"], undefined, { web: true, tls: true });
  try {
    await server.waitForOutput(/^web chat: http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.stop();
  }
});
