/**
 * The terminal client's modern features (issue 15) in tmux, against the real server process:
 * the chat-client logged in to an account with SASL (--user, --password-file) and raw TCP
 * clients that see the exact lines it sends. Notify (MONITOR), replies, reactions, deletion
 * (REDACT), search, uploads, and a bracketed paste as one multiline message. Skipped, with a
 * message, when tmux is not installed.
 */
import assert from "node:assert/strict";
import { encodePlain } from "../../lib/shared/sasl_plain.ts";
import { hasProgram, repoPath, Tmux } from "../helpers/client_harness.ts";
import { ClientPool, join } from "../helpers/client_pool.ts";
import type { TestClient } from "../helpers/irc_client.ts";
import { type RunningServer, startServer, TEST_LIMITS } from "../helpers/server_process.ts";
import { waitFor } from "../helpers/wait.ts";

const haveTmux = await hasProgram("tmux", ["-V"]);
if (!haveTmux) console.warn("tmux is not installed: the tmux modern-client tests are skipped");

/** How long to wait for what the terminal client does (it runs in its own process). */
const TUI_MS = 20000;
const COLS = 120;
const ROWS = 30;
const CHANNEL = "#modern";
const PASSWORD = "ann-password-1";

/** The raw clients' capabilities: enough to see every tag the terminal client sends. */
const RAW_CAPS = [
  "message-tags",
  "server-time",
  "batch",
  "echo-message",
  "draft/message-redaction",
];

/** A line's tags as an object (values unescaped enough for these tests: none need escapes). */
function tagsOf(line: string): Record<string, string> {
  const m = /^@(\S+) /.exec(line);
  if (!m) return {};
  return Object.fromEntries(
    m[1].split(";").map((t) => {
      const i = t.indexOf("=");
      return i === -1 ? [t, ""] : [t.slice(0, i), t.slice(i + 1)];
    }),
  );
}

/** The line without its tags. */
const untagged = (line: string) => line.replace(/^@\S+ /, "");

/**
 * The server-made tags of a relayed line, `time=…;msgid=…` as the server puts them last,
 * so a test can state the rest of the line exactly.
 */
function stamp(line: string): string {
  const { time, msgid } = tagsOf(line);
  assert.match(time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, line);
  assert.ok(msgid, line);
  return `time=${time};msgid=${msgid}`;
}

/** Escapes a string for a RegExp. */
const re = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");

/** One server, the account `ann` and her terminal client in tmux on CHANNEL. */
interface World {
  server: RunningServer;
  pool: ClientPool;
  tmux: Tmux;
  dir: string;
  /** A raw client on CHANNEL with {@link RAW_CAPS}. */
  cy: TestClient;
}

/**
 * Starts ann's terminal client (logged in with --user and --password-file) in the tmux
 * session "ann", and waits until cy sees her join CHANNEL.
 */
async function startAnn(w: World): Promise<void> {
  const pwFile = `${w.dir}/password`;
  await Deno.writeTextFile(pwFile, `${PASSWORD}\n`);
  await w.tmux.newSession(
    "ann",
    [
      Deno.execPath(),
      "run",
      "-A",
      repoPath("client.ts"),
      "--server",
      `127.0.0.1:${w.server.port}`,
      "--nick",
      "ann",
      "--user",
      "ann",
      "--password-file",
      pwFile,
      "--join",
      CHANNEL,
    ],
    COLS,
    ROWS,
  );
  await annJoined(w);
}

/** Waits until ann's client shows CHANNEL joined and cy sees her join. */
async function annJoined(w: World): Promise<void> {
  await w.tmux.waitScreen("ann", new RegExp(`You joined ${re(CHANNEL)}[^]*\\[lag`));
  await w.cy.expect(new RegExp(`^(@\\S+ )?:ann!\\S+ JOIN ${re(CHANNEL)}`), TUI_MS);
}

/** Another device logged in to ann's account (SASL), attached to her presence. */
async function secondDevice(w: World): Promise<TestClient> {
  const phone = await w.pool.connect();
  phone.send("CAP LS 302", "NICK ann", "USER ann 0 * :ann");
  phone.send(
    "CAP REQ :sasl message-tags server-time echo-message batch draft/read-marker draft/message-redaction",
  );
  await phone.expect(/ CAP \S+ ACK /);
  phone.send("AUTHENTICATE PLAIN");
  await phone.expect("AUTHENTICATE +");
  phone.send(...encodePlain("ann", PASSWORD).map((c) => `AUTHENTICATE ${c}`));
  await phone.expect(/ 903 /);
  phone.send("CAP END");
  await phone.expect(/ (376|422) /);
  return phone;
}

