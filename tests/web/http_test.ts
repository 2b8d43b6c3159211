import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

/** A raw IRC-over-WebSocket client (what any web IRC client does). */
class WsClient {
  readonly lines: string[] = [];
  #cursor = 0;
  #wake: (() => void)[] = [];
  closed = false;
  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => {
      this.lines.push(String(ev.data));
      this.#wake.splice(0).forEach((w) => w());
    });
    ws.addEventListener("close", () => {
      this.closed = true;
      this.#wake.splice(0).forEach((w) => w());
    });
  }
  static async open(port: number, protocol = "text.ircv3.net"): Promise<WsClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/irc`, protocol);
    const c = new WsClient(ws);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", () => reject(new Error("websocket failed")), { once: true });
    });
    return c;
  }
  send(...lines: string[]) {
    for (const l of lines) this.ws.send(l);
  }
  async expect(re: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.#cursor < this.lines.length) {
        const l = this.lines[this.#cursor++];
        if (re.test(l)) return l;
      }
      if (this.closed) throw new Error(`closed waiting for ${re}: ${this.lines.slice(-5)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}: ${this.lines.slice(-5)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  async close() {
    if (!this.closed) {
      const done = new Promise((r) => this.ws.addEventListener("close", r, { once: true }));
      this.ws.close();
      await done;
    }
  }
}

