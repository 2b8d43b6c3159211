/**
 * The full-screen client driven through tmux (send-keys, capture-pane): two clients chat,
 * an incoming message leaves a half-typed line alone, hostile text is shown harmlessly,
 * and a client survives its server restarting. Uses the project's server (server.ts), or
 * ngircd when server.ts is missing. Skipped, with a message, when tmux is not installed.
 */
import assert from "node:assert/strict";
import {
  hasProgram,
  RawPeer,
  repoPath,
  startChatServer,
  startNgircd,
  type TestServer,
  Tmux,
} from "../helpers/client_harness.ts";
import { waitFor } from "../helpers/wait.ts";
import { FakeIrcServer } from "../helpers/fake_irc_server.ts";

const haveTmux = await hasProgram("tmux", ["-V"]);
if (!haveTmux) console.warn("tmux is not installed: the tmux client tests are skipped");

/**
 * The project's server, or ngircd when server.ts is missing or does not start (it is being
 * written in parallel) or when CLIENT_TEST_SERVER=ngircd.
 */
async function startServer(): Promise<TestServer> {
  if (Deno.env.get("CLIENT_TEST_SERVER") !== "ngircd") {
    try {
      const own = await startChatServer();
      if (own) return own;
    } catch (e) {
      console.warn(`server.ts failed to start, using ngircd instead: ${(e as Error).message}`);
    }
  }
  const ng = await startNgircd();
  if (!ng) throw new Error("neither server.ts nor ngircd is available");
  return { ...ng, kind: "ngircd" };
}

function clientArgv(port: number, nick: string): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    repoPath("client.ts"),
    "--server",
    `127.0.0.1:${port}`,
    "--nick",
    nick,
    "--join",
    "#lobby",
  ];
}

const ROWS = 24;
const INPUT = ROWS - 1;