async function withWorld(
  fn: (w: World) => Promise<void>,
  limits: string[] = TEST_LIMITS,
): Promise<void> {
  // uploads need the web port
  const server = await startServer([], limits, { web: true });
  const pool = new ClientPool(server.port);
  const tmux = new Tmux();
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-tmux-modern-" });
  try {
    const reg = await pool.user("ann", ["draft/account-registration"]);
    reg.send(`REGISTER * * ${PASSWORD}`);
    await reg.expect(/ REGISTER SUCCESS ann /);
    reg.send("QUIT");
    await reg.expectClosed();
    const cy = await pool.user("cy", RAW_CAPS);
    await join(cy, CHANNEL);
    const w = { server, pool, tmux, dir, cy };
    await startAnn(w);
    // logged in with SASL while connecting: the account is hers
    cy.send("WHOIS ann");
    assert.equal(
      await cy.expect(/ 330 /),
      ":deno-chat.local 330 cy ann ann :is logged in as",
    );
    await fn(w);
  } finally {
    await tmux.kill();
    await Promise.all(pool.clients.map((c) => c.close()));
    await server.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Types a line into ann's client and presses Enter. */
async function say(w: World, text: string): Promise<void> {
  await w.tmux.type("ann", text);
  await w.tmux.keys("ann", "Enter");
}

/**
 * Waits until ann's screen matches; returns its rows without the member pane (the channel
 * window shows one on the right at this width), trailing spaces trimmed.
 */
async function screen(w: World, pattern: RegExp, ms = 20000): Promise<string[]> {
  let last: string[] = [];
  try {
    return await waitFor(
      `ann's screen to show ${pattern}`,
      async () => {
        last = (await w.tmux.capture("ann")).map((l) => l.replace(/ *│.*$/, ""));
        return pattern.test(last.join("\n")) ? last : undefined;
      },
      ms,
      50,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- ann ---\n${last.join("\n")}`);
  }
}

/** A sentence as the screen may show it: wrapped anywhere between its words. */
const wrapped = (text: string) => new RegExp(text.split(" ").map(re).join("\\s+"));

/** The row of the screen that matches, or -1. */
const rowOf = (screen: string[], pattern: RegExp) => screen.findIndex((l) => pattern.test(l));

Deno.test({
  name: "chat-client in tmux: /notify add, list and del follow a real user coming and going",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      await say(w, "/notify add bob");
      await screen(w, /Watching bob\./);
      await screen(w, /bob is offline\./);
      const bob = await w.pool.user("bob");
      let s = await screen(w, /bob came online\./);
      assert.match(s[ROWS - 2], /\[online: bob\]/);
      await say(w, "/notify list");
      await screen(w, /Notify list: bob \(online\)/);
      bob.send("QUIT :bye");
      await bob.expectClosed();
      s = await screen(w, /bob went offline\./);
      assert.doesNotMatch(s[ROWS - 2], /online:/);
      await say(w, "/notify del bob");
      await screen(w, /No longer watching bob\./);
      await say(w, "/notify list");
      await screen(w, /Your notify list is empty\./);
      // no longer watched: coming online again says nothing
      const again = await w.pool.user("bob");
      await join(again, CHANNEL);
      s = await screen(w, /bob \(\S+\) joined/);
      assert.equal(s.filter((l) => /bob came online/.test(l)).length, 1, s.join("\n"));
    }),
});

/** Sends a message from a raw client with echo-message and returns its msgid. */
async function said(c: TestClient, nick: string, text: string): Promise<string> {
  c.send(`PRIVMSG ${CHANNEL} :${text}`);
  const echo = await c.expect(
    new RegExp(`^@\\S+ :${nick}!\\S+ PRIVMSG ${re(CHANNEL)} :${re(text)}$`),
  );
  return tagsOf(echo).msgid;
}

/** The server time of the message with this text that a raw client has seen. */
function timeOf(c: TestClient, text: string): string {
  const line = c.lines.find((l) => l.endsWith(` :${text}`));
  assert.ok(line, text);
  return tagsOf(line).time;
}

Deno.test({
  name: "chat-client in tmux: /reply sends +draft/reply and both directions show the quote",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      const question = "what time is the meeting tomorrow morning, and where exactly?";
      const q = await said(w.cy, "cy", question);
      await screen(w, new RegExp(`<cy> ${re(question)}`));
      await say(w, "/reply 1 at ten, room 4");
      const line = await w.cy.expect(/ PRIVMSG #modern :at ten, room 4$/, TUI_MS);
      assert.equal(
        line,
        `@+draft/reply=${q};${stamp(line)} :ann!~ann@127.0.0.1 PRIVMSG #modern :at ten, room 4`,
      );
      const mine = tagsOf(line).msgid;
      let s = await screen(w, /<ann> at ten, room 4/);
      let row = rowOf(s, /<ann> at ten, room 4/);
      // the start of the original, on the row above
      assert.equal(s[row - 1], "        ↪ cy: what time is the meeting tomorrow morning, and w…");
      // an incoming reply to ann's line
      w.cy.send(`@+draft/reply=${mine} PRIVMSG ${CHANNEL} :see you there`);
      s = await screen(w, /<cy> see you there/);
      row = rowOf(s, /<cy> see you there/);
      assert.equal(s[row - 1], "        ↪ ann: at ten, room 4", s.join("\n"));
    }),
});