/** A read that gives up (null) after `ms`, so a server that never answers fails the test. */
async function readWithin(conn: Deno.Conn, buf: Uint8Array, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      conn.read(buf),
      new Promise<null>((r) => (timer = setTimeout(() => r(null), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a hand-made HTTP upgrade request and returns the status line (or all it read). */
async function rawUpgrade(
  port: number,
  headers: Record<string, string>,
  whole = false,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const { Host: host = `127.0.0.1:${port}`, ...rest } = headers;
    headers = rest;
    const req = [
      "GET /irc HTTP/1.1",
      `Host: ${host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      "",
      "",
    ].join("\r\n");
    await conn.write(new TextEncoder().encode(req));
    const buf = new Uint8Array(4096);
    let text = "";
    // the head, and with `whole` the body its content-length announces
    for (;;) {
      const end = text.indexOf("\r\n\r\n");
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? 0);
      if (end !== -1 && (!whole || text.length >= end + 4 + length)) break;
      const n = await readWithin(conn, buf, 5000);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return whole ? text : text.split("\r\n")[0];
  } finally {
    conn.close();
  }
}

Deno.test("web server: app files, headers, healthz, metrics and the WebSocket endpoint", async (t) => {
  const server = await startServer([], undefined, { web: true });
  const base = `http://127.0.0.1:${server.httpPort}`;
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    ok(server.output.some((l) => l === `web chat listening on 127.0.0.1:${server.httpPort}`));

    await t.step("the app is served with its content type, CSP and revalidation", async () => {
      const res = await fetch(`${base}/`);
      const body = await res.text();
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type"), "text/html; charset=utf-8");
      match(res.headers.get("content-security-policy")!, /default-src 'self'/);
      match(res.headers.get("content-security-policy")!, /script-src 'self'(;|$)/);
      assertEquals(res.headers.get("x-content-type-options"), "nosniff");
      assertEquals(res.headers.get("cache-control"), "no-cache");
      ok(body.includes('<script type="module" src="/lib/web/static/app.ts">'));
      ok(!/<script>/.test(body) && !/ on[a-z]+=/.test(body), "no inline script or handlers");
      const again = await fetch(`${base}/`, {
        headers: { "if-none-match": res.headers.get("etag")! },
      });
      await again.body?.cancel();
      assertEquals(again.status, 304);
    });

    await t.step("TypeScript modules are served as JavaScript with types stripped", async () => {
      for (
        const path of [
          "/lib/web/static/app.ts",
          "/lib/web/static/model.ts",
          "/lib/web/static/irc_socket.ts",
          "/lib/shared/input_commands.ts",
          "/lib/shared/numeric_text.ts",
          "/lib/protocol/message.ts",
        ]
      ) {
        const res = await fetch(base + path);
        const js = await res.text();
        assertEquals(res.headers.get("content-type"), "text/javascript; charset=utf-8", path);
        ok(!/: string\b|\binterface\b/.test(js.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")), path);
      }
      for (
        const [path, type] of [
          ["/lib/web/static/style.css", "text/css"],
          ["/lib/web/static/favicon.svg", "image/svg+xml"],
        ]
      ) {
        const res = await fetch(base + path);
        await res.body?.cancel();
        ok(res.headers.get("content-type")!.startsWith(type), path);
      }
    });

    await t.step("unknown paths are 404, other methods 405, plain GET /irc is 426", async () => {
      for (
        const [path, init, status] of [
          ["/nope", {}, 404],
          ["/../server.ts", {}, 404],
          // only the app, lib/shared and lib/protocol are served: not the server, not the tree
          ["/server.ts", {}, 404],
          ["/app.ts", {}, 404],
          ["/lib/server/server.ts", {}, 404],
          ["/lib/server/accounts.ts", {}, 404],
          ["/lib/auth/password.ts", {}, 404],
          ["/lib/web/server.ts", {}, 404],
          ["/lib/web/static/../../server/server.ts", {}, 404],
          ["/lib/web/static/%2e%2e/%2e%2e/server/server.ts", {}, 404],
          ["/lib/web/static/..%2f..%2fserver%2fserver.ts", {}, 404],
          ["/lib/shared/", {}, 404],
          ["/lib/", {}, 404],
          ["/deno.json", {}, 404],
          ["/lib/web/static/index.html/", {}, 404],
          ["/", { method: "POST", body: "x" }, 405],
          ["/irc", {}, 426],
        ] as const
      ) {
        const res = await fetch(base + path, init);
        await res.body?.cancel();
        assertEquals(res.status, status, path);
        ok(res.headers.get("content-security-policy"), path);
      }
    });

    await t.step("/healthz says ok", async () => {
      const res = await fetch(`${base}/healthz`);
      assertEquals([res.status, await res.text()], [200, "ok\n"]);
      assertEquals(res.headers.get("cache-control"), "no-store");
    });

    let ws!: WsClient;
    let tcp!: TestClient;
    await t.step("a WebSocket client and a TCP client chat in one channel", async () => {
      ws = await WsClient.open(server.httpPort);
      cleanup.push(() => ws.close());
      tcp = await TestClient.connect(server.port);
      cleanup.push(() => tcp.close());
      await tcp.register("tcpuser");
      ws.send("CAP LS 302", "NICK wsuser", "USER ws 0 * :WS", "CAP REQ :server-time", "CAP END");
      await ws.expect(/ 001 wsuser /);
      ws.send("JOIN #mix");
      await ws.expect(/ 366 wsuser #mix /);
      tcp.send("JOIN #mix");
      await tcp.expect(/ 366 tcpuser #mix /);
      ws.send("PRIVMSG #mix :hello from the browser side");
      await tcp.expect(/^:wsuser!\S+ PRIVMSG #mix :hello from the browser side$/);
      tcp.send("PRIVMSG #mix :hello from tcp", "PRIVMSG wsuser :psst");
      match(
        await ws.expect(/PRIVMSG #mix/),
        /^@time=\S+ :tcpuser!\S+ PRIVMSG #mix :hello from tcp$/,
      );
      await ws.expect(/^@time=\S+ :tcpuser!\S+ PRIVMSG wsuser :psst$/);
      // no frame carries a line ending
      ok(ws.lines.every((l) => !/[\r\n]/.test(l)));
    });

    await t.step("an oversized frame gets 417, like an overlong TCP line", async () => {
      ws.send("PRIVMSG #mix :" + "x".repeat(600));
      await ws.expect(/ 417 wsuser :Input line was too long/);
    });

    await t.step("/metrics counts connections by transport and the server counters", async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      match(text, /^chat_connections\{transport="tcp"\} 1$/m);
      match(text, /^chat_connections\{transport="websocket"\} 1$/m);
      match(text, /^chat_channels 1$/m);
      match(text, /^# TYPE chat_messages_relayed_total counter$/m);
      const relayed = Number(/^chat_messages_relayed_total (\d+)$/m.exec(text)?.[1]);
      ok(relayed >= 3, text);
      match(text, /^chat_sendq_drops_total 0$/m);
      ok(Number(/^chat_lines_in_total (\d+)$/m.exec(text)?.[1]) > 5);
    });

    await t.step("binary.ircv3.net works too", async () => {
      const ws = await WsClient.open(server.httpPort, "binary.ircv3.net");
      cleanup.push(() => ws.close());
      assertEquals(ws.ws.protocol, "binary.ircv3.net");
      ws.ws.binaryType = "arraybuffer";
      ws.send("PING :bin");
      const got = await new Promise<unknown>((r) =>
        ws.ws.addEventListener("message", (e) => r(e.data), { once: true })
      );
      ok(got instanceof ArrayBuffer);
      match(new TextDecoder().decode(got), /PONG \S+ :?bin/);
    });

    await t.step("the WebSocket origin must be the page's host", async () => {
      assertEquals(
        await rawUpgrade(server.httpPort, { Origin: "http://evil.example" }),
        "HTTP/1.1 403 Forbidden",
      );
      assertEquals(await rawUpgrade(server.httpPort, { Origin: "null" }), "HTTP/1.1 403 Forbidden");
      assertEquals(
        await rawUpgrade(server.httpPort, {
          Origin: `http://127.0.0.1:${server.httpPort}`,
          "Sec-WebSocket-Protocol": "text.ircv3.net",
        }),
        "HTTP/1.1 101 Switching Protocols",
      );
      assertEquals(
        await rawUpgrade(server.httpPort, { "Sec-WebSocket-Protocol": "mqtt" }),
        "HTTP/1.1 400 Bad Request",
      );
    });

    await t.step(
      "the WebSocket upgrade answers only to the server's own names (DNS rebinding)",
      async () => {
        const refused = await rawUpgrade(server.httpPort, {
          Host: `evil.example:${server.httpPort}`,
        }, true);
        match(refused, /^HTTP\/1\.1 403 Forbidden\r\n/);
        match(
          refused,
          /\r\n\r\nthis server is not known by that name \(Host\); connect with its address or name\n$/,
        );
        assertEquals(
          await rawUpgrade(server.httpPort, { Host: "attacker.test" }),
          "HTTP/1.1 403 Forbidden",
        );
        for (
          const host of [
            `localhost:${server.httpPort}`,
            `[::1]:${server.httpPort}`,
            "deno-chat.local",
          ]
        ) {
          assertEquals(
            await rawUpgrade(server.httpPort, { Host: host }),
            "HTTP/1.1 101 Switching Protocols",
            host,
          );
        }
      },
    );
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("web port: connections are counted per IP address (loopback with limitLoopback=1)", async () => {
  const server = await startServer([], ["floodBurst=0", "limitLoopback=1", "httpMaxPerIp=3"], {
    web: true,
  });
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.httpPort }));
    }
    // the three above hold their slots (their requests are not even begun)
    const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.httpPort });
    conns.push(extra);
    const buf = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await readWithin(extra, buf, 5000);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    match(text, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
    match(text, /\r\n\r\ntoo many connections from your address\n$/);
    // one leaves: the next one is served
    conns.shift()!.close();
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`).catch(() => undefined);
      if (res?.status === 200) {
        assertEquals(await res.text(), "ok\n");
        break;
      }
      await res?.body?.cancel();
      ok(Date.now() < deadline, "the freed slot was never given back");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const c of conns) c.close();
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("web port: a refused request's unsent body is read and dropped, not met with a reset", async () => {
  // closing a socket that still has unread bytes resets the connection, and a client that
  // gets the reset first (Windows) never reads the answer; the server ends its side and
  // drains instead (RFC 9112 section 9.6)
  const server = await startServer([], ["floodBurst=0"], { web: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.httpPort });
  try {
    const head = "POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 600000\r\n\r\n";
    await conn.write(new TextEncoder().encode(head));
    const buf = new Uint8Array(4096);
    let text = "";
    for (let i = 0; i < 100; i++) {
      const n = await readWithin(conn, buf, 5000);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    match(text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    match(text, /\r\nconnection: close\r\n/);
    match(text, /\r\n\r\nrequest bodies are not accepted here\n$/);
    // the body the client had started to send still goes somewhere: every write is taken
    const chunk = new Uint8Array(60_000);
    for (let i = 0; i < 10; i++) {
      let off = 0;
      while (off < chunk.length) off += await conn.write(chunk.subarray(off));
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    conn.close();
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("web clients share the TCP clients' connection limits", async () => {
  const server = await startServer([], ["floodBurst=0", "limitLoopback=1", "maxPerIp=1"], {
    web: true,
  });
  const tcp = await TestClient.connect(server.port);
  let ws: WsClient | undefined;
  try {
    await tcp.register("first");
    ws = await WsClient.open(server.httpPort);
    await ws.expect(/^ERROR :Closing Link: .*Too many connections from your IP address/);
  } finally {
    await ws?.close();
    await tcp.close();
    assertEquals(await server.stop(), 0);
  }
});

Deno.test("--http-port 0 turns the web server off", async () => {
  const server = await startServer();
  try {
    assertEquals(server.httpPort, 0);
    ok(!server.output.some((l) => l.startsWith("web chat")));
  } finally {
    await server.stop();
  }
});
