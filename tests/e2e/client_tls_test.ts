/**
 * chat-client over TLS against the real server: trust on first use in line mode (refused
 * until pinned with --fingerprint, then remembered), a different certificate on the same
 * address refused loudly, and WeeChat connecting with the fingerprint pinned.
 */

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";
import { hasCommand, Tmux } from "../helpers/tmux.ts";

const CLIENT = new URL("../../client.ts", import.meta.url).pathname;

/** Runs chat-client in line mode with `input` on stdin; bounded by a kill timer. */
async function runClient(
  args: string[],
  input: string,
  configDir: string,
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLIENT, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_CHAT_CONFIG_DIR: configDir },
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }, 30000);
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const res = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: res.code, out: dec.decode(res.stdout), err: dec.decode(res.stderr) };
}

async function tempDir(prefix: string): Promise<string> {
  return await Deno.makeTempDir({ prefix });
}

Deno.test("chat-client --tls: an unknown self-signed certificate is refused in line mode until pinned with --fingerprint", async () => {
  const server = await startServer([], undefined, { tls: true });
  const config = await tempDir("deno-chat-config-");
  const raw = await TestClient.connect(server.port);
  try {
    await raw.register("plainpeer");
    raw.send("JOIN #tls");
    await raw.expect(/ 366 plainpeer #tls /);
    const target = `ircs://127.0.0.1:${server.tlsPort}`;
    const base = ["--server", target, "--nick", "tlsann", "--join", "#tls"];

    const refused = await runClient(base, "never sent\n", config);
    assertEquals(refused.code, 1, refused.out);
    ok(refused.out.includes("is self-signed and not known yet"), refused.out);
    ok(refused.out.includes(`--fingerprint ${server.fingerprint}`), refused.out);

    const wrong = await runClient(
      [...base, "--fingerprint", "00".repeat(32)],
      "never sent either\n",
      config,
    );
    assertEquals(wrong.code, 1, wrong.out);
    ok(wrong.out.includes("is not the expected one"), wrong.out);

    // colons optional, any case
    const fp = server.fingerprint.replace(/:/g, "").toLowerCase();
    const pinned = await runClient([...base, "--fingerprint", fp], "hello over tls\n", config);
    assertEquals(pinned.code, 0, pinned.out + pinned.err);
    const said = await raw.expectMessage(/ PRIVMSG #tls /);
    assertEquals(said.params, ["#tls", "hello over tls"]);
    assertEquals(said.source?.split("!")[0], "tlsann");
    const known = await Deno.readTextFile(join(config, "known_servers"));
    ok(known.includes(`127.0.0.1:${server.tlsPort} ${server.fingerprint} MII`), known);

    // remembered: no --fingerprint needed any more; `--tls` with host:port works too
    const again = await runClient(
      ["--server", `127.0.0.1:${server.tlsPort}`, "--tls", "--nick", "tlsann", "--join", "#tls"],
      "second visit\n",
      config,
    );
    assertEquals(again.code, 0, again.out + again.err);
    assertEquals((await raw.expectMessage(/ PRIVMSG #tls :second/)).params[1], "second visit");

    // a host with a stored STS policy is reached only over TLS, even when asked for plain
    // text (port 1: nothing listens there, so only the upgrade can work)
    const until = new Date(Date.now() + 3600_000).toISOString();
    await Deno.writeTextFile(
      join(config, "sts_policies"),
      `127.0.0.1 ${server.tlsPort} ${until}\n`,
    );
    const upgraded = await runClient(
      ["--server", "127.0.0.1:1", "--nick", "tlsann", "--join", "#tls"],
      "third visit\n",
      config,
    );
    assertEquals(upgraded.code, 0, upgraded.out + upgraded.err);
    ok(upgraded.err.includes("asked to be reached only over TLS"), upgraded.err);
    assertEquals((await raw.expectMessage(/ PRIVMSG #tls :third/)).params[1], "third visit");
  } finally {
    raw.close();
    await server.stop();
    await Deno.remove(config, { recursive: true });
  }
});

Deno.test("chat-client --tls: another server with a different certificate on the same address and port is refused loudly", async () => {
  const config = await tempDir("deno-chat-config-");
  const first = await startServer([], undefined, { tls: true });
  const port = first.tlsPort;
  const firstFp = first.fingerprint;
  const args = ["--server", `ircs://127.0.0.1:${port}`, "--nick", "pinner", "--join", "#x"];
  try {
    const pinned = await runClient([...args, "--fingerprint", firstFp], "hi\n", config);
    assertEquals(pinned.code, 0, pinned.out + pinned.err);
  } finally {
    await first.stop();
  }
  // an impostor: another data folder, so another certificate, on the same port
  const impostor = await startServer([], undefined, { tlsPort: port });
  try {
    ok(impostor.fingerprint !== firstFp);
    const known = await Deno.readTextFile(join(config, "known_servers"));
    const refused = await runClient(args, "must not be sent\n", config);
    assertEquals(refused.code, 1, refused.out);
    match(
      refused.out,
      new RegExp(`WARNING: THE CERTIFICATE OF 127\\.0\\.0\\.1:${port} HAS CHANGED`),
    );
    ok(refused.out.includes(`Expected SHA-256 ${firstFp}, got ${impostor.fingerprint}`));
    ok(!refused.out.includes("Welcome"), refused.out);
    // even naming the new fingerprint does not override a pin: the user must remove it
    const named = await runClient(
      [...args, "--fingerprint", impostor.fingerprint],
      "must not be sent\n",
      config,
    );
    assertEquals(named.code, 1, named.out);
    ok(named.out.includes("HAS CHANGED"), named.out);
    assertEquals(await Deno.readTextFile(join(config, "known_servers")), known);
  } finally {
    await impostor.stop();
    await Deno.remove(config, { recursive: true });
  }
});

Deno.test({
  name: "WeeChat (in tmux) connects over TLS with the certificate's fingerprint pinned",
  ignore: !(hasCommand("tmux") && hasCommand("weechat")),
  async fn() {
    const server = await startServer([], undefined, { tls: true });
    const home = await tempDir("weechat-home-");
    const raw = await TestClient.connect(server.port);
    let tmux: Tmux | undefined;
    try {
      await raw.register("rawtls");
      raw.send("JOIN #wee");
      await raw.expect(/ 366 /);
      // WeeChat 3.8 names it ssl_fingerprint: lower-case hex without colons; with it set,
      // WeeChat trusts exactly that certificate and skips the CA checks
      const fp = server.fingerprint.replace(/:/g, "").toLowerCase();
      tmux = await Tmux.start(
        `weechat -d ${home} -r '/server add tlsd 127.0.0.1/${server.tlsPort} -ssl ` +
          `-ssl_fingerprint=${fp} -nicks=weetls -autojoin=#wee;/connect tlsd'`,
      );
      const joined = await raw.expectMessage(/ JOIN /, 20000);
      assertEquals(joined.source?.split("!")[0], "weetls");
      raw.send("PRIVMSG #wee :hello weechat over tls");
      await tmux.waitFor(/rawtls.*hello weechat over tls/);
      await tmux.type("hi from weechat over tls");
      await tmux.keys("Enter");
      const msg = await raw.expectMessage(/ PRIVMSG /);
      assertEquals(msg.params, ["#wee", "hi from weechat over tls"]);
      // it really came over the TLS port: the server saw no plain-text WeeChat
      ok(!server.output.some((l) => l.includes("TLS handshake")), server.output.join("\n"));
    } finally {
      await tmux?.stop();
      raw.close();
      await server.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "WeeChat (in tmux) refuses the TLS port when the pinned fingerprint is another one",
  ignore: !(hasCommand("tmux") && hasCommand("weechat")),
  async fn() {
    const server = await startServer([], undefined, { tls: true });
    const home = await tempDir("weechat-home-");
    let tmux: Tmux | undefined;
    try {
      tmux = await Tmux.start(
        `weechat -d ${home} -r '/set irc.server_default.autoreconnect off;` +
          `/server add tlsd 127.0.0.1/${server.tlsPort} -ssl ` +
          `-ssl_fingerprint=${"ab".repeat(32)} -nicks=weebad;/connect tlsd'`,
      );
      await tmux.waitFor(/fingerprint|certificate/i, 20000);
      const raw = await TestClient.connect(server.port);
      await raw.register("checker");
      raw.send("WHOIS weebad");
      await raw.expect(/ 401 checker weebad /);
      raw.close();
    } finally {
      await tmux?.stop();
      await server.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "irssi (in tmux) connects over TLS with -tls_pinned_cert and refuses another fingerprint",
  ignore: !(hasCommand("tmux") && hasCommand("irssi")),
  async fn() {
    const server = await startServer([], undefined, { tls: true });
    const home = await tempDir("irssi-home-");
    const raw = await TestClient.connect(server.port);
    let tmux: Tmux | undefined;
    try {
      await raw.register("rawirc");
      raw.send("JOIN #irs");
      await raw.expect(/ 366 /);
      tmux = await Tmux.start(`irssi --home=${home} -n irtls`);
      await tmux.waitFor(/\[\(status\)\]/);
      const fp = server.fingerprint;
      const wrong = (fp.startsWith("AB") ? "CD" : "AB") + fp.slice(2);
      await tmux.type(`/connect -tls -tls_pinned_cert ${wrong} 127.0.0.1 ${server.tlsPort}`);
      await tmux.keys("Enter");
      await tmux.waitFor(/Pinned certificate mismatch/, 15000);
      await tmux.type(
        `/connect -tls -tls_pinned_cert ${server.fingerprint} 127.0.0.1 ${server.tlsPort}`,
      );
      await tmux.keys("Enter");
      await tmux.waitFor(/Welcome to the deno-chat IRC Network/, 15000);
      await tmux.type("/join #irs");
      await tmux.keys("Enter");
      const join = await raw.expectMessage(/ JOIN /);
      assertEquals(join.source?.split("!")[0], "irtls");
      await tmux.type("hello from irssi over tls");
      await tmux.keys("Enter");
      const msg = await raw.expectMessage(/ PRIVMSG /);
      assertEquals(msg.params, ["#irs", "hello from irssi over tls"]);
    } finally {
      await tmux?.stop();
      raw.close();
      await server.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "chat-client on a terminal (tmux) shows an unknown certificate's fingerprint, asks once, pins it",
  ignore: !hasCommand("tmux"),
  async fn() {
    const server = await startServer([], undefined, { tls: true });
    const config = await tempDir("deno-chat-config-");
    const raw = await TestClient.connect(server.port);
    let tmux: Tmux | undefined;
    const start = () =>
      Tmux.start(
        `${Deno.execPath()} run -A ${CLIENT} --server ircs://127.0.0.1:${server.tlsPort} ` +
          `--nick termann --join '#term'`,
        { DENO_CHAT_CONFIG_DIR: config, NO_COLOR: "1" },
      );
    try {
      await raw.register("termpeer");
      raw.send("JOIN #term");
      await raw.expect(/ 366 /);
      tmux = await start();
      const asked = await tmux.waitFor(/remember it\? \[y\/N\]/, 20000);
      ok(asked.includes(`SHA-256 fingerprint: ${server.fingerprint}`), asked);
      ok(asked.includes("self-signed"), asked);
      await tmux.type("y");
      await tmux.keys("Enter");
      const joined = await raw.expectMessage(/ JOIN /, 20000);
      assertEquals(joined.source?.split("!")[0], "termann");
      await tmux.waitFor(/You joined #term/);
      await tmux.keys("C-c");
      await tmux.stop();
      const known = await Deno.readTextFile(join(config, "known_servers"));
      ok(known.includes(server.fingerprint), known);
      // the second time nothing is asked
      tmux = await start();
      await tmux.waitFor(/You joined #term/, 20000);
      ok(!(await tmux.screen()).includes("[y/N]"));
    } finally {
      await tmux?.stop();
      raw.close();
      await server.stop();
      await Deno.remove(config, { recursive: true });
    }
  },
});
