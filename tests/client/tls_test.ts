import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  configDir,
  formatKnownServers,
  KnownServers,
  parseKnownServers,
  serverKey,
} from "../../lib/client/known_servers.ts";
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
      } finally {
        await srv.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
