import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import * as tls from "node:tls";
import {
  configDir,
  formatKnownServers,
  KnownServers,
  parseKnownServers,
  serverKey,
} from "../../lib/client/known_servers.ts";
import { StsPolicies } from "../../lib/client/sts.ts";
import { dialTls, TrustError } from "../../lib/client/tls.ts";
import { parseClientArgs } from "../../lib/client/args.ts";
import { isSecretLine, parseInput } from "../../lib/shared/input_commands.ts";
import { LineEditor } from "../../lib/tui/line_editor.ts";
import { createSelfSigned } from "../../lib/tls/certificate.ts";
import { hasCommand } from "../helpers/tmux.ts";

Deno.test("configDir() follows DENO_CHAT_CONFIG_DIR, APPDATA on Windows, XDG_CONFIG_HOME, then ~/.config", () => {
  assertEquals(configDir({ DENO_CHAT_CONFIG_DIR: "/x", HOME: "/h" }, "linux"), "/x");
  assertEquals(configDir({ XDG_CONFIG_HOME: "/xdg", HOME: "/h" }, "linux"), "/xdg/deno-chat");
  assertEquals(configDir({ HOME: "/h" }, "darwin"), "/h/.config/deno-chat");
  ok(configDir({ APPDATA: "C:/Users/a/AppData/Roaming" }, "windows").includes("Roaming"));
  ok(configDir({ APPDATA: "C:/Users/a/AppData/Roaming" }, "windows").endsWith("deno-chat"));
});

Deno.test("known_servers: parse skips comments and junk; format and pin round-trip", async () => {
  const text = "# c\n\nlocalhost:6697 AA:BB MIIx\njunk\n[::1]:6697 CC MIIy\n";
  const m = parseKnownServers(text);
  assertEquals([...m.keys()], ["localhost:6697", "[::1]:6697"]);
  assertEquals(parseKnownServers(formatKnownServers(m.values())), m);
  assertEquals(serverKey("::1", 6697), "[::1]:6697");
  const dir = await Deno.makeTempDir();
  try {
    const known = new KnownServers(join(dir, "sub"));
    assertEquals(await known.get("h:1"), undefined);
    await known.pin({ key: "H:1", fingerprint: "AA", certBase64: "MII" });
    await known.pin({ key: "h:2", fingerprint: "BB", certBase64: "MII" });
    assertEquals((await known.get("h:1"))?.fingerprint, "AA");
    assertEquals((await known.load()).size, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("known servers and STS policies: changes made at the same time, in one process and from several, are all kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const known = new KnownServers(dir);
    const sts = new StsPolicies(dir);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => [
        known.pin({ key: `h${i}:6697`, fingerprint: `F${i}`, certBase64: "MII" }),
        sts.record(`h${i}`, 6697, 3600),
      ]).flat(),
    );
    assertEquals((await known.load()).size, 12);
    for (let i = 0; i < 12; i++) assertEquals((await sts.get(`h${i}`))?.port, 6697);

    // three clients pinning at once
    const code = (n: number) =>
      `import { KnownServers } from ${
        JSON.stringify(import.meta.resolve("../../lib/client/known_servers.ts"))
      };
const known = new KnownServers(${JSON.stringify(dir)});
await Promise.all(Array.from({ length: 8 }, (_, i) =>
  known.pin({ key: "p${n}-" + i + ":1", fingerprint: "AA", certBase64: "MII" })));`;
    const outs = await Promise.all(
      [0, 1, 2].map((n) =>
        new Deno.Command(Deno.execPath(), { args: ["eval", code(n)], stdout: "null" }).output()
      ),
    );
    for (const o of outs) assertEquals(o.code, 0, new TextDecoder().decode(o.stderr));
    assertEquals((await known.load()).size, 12 + 24);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseClientArgs() reads --fingerprint (colons optional), --user and --password-file", () => {
  const fp = "ab".repeat(32);
  const a = parseClientArgs(["--server", "ircs://h", "--fingerprint", fp]);
  assertEquals(a.fingerprint, Array(32).fill("AB").join(":"));
  const b = parseClientArgs(["--user", "ann", "--password-file", "/p"]);
  assertEquals([b.user, b.passwordFile], ["ann", "/p"]);
  for (
    const bad of [
      ["--server", "ircs://h", "--fingerprint", "xyz"],
      ["--server", "h", "--fingerprint", fp],
      ["--user", "ann"],
    ]
  ) {
    let threw = false;
    try {
      parseClientArgs(bad);
    } catch {
      threw = true;
    }
    ok(threw, bad.join(" "));
  }
});

Deno.test("parseInput() reads /register and /login; lines with passwords are secret", () => {
  assertEquals(parseInput("/register pw1234567 a@b.c", {}), {
    kind: "register",
    password: "pw1234567",
    email: "a@b.c",
  });
  assertEquals(parseInput("/login", {}), { kind: "loginPrompt", account: undefined });
  assertEquals(parseInput("/login ann", {}), { kind: "loginPrompt", account: "ann" });
  assertEquals(parseInput("/login ann pw", {}).kind, "error");
  assertEquals(parseInput("/register", {}).kind, "error");
  for (const l of ["/register x", "/login", "/msg NickServ IDENTIFY a b", "/quote PASS x"]) {
    ok(isSecretLine(l), l);
  }
  ok(!isSecretLine("/join #a"));
  ok(!isSecretLine("my password is not a command"));
});

Deno.test("LineEditor in masked mode shows stars, does not complete or remember", () => {
  const ed = new LineEditor();
  ed.insert("earlier");
  ed.submit();
  ed.masked = true;
  ed.insert("pä55");
  assertEquals(ed.view(20), { text: "****", cursorCol: 4 });
  assertEquals(ed.complete(() => ["pässword"]), false);
  ed.historyPrev();
  assertEquals(ed.text, "pä55");
  assertEquals(ed.submit(), "pä55");
  ed.masked = false;
  assertEquals(ed.history, ["earlier"]);
  ed.insert("/register secret");
  ed.submit(false);
  assertEquals(ed.history, ["earlier"]);
});

/** A one-shot TLS server answering every line with PONG. */
function tlsEcho(certPem: string, keyPem: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: certPem, key: keyPem });
  const conns: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const c of listener) {
      conns.push(c);
      (async () => {
        const buf = new Uint8Array(1024);
        try {
          while ((await c.read(buf)) !== null) {
            await c.write(new TextEncoder().encode(":srv PONG srv :ok\r\n"));
          }
        } catch {
          // closed
        }
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed
        }
      }
      await serving.catch(() => {});
    },
  };
}