Deno.test({
  name: "two TUI clients in tmux chat, and an incoming message leaves a half-typed line intact",
  ignore: !haveTmux,
  fn: async () => {
    const server = await startServer();
    const tmux = new Tmux();
    try {
      await tmux.newSession("alice", clientArgv(server.port, "alice"), 80, ROWS);
      await tmux.waitScreen("alice", /You joined #lobby[\s\S]*\[2:#lobby\]/);
      await tmux.newSession("bob", clientArgv(server.port, "bob"), 80, ROWS);
      await tmux.waitScreen("bob", /You joined #lobby[\s\S]*\[2:#lobby\]/);
      await tmux.waitScreen("alice", /bob \(\S+\) joined #lobby/);

      await tmux.type("alice", "hello bob, 日本語 ok?");
      await tmux.keys("alice", "Enter");
      await tmux.waitScreen("bob", /<alice> hello bob, 日本語 ok\?/);

      await tmux.type("bob", "half-typed rep");
      await tmux.waitScreen("bob", /\[#lobby\] half-typed rep$/);
      await tmux.type("alice", "are you there?");
      await tmux.keys("alice", "Enter");
      const screen = await tmux.waitScreen("bob", /<alice> are you there\?/);
      assert.equal(screen[INPUT], "[#lobby] half-typed rep");
      // the message landed in the message area, above the status bar
      const at = screen.findIndex((l) => l.includes("<alice> are you there?"));
      assert.ok(at > 0 && at < INPUT - 1, `row ${at}`);
      assert.match(screen[INPUT - 1], /^\[\d\d:\d\d\] \[bob\] \[2:#lobby\]/);

      await tmux.type("bob", "ly");
      await tmux.keys("bob", "Enter");
      await tmux.waitScreen("alice", /<bob> half-typed reply/);
      const after = await tmux.waitScreen("bob", /<bob> half-typed reply/);
      assert.equal(after[INPUT], "[#lobby]");
    } finally {
      await tmux.kill();
      await server.dispose();
    }
  },
});

Deno.test({
  name: "a TUI client in tmux shows a nick with an escape sequence harmlessly",
  ignore: !haveTmux,
  fn: async () => {
    // real servers refuse such nicks, so a hostile server sends them
    const fake = FakeIrcServer.start();
    const tmux = new Tmux();
    try {
      await tmux.newSession("c", clientArgv(fake.port, "carol"), 80, ROWS);
      await tmux.waitScreen("c", /You joined #lobby/);
      const conn = await fake.waitForConn(1);
      const before = await tmux.run("display-message", "-p", "-t", "c", "#{pane_title}");
      conn.send(
        ":ev\x1b[2J\x1b[31mil!x@h PRIVMSG #lobby :\x1b]0;pwned\x07title \x1b[1;1Hmoved \x9b2J end",
      );
      const screen = await tmux.waitScreen("c", /end/);
      const line = screen.find((l) => l.includes("end"))!;
      assert.match(
        line,
        /<ev\^\[\[2J\^\[\[31mil> \^\[\]0;pwned\^Gtitle \^\[\[1;1Hmoved \uFFFD2J end/,
      );
      // nothing was cleared or moved: the topic bar and earlier lines are still there
      assert.match(screen[0], /^#lobby/);
      assert.ok(screen.some((l) => /You joined #lobby/.test(l)));
      assert.match(screen[INPUT], /^\[#lobby\]/);
      const title = await tmux.run("display-message", "-p", "-t", "c", "#{pane_title}");
      assert.equal(title, before);
      assert.ok(!title.includes("pwned"));
    } finally {
      await tmux.kill();
      await fake.close();
    }
  },
});

Deno.test({
  name: "a TUI client in tmux survives the server restarting, rejoins, and keeps the typed line",
  ignore: !haveTmux,
  fn: async () => {
    const server = await startServer();
    const tmux = new Tmux();
    let peer: RawPeer | undefined;
    try {
      await tmux.newSession("d", clientArgv(server.port, "dave"), 80, ROWS);
      await tmux.waitScreen("d", /You joined #lobby[\s\S]*\[lag/);
      await server.stop();
      await tmux.waitScreen("d", /Disconnected from the server/);
      await tmux.type("d", "typed while down");
      await tmux.waitScreen("d", /\[#lobby\] typed while down$/);
      await server.restart();
      const screen = await tmux.waitScreen(
        "d",
        /Disconnected from the server[\s\S]*You joined #lobby/,
        30000,
      );
      assert.equal(screen[INPUT], "[#lobby] typed while down");
      peer = await RawPeer.connect(server.port);
      await peer.register("watcher");
      peer.send("JOIN #lobby");
      await peer.waitFor(/ 366 watcher #lobby /);
      await waitFor(
        "dave to be listed on #lobby",
        () => peer!.lines.some((l) => / 353 watcher . #lobby :.*\bdave\b/.test(l)),
      );
      await tmux.keys("d", "Enter");
      await peer.waitFor(/^(@\S+ )?:dave!\S+ PRIVMSG #lobby :typed while down$/);
    } finally {
      await peer?.close();
      await tmux.kill();
      await server.dispose();
    }
  },
});

Deno.test({
  name: "a TUI client started without options asks for server and nick, then redraws on resize",
  ignore: !haveTmux,
  fn: async () => {
    const fake = FakeIrcServer.start();
    const tmux = new Tmux();
    try {
      await tmux.newSession("e", [Deno.execPath(), "run", "-A", repoPath("client.ts")], 80, ROWS);
      await tmux.waitScreen("e", /Server \[localhost:6667\]:/);
      await tmux.type("e", `127.0.0.1:${fake.port}`);
      await tmux.keys("e", "Enter");
      await tmux.waitScreen("e", /Nickname \[\S+\]:/);
      await tmux.type("e", "erin");
      await tmux.keys("e", "Enter");
      await tmux.waitScreen("e", /You joined #lobby[\s\S]*\[erin\] \[2:#lobby\]/);
      const conn = await fake.waitForConn(1);
      assert.equal(conn.nick, "erin");
      await tmux.type("e", "draft");
      await tmux.run("resize-window", "-t", "e", "-x", "60", "-y", "16");
      const screen = await tmux.waitScreen("e", /^\[#lobby\] draft$/m);
      assert.equal(screen.length, 16);
      assert.equal(screen[15], "[#lobby] draft");
      assert.match(screen[14], /^\[\d\d:\d\d\] \[erin\] \[2:#lobby\]/);
      assert.match(screen[0], /^#lobby/);
    } finally {
      await tmux.kill();
      await fake.close();
    }
  },
});

/** A pattern for an SGR sequence whose parameters match `params` (a pattern). */
const SGR = (params: string) => `\x1b\\[${params}m`;

/** How many screen rows contain `text`. */
function rowsWith(screen: string[], text: string): number {
  return screen.filter((l) => l.includes(text)).length;
}

/** A raw peer registered as `nick` and on #lobby. */
async function peerInLobby(port: number, nick: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  await peer.register(nick);
  peer.send("JOIN #lobby");
  await peer.waitFor(new RegExp(` 366 ${nick} #lobby `));
  return peer;
}

Deno.test({
  name: "a TUI client in tmux shows the lines replayed after a server restart once",
  ignore: !haveTmux,
  fn: async () => {
    const server = await startServer();
    const tmux = new Tmux();
    let peer: RawPeer | undefined;
    try {
      await tmux.newSession("r", clientArgv(server.port, "rita"), 80, ROWS);
      await tmux.waitScreen("r", /You joined #lobby[\s\S]*\[lag/);
      peer = await peerInLobby(server.port, "pat");
      for (let i = 1; i <= 3; i++) peer.send(`PRIVMSG #lobby :said before ${i}`);
      await tmux.waitScreen("r", /<pat> said before 3/);
      await peer.close();
      peer = undefined;
      await server.stop();
      await tmux.waitScreen("r", /Disconnected from the server/);
      await server.restart();
      await tmux.waitScreen("r", /Disconnected from the server[\s\S]*You joined #lobby/, 30000);
      peer = await peerInLobby(server.port, "pat");
      peer.send("PRIVMSG #lobby :said after");
      const screen = await tmux.waitScreen("r", /<pat> said after/);
      for (let i = 1; i <= 3; i++) {
        assert.equal(rowsWith(screen, `said before ${i}`), 1, screen.join("\n"));
      }
    } finally {
      await peer?.close();
      await tmux.kill();
      await server.dispose();
    }
  },
});

Deno.test({
  name:
    "a TUI client in tmux: PgUp fetches older history, long pastes ask, formatting and away show",
  ignore: !haveTmux,
  fn: async () => {
    const server = await startServer();
    if (server.kind !== "deno-chat") {
      // ngircd has no CHATHISTORY: nothing to fetch
      await server.dispose();
      return;
    }
    const tmux = new Tmux();
    let peer: RawPeer | undefined;
    try {
      peer = await peerInLobby(server.port, "pat");
      // more than the 20 lines replayed at join, within the flood burst and rate
      for (let i = 1; i <= 30; i++) peer.send(`PRIVMSG #lobby :old ${i}`);
      peer.send("PING :said");
      await peer.waitFor(/PONG .*said/, 20000);
      await tmux.newSession("h", clientArgv(server.port, "hana"), 100, ROWS);
      await tmux.waitScreen("h", /<pat> old 30[\s\S]*\[lag/);
      let screen = await tmux.capture("h");
      assert.equal(rowsWith(screen, "<pat> old 10"), 0, screen.join("\n"));

      // PgUp at the top asks for what came before the replayed lines
      await tmux.keys("h", "PageUp");
      await tmux.waitScreen("h", /<pat> old 10\s/);
      await tmux.keys("h", "PageUp", "PageUp", "PageUp");
      await tmux.waitScreen("h", /<pat> old 1\s/);
      await tmux.keys("h", "PageUp");
      await tmux.waitScreen("h", /No older messages in #lobby/);
      screen = await tmux.capture("h");
      assert.equal(screen.filter((l) => /<pat> old 1\s/.test(l)).length, 1, screen.join("\n"));
      await tmux.keys("h", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown");
      await tmux.waitScreen("h", /\[hana\] \[2:#lobby\] \[lag/);

      // bold and colour reach the terminal as SGR, not stripped
      peer.send("PRIVMSG #lobby :\x02loud\x02 and \x0304red\x03 text");
      await tmux.waitScreen("h", /<pat> loud and red text/);
      const styled = await tmux.run("capture-pane", "-p", "-e", "-t", "h");
      assert.match(styled, new RegExp(`${SGR("1")}(${SGR("[0-9;]*")})*loud`));
      assert.match(styled, new RegExp(`${SGR("91")}(${SGR("[0-9;]*")})*red`));

      // away members are dim in the member pane
      const dimPat = async () => {
        const s = await tmux.run("capture-pane", "-p", "-e", "-t", "h");
        return new RegExp(`│[^│\n]*${SGR("(?:[0-9;]*;)?2")}[^│\n]*pat`).test(s);
      };
      assert.equal(await dimPat(), false);
      peer.send("AWAY :lunch");
      await waitFor("pat dimmed in the pane", async () => await dimPat() ? true : undefined);

      // a 30-line paste with a blank line asks first, then sends every line
      const lines = Array.from({ length: 30 }, (_, i) => i === 2 ? "" : `paste ${i + 1}`);
      await tmux.run("set-buffer", "-b", "p", lines.join("\n"));
      await tmux.run("paste-buffer", "-p", "-b", "p", "-t", "h");
      await tmux.waitScreen("h", /^\[send 30 lines\? y\/n\]/m);
      await tmux.type("h", "y");
      await peer.waitFor(/PRIVMSG #lobby :paste 30$/, 20000);
      const got = peer.lines.filter((l) => /:hana!\S+ PRIVMSG #lobby :/.test(l))
        .map((l) => l.replace(/^.*PRIVMSG #lobby :/, ""));
      assert.deepEqual(got, lines.map((l) => l === "" ? " " : l));
    } finally {
      await peer?.close();
      await tmux.kill();
      await server.dispose();
    }
  },
});

Deno.test({
  name: "a TUI client in tmux with a too-long nick says so in one line",
  ignore: !haveTmux,
  fn: async () => {
    const server = await startServer();
    const tmux = new Tmux();
    const nick = "n".repeat(40);
    try {
      await tmux.newSession("n", clientArgv(server.port, nick), 200, ROWS);
      // the note follows the join line in a write of its own: wait for both
      const screen = await tmux.waitScreen("n", /You joined #lobby[^]*so you are n+\./);
      const about = screen.filter((l) => l.includes(nick));
      assert.equal(about.length, 1, screen.join("\n"));
      assert.match(about[0], /The nickname n{40} is not allowed here .*, so you are n+\./);
    } finally {
      await tmux.kill();
      await server.dispose();
    }
  },
});