Deno.test({
  name: "chat-client in tmux: /react sends a TAGMSG, and reactions show on the original line",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      const m = await said(w.cy, "cy", "the release is out");
      await said(w.cy, "cy", "and the changelog");
      await screen(w, /<cy> and the changelog/);
      await say(w, "/react 2 👍");
      const line = await w.cy.expect(/ TAGMSG #modern$/, TUI_MS);
      assert.equal(
        line,
        `@+draft/reply=${m};+draft/react=👍;${stamp(line)} :ann!~ann@127.0.0.1 TAGMSG #modern`,
      );
      await screen(w, /<cy> the release is out \[👍 1\]$/m);
      w.cy.send(`@+draft/reply=${m};+draft/react=👍 TAGMSG ${CHANNEL}`);
      w.cy.send(`@+draft/reply=${m};+draft/react=🎉 TAGMSG ${CHANNEL}`);
      const s = await screen(w, /<cy> the release is out \[👍 2\] \[🎉 1\]$/m);
      assert.ok(s.some((l) => /<cy> and the changelog$/.test(l)), s.join("\n"));
    }),
});

Deno.test({
  name:
    "chat-client in tmux: /delete sends REDACT, a REDACT shows the line deleted, late reactions stay off it",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      // a watcher without the capability
      const old = await w.pool.user("old", ["message-tags"]);
      await join(old, CHANNEL);
      await say(w, "keep this one");
      await w.cy.expect(/:ann!\S+ PRIVMSG #modern :keep this one$/, TUI_MS);
      await say(w, "oops, wrong window");
      const oops =
        tagsOf(await w.cy.expect(/:ann!\S+ PRIVMSG #modern :oops, wrong window$/, TUI_MS))
          .msgid;
      await screen(w, /<ann> oops, wrong window/);
      await say(w, "/delete");
      const redact = await w.cy.expect(/ REDACT /, TUI_MS);
      assert.equal(redact, `@${stamp(redact)} :ann!~ann@127.0.0.1 REDACT #modern ${oops}`);
      let s = await screen(w, /<ann> \(message deleted\)/);
      assert.ok(s.some((l) => /<ann> keep this one$/.test(l)), s.join("\n"));
      assert.ok(!s.join("\n").includes("oops"), s.join("\n"));
      await old.expectNone(/ REDACT /);

      // cy deletes one of hers; a reaction before and one after the deletion
      const gone = await said(w.cy, "cy", "a regrettable remark");
      await screen(w, /<cy> a regrettable remark/);
      w.cy.send(`@+draft/reply=${gone};+draft/react=😮 TAGMSG ${CHANNEL}`);
      await screen(w, /<cy> a regrettable remark \[😮 1\]/);
      w.cy.send(`REDACT ${CHANNEL} ${gone}`);
      s = await screen(w, /<cy> \(message deleted\)/);
      assert.ok(!s.join("\n").includes("regrettable"), s.join("\n"));
      w.cy.send(`@+draft/reply=${gone};+draft/react=👍 TAGMSG ${CHANNEL}`);
      // a line after the late reaction: once it shows, the reaction has been handled
      await said(w.cy, "cy", "moving on");
      s = await screen(w, /<cy> moving on/);
      const deleted = s.find((l) => /<cy> \(message deleted\)/.test(l))!;
      assert.match(deleted, /<cy> \(message deleted\)$/, s.join("\n"));
    }),
});

Deno.test({
  name: "chat-client in tmux: /search shows the server's matches with time, channel and sender",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      await join(w.cy, "#ops");
      w.cy.send("PRIVMSG #ops :the deploy of 2.1 finished");
      await said(w.cy, "cy", "nothing to see here");
      await said(w.cy, "cy", "Deploy window is Friday");
      await screen(w, /<cy> Deploy window is Friday/);
      // ann is not on #ops: its line is not hers to find
      await say(w, "/search deploy");
      const s = await screen(w, /1 message found for “deploy”:/);
      const hit = s.find((l) => /Deploy window is Friday/.test(l));
      assert.match(hit ?? "", /^\[\d\d:\d\d\] #modern <cy> Deploy window is Friday$/, s.join("\n"));
      assert.ok(!s.join("\n").includes("2.1 finished"), s.join("\n"));
      assert.match(s[ROWS - 2], /\[\d:search\]/);
      // several words, all to be there (sent escaped as one attribute), in one channel
      await say(w, "/search #modern nothing to see");
      await screen(
        w,
        /1 message found for “nothing to see in #modern”:\n\[\d\d:\d\d\] #modern <cy> nothing to see here$/m,
      );
      await say(w, "/search zebra");
      await screen(w, /Nothing found for “zebra”\./);
    }),
});