async function firstLine(conn: Awaited<ReturnType<typeof dialTls>>): Promise<string> {
  await conn.write("PING :ok");
  for await (const l of conn.lines()) return l;
  return "";
}

Deno.test("dialTls() with a self-signed server: ask once, pin, then trust silently; a refusal is a TrustError", async () => {
  const { certPem, keyPem } = await createSelfSigned([]);
  const srv = tlsEcho(certPem, keyPem);
  const dir = await Deno.makeTempDir();
  try {
    const known = new KnownServers(dir);
    const target = { host: "127.0.0.1", port: srv.port, tls: true };
    await rejects(dialTls(target, { known, ask: () => Promise.resolve(false) }), TrustError);
    let asked = 0;
    const c1 = await dialTls(target, {
      known,
      ask: (p) => {
        asked++;
        assertEquals(p.caProblem, "self-signed");
        return Promise.resolve(true);
      },
    });
    assertEquals(await firstLine(c1), ":srv PONG srv :ok");
    c1.close();
    const c2 = await dialTls(target, {
      known,
      ask: () => {
        asked++;
        return Promise.resolve(false);
      },
    });
    assertEquals(await firstLine(c2), ":srv PONG srv :ok");
    c2.close();
    assertEquals(asked, 1);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Makes every `node:tls` client socket report what Deno 2.9.5's (seen on Windows) reports for
 * a resumed TLS 1.3 session whatever the first handshake found: resumed, `authorized`, no
 * error, because the certificate verifier does not run again on resumption. Restored by the
 * returned function.
 */
function pretendResumedAndAuthorized(): () => void {
  const proto = tls.TLSSocket.prototype as unknown as Record<string, unknown>;
  const saved = ["authorized", "authorizationError", "isSessionReused"].map((k) =>
    [k, Object.getOwnPropertyDescriptor(proto, k)] as const
  );
  const fixed = (value: unknown) => ({ configurable: true, get: () => value, set() {} });
  Object.defineProperty(proto, "authorized", fixed(true));
  Object.defineProperty(proto, "authorizationError", fixed(null));
  Object.defineProperty(proto, "isSessionReused", {
    configurable: true,
    writable: true,
    value: () => true,
  });
  return () => {
    for (const [k, d] of saved) {
      if (d) Object.defineProperty(proto, k, d);
      else delete proto[k];
    }
  };
}

Deno.test("dialTls() on a resumed TLS session reported as authorized still asks about an unpinned self-signed certificate", async () => {
  const { certPem, keyPem } = await createSelfSigned([]);
  const srv = tlsEcho(certPem, keyPem);
  const dir = await Deno.makeTempDir();
  const restore = pretendResumedAndAuthorized();
  try {
    const known = new KnownServers(dir);
    const target = { host: "127.0.0.1", port: srv.port, tls: true };
    let asked = 0;
    await rejects(
      dialTls(target, {
        known,
        ask: (p) => {
          asked++;
          assertEquals(p.caProblem, "not verified on this resumed TLS session");
          return Promise.resolve(false);
        },
      }),
      TrustError,
    );
    assertEquals(asked, 1);
    await rejects(dialTls(target, { known }), /not known yet/);
    assertEquals((await known.load()).size, 0);
  } finally {
    restore();
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dialTls(): a session resumed from a connection trusted elsewhere is asked about again where nothing is pinned", async () => {
  // Deno 2.9.5 resumes node:tls sessions by itself (process-wide cache); the first connection
  // reads a reply, so its session ticket has arrived before the second connection starts
  const { certPem, keyPem } = await createSelfSigned([]);
  const srv = tlsEcho(certPem, keyPem);
  const dir = await Deno.makeTempDir();
  try {
    const target = { host: "127.0.0.1", port: srv.port, tls: true };
    const c1 = await dialTls(target, {
      known: new KnownServers(join(dir, "a")),
      ask: () => Promise.resolve(true),
    });
    assertEquals(await firstLine(c1), ":srv PONG srv :ok");
    c1.close();
    let asked = 0;
    await rejects(
      dialTls(target, {
        known: new KnownServers(join(dir, "b")),
        ask: () => {
          asked++;
          return Promise.resolve(false);
        },
      }),
      TrustError,
    );
    assertEquals(asked, 1);
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "dialTls() accepts a CA-signed certificate as usual, without asking or pinning",
  ignore: !hasCommand("openssl"),
  async fn() {
    const dir = await Deno.makeTempDir();
    const f = (n: string) => join(dir, n);
    const run = async (args: string[]) => {
      const out = await new Deno.Command("openssl", { args, stdout: "null", stderr: "piped" })
        .output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    try {
      await run([
        "req",
        "-x509",
        ...ec,
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=CA",
      ]);
      await run(["req", ...ec, "-keyout", f("k.pem"), "-out", f("r.csr"), "-subj", "/CN=srv"]);
      await Deno.writeTextFile(f("ext"), "subjectAltName=IP:127.0.0.1\n");
      await run([
        "x509",
        "-req",
        "-in",
        f("r.csr"),
        "-CA",
        f("ca.pem"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-out",
        f("c.pem"),
        "-days",
        "2",
        "-extfile",
        f("ext"),
      ]);
      const srv = tlsEcho(await Deno.readTextFile(f("c.pem")), await Deno.readTextFile(f("k.pem")));
      try {
        const known = new KnownServers(join(dir, "cfg"));
        const c = await dialTls({ host: "127.0.0.1", port: srv.port, tls: true }, {
          known,
          caCerts: [await Deno.readTextFile(f("ca.pem"))],
          ask: () => Promise.reject(new Error("must not ask")),
        });
        assertEquals(await firstLine(c), ":srv PONG srv :ok");
        c.close();
        assertEquals((await known.load()).size, 0);
        // a resumed session keeps the verdict of the full handshake with this certificate
        const restore = pretendResumedAndAuthorized();
        try {
          const again = await dialTls({ host: "127.0.0.1", port: srv.port, tls: true }, {
            known,
            ask: () => Promise.reject(new Error("must not ask")),
          });
          assertEquals(await firstLine(again), ":srv PONG srv :ok");
          again.close();
        } finally {
          restore();
        }
        assertEquals((await known.load()).size, 0);
      } finally {
        await srv.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
