/**
 * Resource exhaustion from loopback, against the real server in a child process (issue 18,
 * findings 2 and 11): a flood of half-sent HTTP requests under a lowered open-files limit
 * must neither keep its sockets past the header timeout nor take the IRC port or the web
 * port down for good; huge WebSocket messages must not be buffered.
 */

import { ok } from "node:assert/strict";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

const SERVER = new URL("../../server.ts", import.meta.url).pathname;
const linux = Deno.build.os === "linux";
const enc = new TextEncoder();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The server under `ulimit -n`, with its pid and ports once it listens. */
async function startLimited(nofile: number, limits: string[]) {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-exhaust-" });
  const httpPort = freePort();
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    // as `deno task start` and the Linux build: the server learns its descriptor limit by FFI
    "--allow-ffi",
    SERVER,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data",
    dataDir,
    "--store",
    "memory",
    "--tls-port",
    "0",
    "--http-port",
    String(httpPort),
    ...limits.flatMap((l) => ["--limit", l]),
  ];
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", `ulimit -n ${nofile} && exec '${Deno.execPath()}' ${quoted}`],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const output: string[] = [];
  let ircPort = 0;
  let webPort = 0;
  let buf = "";
  const deadline = Date.now() + 20000;
  while (ircPort === 0 || webPort === 0) {
    if (Date.now() > deadline) throw new Error("server did not start: " + output.join("\n"));
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited at start: " + output.join("\n"));
    buf += value;
    let i;
    while ((i = buf.indexOf("\n")) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      output.push(line);
      const web = line.match(/^web chat listening on 127\.0\.0\.1:(\d+)/);
      if (web) webPort = Number(web[1]);
      const irc = line.match(/^deno-chat server .* listening on 127\.0\.0\.1:(\d+)/);
      if (irc) ircPort = Number(irc[1]);
    }
  }
  // keep both pipes drained so the child never blocks on them
  const drain = (async () => {
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch {
      // gone
    }
  })();
  const errors: string[] = [];
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void errors.push(...chunk.split("\n")) }),
  ).catch(() => {});
  return {
    pid: child.pid,
    /** What the server wrote to stderr so far, by line. */
    errors,
    ircPort,
    webPort,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await drain;
      await stderr;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

const fdCount = (pid: number) => [...Deno.readDirSync(`/proc/${pid}/fd`)].length;

/** Resolves with what a read gives within `ms`: null at end of input, "open" if nothing. */
function readWithin(
  conn: Deno.Conn,
  ms: number,
  buf = new Uint8Array(4096),
): Promise<number | null | "open"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    conn.read(buf).catch(() => null),
    new Promise<"open">((r) => (timer = setTimeout(() => r("open"), ms))),
  ]).finally(() => clearTimeout(timer));
}

Deno.test({
  name:
    "a flood of half-sent HTTP requests under ulimit -n 256: timed out, IRC unharmed, web recovers",
  ignore: !linux,
  async fn() {
    const server = await startLimited(256, ["httpHeaderTimeout=2", "floodBurst=0"]);
    const flood: Deno.Conn[] = [];
    try {
      const baseline = fdCount(server.pid);
      // more connections than the process has descriptors
      for (let i = 0; i < 320; i++) {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: server.webPort });
        flood.push(c);
        c.write(enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow:")).catch(() => {});
      }
      // wait for the server to take what it will take (the count stops growing)
      let last = -1;
      for (let i = 0; i < 40; i++) {
        const now = fdCount(server.pid);
        if (now === last) break;
        last = now;
        await new Promise((r) => setTimeout(r, 100));
      }
      ok(last < 256, `the web port held ${last - baseline} descriptors: no reserve left`);

      // the IRC port still accepts and registers while the flood holds its share
      const alice = await TestClient.connect(server.ircPort);
      await alice.register("alice");
      await alice.close();

      // within the header timeout (2 s) and some slack, the server has closed every one
      const results = await Promise.all(flood.map((c) => readWithin(c, 6000)));
      const stillOpen = results.filter((r) => r === "open").length;
      ok(stillOpen === 0, `${stillOpen} of ${flood.length} half-sent requests still open`);
      for (const c of flood) c.close();
      flood.length = 0;

      // and the web port serves again
      const res = await healthz(server.webPort);
      ok(res.startsWith("HTTP/1.1 200 OK\r\n") && res.endsWith("\r\n\r\nok\n"), res);
    } finally {
      for (const c of flood) c.close();
      await server.stop();
    }
  },
});

/** GET /healthz on a fresh connection: the whole response. */
async function healthz(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      enc.encode(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const buf = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await readWithin(conn, 5000, buf);
      if (n === null || n === "open") break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "with the descriptor budget lifted, a real EMFILE only pauses the listeners",
  ignore: !linux,
  async fn() {
    // the budget would keep the flood below the limit; lifted, accept() itself fails
    const server = await startLimited(256, [
      "httpHeaderTimeout=2",
      "floodBurst=0",
      "maxDescriptors=100000",
      "portDescriptorShare=100",
    ]);
    const flood: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 320; i++) {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: server.webPort });
        flood.push(c);
        c.write(enc.encode("GET / HTTP/1.1\r\nX-Slow:")).catch(() => {});
      }
      // the ones it took time out; those that waited in the backlog are taken once
      // descriptors are free again, and time out in their turn
      const results = await Promise.all(flood.map((c) => readWithin(c, 10000)));
      const stillOpen = results.filter((r) => r === "open").length;
      ok(stillOpen === 0, `${stillOpen} of ${flood.length} half-sent requests still open`);
      for (const c of flood) c.close();
      flood.length = 0;
      ok(
        server.errors.some((l) => /^accept failed: Too many open files/.test(l)),
        `no EMFILE happened: ${server.errors.join("\n")}`,
      );
      const alice = await TestClient.connect(server.ircPort);
      await alice.register("alice");
      await alice.close();
      const res = await healthz(server.webPort);
      ok(res.startsWith("HTTP/1.1 200 OK\r\n") && res.endsWith("\r\n\r\nok\n"), res);
    } finally {
      for (const c of flood) c.close();
      await server.stop();
    }
  },
});

const vmRss = (pid: number) =>
  Number(Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;

Deno.test({
  name: "WebSocket messages far longer than an IRC line are not buffered (RSS stays flat)",
  ignore: !linux,
  async fn() {
    const server = await startServer([], ["floodBurst=0"], { web: true });
    const sockets: WebSocket[] = [];
    try {
      const before = vmRss(server.process.pid);
      const big = "PRIVMSG #x :" + "z".repeat(24 << 20);
      const replies: Promise<void>[] = [];
      for (let i = 0; i < 6; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/irc`, "text.ircv3.net");
        sockets.push(ws);
        await new Promise((r, j) => {
          ws.onopen = r;
          ws.onerror = () => j(new Error("websocket failed"));
        });
        // the answer to an overlong line, as on the IRC port; or the close, if refused
        replies.push(
          new Promise<void>((resolve) => {
            ws.onmessage = (ev) => String(ev.data).includes(" 417 ") && resolve();
            ws.onclose = () => resolve();
          }),
        );
        ws.send(big);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(replies),
        new Promise((_, j) => (timer = setTimeout(() => j(new Error("no 417")), 20000))),
      ]).finally(() => clearTimeout(timer));
      const grown = vmRss(server.process.pid) - before;
      ok(grown < 64 << 20, `RSS grew by ${Math.round(grown / (1 << 20))} MiB for 6 x 24 MiB`);
    } finally {
      for (const ws of sockets) ws.close();
      await server.stop();
    }
  },
});
