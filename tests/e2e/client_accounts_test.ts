/**
 * chat-client's account features against the real server: /register, SASL PLAIN at
 * connect with --user/--password-file (seen by others in WHOIS), a wrong password that
 * leaves the client connected without an account, and history replayed on join.
 * The password must never show up in the client's output.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { join } from "node:path";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";

const CLIENT = new URL("../../client.ts", import.meta.url).pathname;

/** A line-mode client whose stdin stays open until `finish()`. */
function spawnClient(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLIENT, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  let err = "";
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) !== -1) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf !== "") lines.push(buf);
  })();
  const pumpErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  const writer = child.stdin.getWriter();
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited
    }
  }, 40000);
  return {
    lines,
    stderr: () => err,
    say: (text: string) => writer.write(new TextEncoder().encode(text + "\n")),
    async waitFor(pattern: RegExp, ms = 15000): Promise<string> {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = lines.find((l) => pattern.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) {
          throw new Error(`client never printed ${pattern}:\n${lines.join("\n")}\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async finish(): Promise<number> {
      await writer.close().catch(() => {});
      const status = await child.status;
      clearTimeout(killer);
      await pump;
      await pumpErr;
      return status.code;
    },
  };
}

Deno.test("chat-client: /register, then --user/--password-file logs in with SASL at connect (WHOIS shows the account)", async () => {
  const server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-pw-" });
  const password = "tr0ub4dor-and-3";
  const raw = await TestClient.connect(server.port);
  try {
    await raw.register("watcher");
    const reg = spawnClient([
      "--server",
      `127.0.0.1:${server.port}`,
      "--nick",
      "regann",
      "--join",
      "#acc",
    ]);
    await reg.waitFor(/You joined #acc/);
    await reg.say(`/register ${password}`);
    await reg.waitFor(/The account regann is registered and you are logged in to it\./);
    await reg.waitFor(/You are logged in as regann\./);
    assertEquals(await reg.finish(), 0);
    ok(!reg.lines.join("\n").includes(password), "the password was printed");

    const pwFile = join(dir, "password");
    await Deno.writeTextFile(pwFile, password + "\n");
    const back = spawnClient([
      "--server",
      `127.0.0.1:${server.port}`,
      "--nick",
      "someoneelse",
      "--user",
      "regann",
      "--password-file",
      pwFile,
      "--join",
      "#acc",
    ]);
    // logged in before registration ended, so before the welcome
    const loggedIn = await back.waitFor(/You are logged in as regann\./);
    const welcome = await back.waitFor(/Welcome to/);
    ok(back.lines.indexOf(loggedIn) < back.lines.indexOf(welcome), back.lines.join("\n"));
    await back.waitFor(/You joined #acc/);
    raw.send("WHOIS someoneelse");
    const whois = await raw.expectMessage(/ 330 /);
    assertEquals(whois.params.slice(1, 3), ["someoneelse", "regann"]);
    assertEquals(await back.finish(), 0);
    ok(!back.lines.join("\n").includes(password) && !back.stderr().includes(password));
  } finally {
    raw.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat-client: a wrong SASL password is a clear warning and the client goes on without an account", async () => {
  const server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-pw-" });
  const raw = await TestClient.connect(server.port);
  try {
    await raw.register("owner");
    raw.send("REGISTER * * right-password-1");
    await raw.expect(/REGISTER SUCCESS owner/);
    const pwFile = join(dir, "password");
    await Deno.writeTextFile(pwFile, "wrong-password-9\n");
    const c = spawnClient([
      "--server",
      `127.0.0.1:${server.port}`,
      "--nick",
      "guesser",
      "--user",
      "owner",
      "--password-file",
      pwFile,
      "--join",
      "#open",
    ]);
    await c.waitFor(/Logging in as owner failed \(.*\); you are connected without an account\./);
    await c.waitFor(/You joined #open/);
    await c.say("still here");
    assertEquals(await c.finish(), 0);
    ok(c.lines.some((l) => l.endsWith("<guesser> still here")), c.lines.join("\n"));
    ok(!c.lines.join("\n").includes("wrong-password-9"));
  } finally {
    raw.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat-client: --user without --password-file, or an unreadable password file, is refused at start", async () => {
  for (
    const [args, pattern] of [
      [["--user", "ann"], /--user needs --password-file/],
      [["--password-file", "/nonexistent/pw"], /cannot read the password file/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLIENT, "--server", "127.0.0.1:1", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 2);
    ok(pattern.test(new TextDecoder().decode(out.stderr)));
  }
});

Deno.test("chat-client: the channel's history is replayed on join with the original times", async () => {
  const server = await startServer();
  const raw = await TestClient.connect(server.port);
  try {
    await raw.register("historian");
    raw.send("JOIN #hist");
    await raw.expect(/ 366 historian #hist /);
    const before = new Date();
    raw.send("PRIVMSG #hist :said before you came");
    raw.send("PING :flushed");
    await raw.expect(/PONG .*flushed/);
    const sentAt = new Date();
    const c = spawnClient([
      "--server",
      `127.0.0.1:${server.port}`,
      "--nick",
      "latecomer",
      "--join",
      "#hist",
    ]);
    const old = await c.waitFor(/<historian> said before you came/);
    // the stamp is the time it was said (a minute may have turned meanwhile)
    const stamp = (d: Date) =>
      `[${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}]`;
    ok(old.startsWith(stamp(before)) || old.startsWith(stamp(sentAt)), old);
    assertEquals(await c.finish(), 0);
  } finally {
    raw.close();
    await server.stop();
  }
});