Deno.test({
  name: "chat-client in tmux: /upload posts the link, and the link serves the file's bytes",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 31 + 7) % 256);
      const file = `${w.dir}/report.bin`;
      await Deno.writeFile(file, bytes);
      await say(w, `/upload ${file}`);
      const line = await w.cy.expect(/:ann!\S+ PRIVMSG #modern :/, TUI_MS);
      const url = untagged(line).replace(/^.* PRIVMSG #modern :/, "");
      assert.match(url, new RegExp(`^https?://127\\.0\\.0\\.1:${w.server.httpPort}/uploads/\\S+$`));
      await screen(w, new RegExp(`<ann> ${re(url)}`));
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
      await screen(w, /\[lag/);
      assert.ok(!(await w.tmux.capture("ann")).join("\n").includes("[upload"));

      // over the server's limit: the server's reason, and no link
      await Deno.writeFile(`${w.dir}/huge.bin`, new Uint8Array(100_001));
      await say(w, `/upload ${w.dir}/huge.bin`);
      await screen(
        w,
        wrapped(
          "!! The upload of huge.bin failed: the file is 100001 bytes; this server takes files of up to 100000 bytes.",
        ),
      );
      await w.cy.expectNone(/ PRIVMSG /);
    }, [...TEST_LIMITS, "uploadMaxBytes=100000"]),
});

