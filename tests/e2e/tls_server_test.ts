/**
 * The server's TLS port end to end: its own certificate (created once, kept across
 * restarts, fingerprint printed), certificate files from the command line, openssl as a
 * foreign TLS client chatting with a plain-text one, STS advertisement, and peers that
 * speak the wrong protocol on either port.
 */

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";
import { hasCommand } from "../helpers/tmux.ts";

const SERVER = new URL("../../server.ts", import.meta.url).pathname;
const hasOpenssl = hasCommand("openssl");

/** A line client over TLS that trusts exactly `caPem`. */
class TlsLines {
  readonly lines: string[] = [];
  #conn: Deno.TlsConn;
  #done: Promise<void>;
  closed = false;

  private constructor(conn: Deno.TlsConn) {
    this.#conn = conn;
    this.#done = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      const chunk = new Uint8Array(16384);
      try {
        for (;;) {
          const n = await conn.read(chunk);
          if (n === null) break;
          buf += dec.decode(chunk.subarray(0, n), { stream: true });
          let i;
          while ((i = buf.indexOf("\r\n")) !== -1) {
            this.lines.push(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch {
        // closed
      }
      this.closed = true;
    })();
  }

  static async connect(port: number, caPem: string): Promise<TlsLines> {
    const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [caPem] });
    await conn.handshake();
    return new TlsLines(conn);
  }

  async send(line: string): Promise<void> {
    await this.#conn.write(new TextEncoder().encode(line + "\r\n"));
  }

  async expect(pattern: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline || this.closed) {
        throw new Error(`never got ${pattern}:\n${this.lines.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#done;
  }
}

/** Waits (bounded) until a raw socket is closed by the peer; returns what it received. */
async function readUntilClosed(conn: Deno.Conn, ms = 8000): Promise<Uint8Array> {
  const got: number[] = [];
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      got.push(...buf.subarray(0, n));
    }
  } catch {
    // reset by peer also counts as closed, the timer's close does not (checked by caller)
  } finally {
    clearTimeout(timer);
  }
  try {
    conn.close();
  } catch {
    // closed already
  }
  return new Uint8Array(got);
}

async function openssl(args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test(
  "TLS port: the server's own certificate, its fingerprint printed, openssl chats with a plain-text client",
  {
    ignore: !hasOpenssl,
  },
  async () => {
    const server = await startServer([], undefined, { tls: true });
    const bob = await TestClient.connect(server.port);
    try {
      const certFile = join(server.dataDir, "tls", "cert.pem");
      const printed = await openssl(["x509", "-in", certFile, "-noout", "-fingerprint", "-sha256"]);
      assertEquals(printed.trim().split("=")[1], server.fingerprint);
      ok(server.output.some((l) => l.includes("its own certificate, created now,")));

      await bob.register("bob");
      bob.send("JOIN #tls");
      await bob.expect(/ 366 bob #tls /);
      // openssl verifies the chain against the printed certificate and the IP in its SANs
      const child = new Deno.Command("openssl", {
        args: [
          "s_client",
          "-connect",
          `127.0.0.1:${server.tlsPort}`,
          "-CAfile",
          certFile,
          "-verify_return_error",
          "-verify_ip",
          "127.0.0.1",
          "-quiet",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out: string[] = [];
      const reading = (async () => {
        for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
          out.push(chunk);
        }
      })();
      child.stderr.cancel();
      const w = child.stdin.getWriter();
      const say = (l: string) => w.write(new TextEncoder().encode(l + "\r\n"));
      await say("NICK alice");
      await say("USER alice 0 * :Alice");
      await say("JOIN #tls");
      await say("PRIVMSG #tls :hello over TLS");
      match(await bob.expect(/PRIVMSG #tls/), /^:alice!.* PRIVMSG #tls :hello over TLS$/);
      bob.send("PRIVMSG #tls :hi alice, plain here");
      for (let i = 0; i < 200 && !out.join("").includes("hi alice, plain here"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      ok(out.join("").includes(":bob!"), out.join(""));
      ok(out.join("").includes("hi alice, plain here"), out.join(""));
      await say("QUIT :bye");
      await w.close();
      await child.status;
      await reading;
    } finally {
      bob.close();
      await server.stop();
    }
  },
);

Deno.test("TLS port: a restart on the same data folder keeps the same certificate", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "deno-chat-tls-" });
  try {
    const first = await startServer([], undefined, { tls: true, dataDir });
    const fp = first.fingerprint;
    const port = first.tlsPort;
    await first.stop();
    ok(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(fp), fp);
    const second = await startServer([], undefined, { tlsPort: port, dataDir });
    try {
      assertEquals(second.fingerprint, fp);
      ok(!second.output.some((l) => l.includes("created now")), second.output.join("\n"));
      const pem = await Deno.readTextFile(join(dataDir, "tls", "cert.pem"));
      const c = await TlsLines.connect(second.tlsPort, pem);
      await c.send("PING :x");
      await c.expect(/PONG .*x/);
      await c.close();
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("TLS port: plain text and garbage are closed with one log line each; the server goes on", async () => {
  const server = await startServer([], undefined, { tls: true });
  try {
    const plain = await Deno.connect({ hostname: "127.0.0.1", port: server.tlsPort });
    await plain.write(new TextEncoder().encode("NICK plain\r\nUSER plain 0 * :p\r\n"));
    const got = await readUntilClosed(plain);
    // whatever came back (a TLS alert) is not an IRC welcome
    ok(!new TextDecoder().decode(got).includes(" 001 "));
    await server.waitForOutput(/^TLS handshake with 127\.0\.0\.1 failed: not TLS/);

    const junk = await Deno.connect({ hostname: "127.0.0.1", port: server.tlsPort });
    const noise = new Uint8Array(3000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + 13) & 0xff;
    noise[0] = 0x16; // starts like a handshake record, then nonsense
    noise[1] = 0x03;
    await junk.write(noise).catch(() => {});
    await readUntilClosed(junk);
    for (let i = 0; i < 200; i++) {
      if (server.output.filter((l) => l.startsWith("TLS handshake with")).length >= 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assertEquals(server.output.filter((l) => l.startsWith("TLS handshake with")).length, 2);

    // still serving, on both ports
    const pem = await Deno.readTextFile(join(server.dataDir, "tls", "cert.pem"));
    const c = await TlsLines.connect(server.tlsPort, pem);
    await c.send("NICK ok");
    await c.send("USER ok 0 * :ok");
    await c.expect(/ 001 ok /);
    await c.close();
    const p = await TestClient.connect(server.port);
    await p.register("stillok");
    p.close();
  } finally {
    await server.stop();
  }
});

Deno.test("plain port: a TLS client gets a TLS alert and a clean close, logged in one line", async () => {
  const server = await startServer([], undefined, { tls: true });
  try {
    const pem = await Deno.readTextFile(join(server.dataDir, "tls", "cert.pem"));
    let failure = "";
    try {
      const c = await Deno.connectTls({ hostname: "127.0.0.1", port: server.port, caCerts: [pem] });
      await c.handshake();
      c.close();
    } catch (err) {
      failure = (err as Error).message;
    }
    match(failure, /handshake ?failure|HandshakeFailure|alert/i);
    await server.waitForOutput(/^TLS handshake from 127\.0\.0\.1 on the plain-text port; closed/);
    const p = await TestClient.connect(server.port);
    await p.register("fine");
    p.close();
  } finally {
    await server.stop();
  }
});

Deno.test(
  "--tls-cert/--tls-key: a CA-signed pair from files is used; STS goes to plain and TLS clients",
  {
    ignore: !hasOpenssl,
  },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "deno-chat-ca-" });
    try {
      const f = (n: string) => join(dir, n);
      await openssl([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=Test CA",
      ]);
      await openssl([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f("leaf.key"),
        "-out",
        f("leaf.csr"),
        "-subj",
        "/CN=chat.test",
      ]);
      await Deno.writeTextFile(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
      await openssl([
        "x509",
        "-req",
        "-in",
        f("leaf.csr"),
        "-CA",
        f("ca.pem"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-out",
        f("leaf.pem"),
        "-days",
        "2",
        "-extfile",
        f("ext.cnf"),
      ]);
      const fp =
        (await openssl(["x509", "-in", f("leaf.pem"), "-noout", "-fingerprint", "-sha256"]))
          .trim().split("=")[1];
      const server = await startServer(
        ["--tls-cert", f("leaf.pem"), "--tls-key", f("leaf.key")],
        undefined,
        { tls: true },
      );
      try {
        assertEquals(server.fingerprint, fp);
        ok(server.output.some((l) => l.includes(`with the certificate ${f("leaf.pem")}`)));
        const plain = await TestClient.connect(server.port);
        plain.send("CAP LS 302");
        // the last line of the list (CAP 302 continues a long one on `LS *` lines) has sts
        match(await plain.expect(/CAP \* LS :/), new RegExp(` sts=port=${server.tlsPort}( |$)`));
        plain.close();
        const ca = await Deno.readTextFile(f("ca.pem"));
        const secure = await TlsLines.connect(server.tlsPort, ca);
        await secure.send("CAP LS 302");
        match(await secure.expect(/CAP \* LS :/), / sts=duration=\d+( |$)/);
        await secure.send("CAP REQ sts");
        await secure.expect(/CAP \* NAK :sts/);
        await secure.close();
      } finally {
        await server.stop();
      }
      // a key that is not the certificate's: one clear line, exit 2
      const bad = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          SERVER,
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--http-port",
          "0",
          "--data",
          dir,
          "--tls-port",
          "1",
          "--tls-cert",
          f("leaf.pem"),
          "--tls-key",
          f("ca.key"),
        ],
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).output();
      const err = new TextDecoder().decode(bad.stderr).trim();
      assertEquals(bad.code, 2, err);
      assertEquals(err.split("\n").length, 1, err);
      match(err, /^chat-server: '.*ca\.key' does not belong to '.*leaf\.pem'$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a self-signed server sends no sts: clients that obey it would fail to verify and be locked out", async () => {
  const server = await startServer([], undefined, { tls: true });
  try {
    const plain = await TestClient.connect(server.port);
    plain.send("CAP LS 302");
    const ls = (await plain.collectUntil(/CAP \* LS :/)).join("\n");
    ok(!/\bsts\b/.test(ls), ls);
    plain.close();
  } finally {
    await server.stop();
  }
});

Deno.test("--no-plaintext: only the TLS port listens", async () => {
  const server = await startServer(["--no-plaintext"], undefined, { tls: true });
  try {
    assertEquals(server.port, server.tlsPort);
    ok(server.output.some((l) => / \(TLS only\)$/.test(l)), server.output.join("\n"));
    const pem = await Deno.readTextFile(join(server.dataDir, "tls", "cert.pem"));
    const c = await TlsLines.connect(server.tlsPort, pem);
    await c.send("PING :y");
    await c.expect(/PONG .*y/);
    await c.close();
  } finally {
    await server.stop();
  }
});