Deno.test({
  name:
    "chat-client in tmux: a bracketed paste is one multiline batch, or separate lines without the cap",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      const ml = await w.pool.user("ml", ["batch", "draft/multiline"]);
      await join(ml, CHANNEL);
      const plain = await w.pool.user("plain");
      await join(plain, CHANNEL);
      const lines = ["def main():", "    return 42", "", "main()"];
      const file = `${w.dir}/paste.txt`;
      await Deno.writeTextFile(file, lines.join("\n"));
      await w.tmux.run("load-buffer", "-b", "p", file);
      await w.tmux.run("paste-buffer", "-p", "-b", "p", "-t", "ann");
      const batch = await ml.collectUntil(/ BATCH -\S+$/, TUI_MS);
      const open = batch.findIndex((l) => / BATCH \+\S+ draft\/multiline #modern$/.test(l));
      assert.ok(open !== -1, batch.join("\n"));
      const id = / BATCH \+(\S+) /.exec(batch[open])![1];
      assert.deepEqual(batch.slice(open).map(untagged), [
        `:ann!~ann@127.0.0.1 BATCH +${id} draft/multiline #modern`,
        ...lines.map((l) => `:ann!~ann@127.0.0.1 PRIVMSG #modern :${l}`),
        `:ann!~ann@127.0.0.1 BATCH -${id}`,
      ]);
      for (const l of batch.slice(open + 1, -1)) assert.equal(tagsOf(l).batch, id, l);
      // without the cap: one PRIVMSG per line, the blank one left out
      const got: string[] = [];
      const sent = lines.filter((l) => l !== "");
      while (got.length < sent.length) {
        got.push(await plain.expect(/:ann!\S+ PRIVMSG #modern :/, TUI_MS));
      }
      assert.deepEqual(
        got,
        lines.filter((l) => l !== "").map((l) => `:ann!~ann@127.0.0.1 PRIVMSG #modern :${l}`),
      );
      const s = await screen(w, /<ann> def main\(\):/);
      const row = rowOf(s, /<ann> def main\(\):/);
      // one message, shown once (the echo is not a second copy)
      assert.equal(s.filter((l) => l.includes("def main")).length, 1, s.join("\n"));
      // the lines after the first are indented under the text ("[hh:mm] <ann> ")
      const indent = " ".repeat(14);
      assert.deepEqual(s.slice(row + 1, row + 4), [
        indent + "    return 42",
        "",
        indent + "main()",
      ]);
    }),
});

Deno.test({
  name:
    "chat-client in tmux: a second device of the account shares messages, deletions and the read marker",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      const phone = await secondDevice(w);
      // attached to ann, already on the channel
      await phone.expect(new RegExp(`:ann!\\S+ JOIN ${re(CHANNEL)}$`));

      // said on the phone: shown in the terminal as ann's, and /delete there takes it back
      phone.send(`PRIVMSG ${CHANNEL} :sent from the phone`);
      const sent = await phone.expect(/ PRIVMSG #modern :sent from the phone$/);
      await screen(w, /<ann> sent from the phone/);
      await say(w, "/delete");
      const redact = await phone.expect(/ REDACT /, TUI_MS);
      assert.equal(
        redact,
        `@${stamp(redact)} :ann!~ann@127.0.0.1 REDACT #modern ${tagsOf(sent).msgid}`,
      );
      await screen(w, /<ann> \(message deleted\)/);

      // the terminal looks at the channel: the phone hears how far ann has read
      await said(w.cy, "cy", "news for ann's phone");
      const newsTime = timeOf(w.cy, "news for ann's phone");
      await screen(w, /<cy> news for ann's phone/);
      assert.equal(
        await phone.expect(new RegExp(`MARKREAD #modern timestamp=${re(newsTime)}$`), TUI_MS),
        `:deno-chat.local MARKREAD #modern timestamp=${newsTime}`,
      );

      // elsewhere in the terminal, read on the phone: the unread count goes away
      await say(w, "/join #elsewhere");
      await screen(w, /\[3:#elsewhere\]/);
      await said(w.cy, "cy", "read this on the phone");
      await screen(w, /\[Act: 2\]/);
      phone.send(`MARKREAD ${CHANNEL} timestamp=${timeOf(w.cy, "read this on the phone")}`);
      await waitFor("the unread count to go", async () => {
        const s = await w.tmux.capture("ann");
        return /\[3:#elsewhere\]/.test(s[ROWS - 2]) && !s[ROWS - 2].includes("Act:");
      });
      // back in the channel: everything was read, so no "new" line
      await w.tmux.keys("ann", "M-2");
      const s = await screen(w, /<cy> read this on the phone[^]*\[2:#modern\]/);
      assert.ok(!s.join("\n").includes("── new ──"), s.join("\n"));
    }),
});

Deno.test({
  name:
    "chat-client in tmux: back after quitting, the replay shows the new line above what was missed",
  ignore: !haveTmux,
  fn: () =>
    withWorld(async (w) => {
      await said(w.cy, "cy", "seen before leaving");
      await screen(w, /<cy> seen before leaving/);
      // the client tells the server what was read: a device of ann's asks until it is stored
      const seen = timeOf(w.cy, "seen before leaving");
      const phone = await secondDevice(w);
      await waitFor(
        "ann's read marker to be stored",
        async () => {
          phone.send(`MARKREAD ${CHANNEL}`);
          const got = await phone.expect(/ MARKREAD #modern /);
          return got.endsWith(`timestamp=${seen}`);
        },
        TUI_MS,
        100,
      );
      phone.send("QUIT");
      await phone.expectClosed();
      await say(w, "/quit");
      await w.cy.expect(/:ann!\S+ QUIT /, TUI_MS);
      await said(w.cy, "cy", "missed while away");
      await said(w.cy, "cy", "and this too");
      // the same command again in the same pane (it stayed, dead, after the client quit)
      await w.tmux.run("respawn-pane", "-k", "-t", "ann");
      await annJoined(w);
      const s = await screen(w, /<cy> and this too/);
      const at = rowOf(s, /── new ──/);
      assert.ok(at > 0, s.join("\n"));
      assert.match(s[at - 1], /<cy> seen before leaving$/);
      assert.match(s[at + 1], /<cy> missed while away$/);
      assert.match(s[at + 2], /<cy> and this too$/);
    }),
});
