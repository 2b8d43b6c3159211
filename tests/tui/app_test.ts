import assert from "node:assert/strict";
import type { FakeOptions } from "../helpers/fake_irc_server.ts";
import { startTui, type TuiHarness } from "../helpers/tui_harness.ts";
import { waitFor } from "../helpers/wait.ts";

function harness(cols = 60, rows = 12, fake: FakeOptions = {}): Promise<TuiHarness> {
  return startTui({ cols, rows, fake });
}

Deno.test("TuiApp lays out topic bar, messages, status bar and input line", async () => {
  const h = await harness();
  try {
    const s = await h.waitScreen(/\[lag/);
    assert.match(s[0], /^#lobby/);
    assert.match(s[10], /^\[12:34\] \[ann\] \[2:#lobby\] \[lag \d+ms\] \[127\.0\.0\.1:\d+\]$/);
    assert.equal(s[11], "[#lobby]");
    assert.ok(s.slice(1, 10).some((l) => /\[\d\d:\d\d\] -- You joined #lobby/.test(l)));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp keeps the half-typed input line intact when a message arrives", async () => {
  const h = await harness();
  try {
    h.app.feed("half typ");
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :a message from bob");
    const s = await h.waitScreen(/<bob> a message from bob/);
    assert.equal(s[11], "[#lobby] half typ");
    // the cursor is back at the end of the typed text
    assert.equal(h.term.buffer.active.cursorY, 11);
    assert.equal(h.term.buffer.active.cursorX, "[#lobby] half typ".length);
    h.app.feed("ed\r");
    await h.srv.waitForLine(/^PRIVMSG #lobby :half typed$/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows a nick and text with escape sequences harmlessly", async () => {
  const h = await harness();
  try {
    h.srv.conns[0].send(":ev\x1b[2Jil!x@h PRIVMSG #lobby :\x1b[31mred\x1b]0;pwned\x07 \x9b2J end");
    const s = await h.waitScreen(/end/);
    const line = s.find((l) => l.includes("end"))!;
    assert.match(line, /<ev\^\[\[2Jil> \^\[\[31mred\^\[\]0;pwned\^G \uFFFD2J end/);
    assert.match(s[0], /^#lobby/); // the screen was not cleared
    // no text turned red: every cell of the message keeps the default colour
    const row = h.term.buffer.active.getLine(h.term.buffer.active.viewportY + s.indexOf(line))!;
    const col = line.indexOf("red");
    assert.equal(row.getCell(col)!.isFgDefault(), true);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp wraps long lines with a hanging indent and measures wide characters", async () => {
  const h = await harness(40, 12);
  try {
    h.srv.conns[0].send(
      ":bob!b@h PRIVMSG #lobby :日本語のテキスト and some words that need wrapping here",
    );
    const s = await h.waitScreen(/here/);
    const first = s.findIndex((l) => l.includes("<bob>"));
    assert.match(s[first], /^\[\d\d:\d\d\] <bob> 日本語のテキスト and some$/);
    assert.match(s[first + 1], /^ {14}words that need wrapping/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp switches windows with Alt+digit and Ctrl+N and counts unread messages", async () => {
  const h = await harness();
  try {
    h.app.feed("/join #dev\r");
    await h.waitScreen(/\[3:#dev\]/);
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :one");
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :ann: two");
    let s = await h.waitScreen(/\[Act: 2!\]/);
    assert.ok(!s.join("\n").includes("<bob> one"));
    h.app.feed("\x1b2");
    s = await h.waitScreen(/<bob> ann: two/);
    assert.match(s[10], /\[2:#lobby\]/);
    assert.ok(!s[10].includes("Act:"));
    h.app.feed("\x0e"); // Ctrl+N
    await h.waitScreen(/\[3:#dev\]/);
    h.app.feed("/win 1\r");
    await h.waitScreen(/\[1:status\]/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp rings the bell when someone mentions our nick", async () => {
  const h = await harness();
  try {
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :hey ann look");
    await h.waitScreen(/hey ann look/);
    assert.ok(h.output.some((o) => o.includes("\x07")));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp sends a multi-line paste line by line", async () => {
  const h = await harness();
  try {
    h.app.feed("\x1b[200~first line\nsecond line\n\x1b[201~");
    await h.srv.waitForLine(/^PRIVMSG #lobby :second line$/);
    const sent = h.srv.conns[0].received.filter((l) => l.startsWith("PRIVMSG"));
    assert.deepEqual(sent, ["PRIVMSG #lobby :first line", "PRIVMSG #lobby :second line"]);
    assert.equal((await h.screen())[11], "[#lobby]");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp completes nicks with Tab", async () => {
  const h = await harness();
  try {
    h.app.feed("ot\t");
    const s = await h.waitScreen(/\[#lobby\] other:/);
    assert.equal(s[11], "[#lobby] other:");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp keeps the typed line while disconnected and reconnects", async () => {
  const h = await harness();
  try {
    await h.srv.close(); // the server is gone for good: reconnection keeps failing
    await h.waitScreen(/Disconnected from the server/);
    h.app.feed("keep me\r");
    const s = await h.waitScreen(/your line was kept/);
    assert.equal(s[11], "[#lobby] keep me");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows an unknown command as a hint and sends nothing", async () => {
  const h = await harness();
  try {
    const before = h.srv.conns[0].received.length;
    h.app.feed("/frobnicate\r");
    await h.waitScreen(/Unknown command \/frobnicate/);
    assert.equal(await h.client.sync(3000), true);
    assert.deepEqual(
      h.srv.conns[0].received.slice(before).filter((l) => !l.startsWith("PING")),
      [],
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp restores the terminal when the user quits", async () => {
  const h = await harness();
  try {
    assert.equal(h.term.buffer.active.type, "alternate");
    h.app.feed("/quit bye now\r");
    assert.equal(await h.app.done, 0);
    await h.srv.waitForLine(/^QUIT :bye now$/);
    await h.screen();
    assert.equal(h.term.buffer.active.type, "normal");
    const all = h.output.join("");
    assert.ok(all.endsWith("\x1b[r\x1b[0m\x1b[?2004l\x1b[?25h\x1b[?1049l"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp scrolls back with PageUp and returns with PageDown", async () => {
  const h = await harness();
  try {
    for (let i = 0; i < 30; i++) h.srv.conns[0].send(`:bob!b@h PRIVMSG #lobby :line ${i}`);
    await h.waitScreen(/line 29/);
    h.app.feed("\x1b[5~");
    let s = await h.waitScreen(/more below/);
    assert.ok(!s.join("\n").includes("line 29"));
    h.app.feed("\x1b[6~\x1b[6~\x1b[6~");
    s = await h.waitScreen(/line 29/);
    assert.ok(!s.join("\n").includes("more below"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows replayed history dimmed, with its original date and time", async () => {
  const h = await harness(70, 12, { caps: ["server-time", "echo-message", "batch"] });
  try {
    const conn = h.srv.conns[0];
    const when = new Date("2023-12-31T09:05:00.000Z");
    const pad = (n: number) => String(n).padStart(2, "0");
    const stamp = `[${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ` +
      `${pad(when.getHours())}:${pad(when.getMinutes())}]`;
    conn.send("BATCH +h1 chathistory #lobby");
    conn.send(`@batch=h1;time=${when.toISOString()} :bob!b@h PRIVMSG #lobby :from last year, ann`);
    conn.send("BATCH -h1");
    conn.send(":bob!b@h PRIVMSG #lobby :live now");
    const s = await h.waitScreen(/live now/);
    const oldRow = s.findIndex((l) => l.includes("from last year"));
    assert.ok(s[oldRow].startsWith(`${stamp} <bob> from last year, ann`), s[oldRow]);
    const buf = h.term.buffer.active;
    const dim = (row: number, col: number) =>
      buf.getLine(buf.viewportY + row)!.getCell(col)!.isDim();
    const textCol = s[oldRow].indexOf("from last");
    assert.ok(dim(oldRow, 0) !== 0 && dim(oldRow, textCol) !== 0, "history is dim");
    const liveRow = s.findIndex((l) => l.includes("live now"));
    assert.equal(dim(liveRow, s[liveRow].indexOf("live")), 0, "live lines are not dim");
    // an old mention neither rings nor counts as a highlight
    assert.ok(!h.output.join("").includes("\x07"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp /login asks for the password masked and keeps it out of the screen and history", async () => {
  const h = await harness(70, 12);
  try {
    h.app.feed("/login\r");
    await h.waitScreen(/^\[password for ann\]$/m);
    h.app.feed("s3cret-pw");
    const s = await h.waitScreen(/\*{9}/);
    assert.equal(s[11], "[password for ann] *********");
    assert.ok(!s.join("\n").includes("s3cret"));
    h.app.feed("\r");
    await h.srv.waitForLine(/^PRIVMSG NickServ :IDENTIFY ann s3cret-pw$/);
    const after = await h.waitScreen(/^\[#lobby\]$/m);
    assert.ok(!after.join("\n").includes("s3cret"));
    // /register's password is sent but not kept in the input history either
    h.app.feed("/register another-pw-1\r");
    await h.srv.waitForLine(/^PRIVMSG NickServ :REGISTER another-pw-1$/);
    h.app.feed("\x1b[A"); // Up: history
    await h.waitScreen(/^\[#lobby\]$/m);
    assert.deepEqual(h.app.editor.history.filter((l) => /pw/.test(l)), []);
    assert.ok(!h.output.join("").includes("s3cret"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp /login then Enter alone cancels without sending anything", async () => {
  const h = await harness(70, 12);
  try {
    h.app.feed("/login bob\r");
    await h.waitScreen(/^\[password for bob\]$/m);
    h.app.feed("\r");
    await h.waitScreen(/Login cancelled\./);
    assert.ok(!h.srv.conns[0].received.some((l) => /IDENTIFY/.test(l)));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows a channel's members beside the messages on a wide terminal; /members hides them", async () => {
  const h = await harness(110, 14);
  try {
    h.app.feed("half typ");
    h.srv.conns[0].send(":bob!b@h JOIN #lobby");
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :hello from bob");
    let s = await h.waitScreen(/<bob> hello from bob/);
    // ops first, then by nick; the pane is the last 8 columns, after a separator
    const pane = s.slice(1, 12).map((l) => l.slice(102));
    assert.deepEqual(pane.slice(0, 3), ["@ann", " bob", " other"]);
    assert.ok(s.slice(1, 12).every((l) => l.length <= 101 || l[101] === "│"), s.join("\n"));
    // messages wrap before the pane, and the typed text is untouched
    assert.ok(s.slice(1, 12).every((l) => !/│/.test(l.slice(0, 101))), s.join("\n"));
    assert.equal(s[13], "[#lobby] half typ");
    assert.equal(h.term.buffer.active.cursorX, "[#lobby] half typ".length);

    h.srv.conns[0].send(":bob!b@h PART #lobby :bye");
    s = await h.waitScreen(/bob left #lobby/);
    assert.deepEqual(s.slice(1, 3).map((l) => l.slice(102)), ["@ann", " other"]);

    h.app.feed("\x15/members\r");
    s = await h.waitScreen(/^(?![\s\S]*│)/);
    assert.ok(s.every((l) => !l.includes("│")), s.join("\n"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows no member pane on a narrow terminal", async () => {
  const h = await harness(80, 12);
  try {
    h.srv.conns[0].send(":bob!b@h PRIVMSG #lobby :hi");
    const s = await h.waitScreen(/<bob> hi/);
    assert.ok(s.every((l) => !l.includes("│")), s.join("\n"));
  } finally {
    await h.dispose();
  }
});

const HISTORY_CAPS = ["server-time", "echo-message", "batch", "message-tags", "draft/chathistory"];

function count(screen: string[], text: string): number {
  return screen.filter((l) => l.includes(text)).length;
}

Deno.test("TuiApp shows a line replayed after a reconnect once: by msgid, or by time, sender and text", async () => {
  const h = await harness(60, 16, { caps: HISTORY_CAPS });
  try {
    const first = h.srv.conns[0];
    first.send("@msgid=m1;time=2024-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :with an id");
    first.send("@time=2024-01-01T10:00:01.000Z :bob!b@h PRIVMSG #lobby :without an id");
    await h.waitScreen(/without an id/);
    h.srv.dropAll();
    const second = await h.srv.waitForConn(2);
    await waitFor("the rejoin", () => second.received.some((l) => l.startsWith("JOIN")));
    second.send("BATCH +r1 chathistory #lobby");
    second.send(
      "@batch=r1;msgid=m1;time=2024-01-01T10:00:00.000Z :bob!b@h PRIVMSG #lobby :with an id",
    );
    second.send("@batch=r1;time=2024-01-01T10:00:01.000Z :bob!b@h PRIVMSG #lobby :without an id");
    second.send(
      "@batch=r1;msgid=m3;time=2024-01-01T10:00:02.000Z :bob!b@h PRIVMSG #lobby :missed meanwhile",
    );
    second.send("BATCH -r1");
    second.send(":bob!b@h PRIVMSG #lobby :live again");
    const s = await h.waitScreen(/live again/);
    assert.equal(count(s, "with an id"), 1, s.join("\n"));
    assert.equal(count(s, "without an id"), 1, s.join("\n"));
    assert.equal(count(s, "missed meanwhile"), 1, s.join("\n"));
    // two live lines with the same text are both shown: only replays are dropped
    second.send(":bob!b@h PRIVMSG #lobby :live again");
    await waitFor(
      "the repeated live line",
      async () => count(await h.screen(), "live again") === 2,
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp fetches older lines with CHATHISTORY BEFORE on PgUp at the top, shown above", async () => {
  const h = await harness(60, 12, { caps: HISTORY_CAPS });
  try {
    const conn = h.srv.conns[0];
    conn.send("@msgid=n1;time=2024-01-01T11:00:00.000Z :bob!b@h PRIVMSG #lobby :newest known");
    const before = await h.waitScreen(/newest known/);
    const row = before.findIndex((l) => l.includes("newest known"));
    h.app.feed("\x1b[5~"); // PgUp
    await h.srv.waitForLine(/^CHATHISTORY BEFORE #lobby msgid=n1 50$/);
    conn.send("BATCH +h1 chathistory #lobby");
    for (let i = 1; i <= 20; i++) {
      const t = new Date(Date.UTC(2024, 0, 1, 10, i)).toISOString();
      conn.send(`@batch=h1;msgid=o${i};time=${t} :bob!b@h PRIVMSG #lobby :old ${i}`);
    }
    conn.send("BATCH -h1");
    const after = await h.waitScreen(/old 20/);
    // what was on screen has not moved; the older lines are above it
    assert.equal(after.findIndex((l) => l.includes("newest known")), row, after.join("\n"));
    assert.ok(after.findIndex((l) => l.includes("old 20")) < row);
    const w = h.app.windows.find("#lobby")!;
    assert.equal(w.lines[0].text, "old 1");
    // PgUp now scrolls into them, and at the very top asks again, from the oldest one
    h.app.feed("\x1b[5~\x1b[5~\x1b[5~\x1b[5~\x1b[5~");
    await h.waitScreen(/old 1$/m);
    await h.srv.waitForLine(/^CHATHISTORY BEFORE #lobby msgid=o1 50$/);
    conn.send("BATCH +h2 chathistory #lobby");
    conn.send("BATCH -h2");
    await h.waitScreen(/No older messages in #lobby/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp asks before sending a 30-line paste, then sends every line, blank ones too", async () => {
  const h = await harness();
  try {
    const lines = Array.from({ length: 30 }, (_, i) => i === 4 ? "" : `pasted ${i + 1}`);
    h.app.feed(`\x1b[200~${lines.join("\n")}\n\x1b[201~`);
    const s = await h.waitScreen(/\[send 30 lines\? y\/n\]/);
    assert.ok(s.some((l) => /You pasted 30 lines/.test(l)), s.join("\n"));
    assert.equal(await h.client.sync(3000), true);
    const privmsgs = () => h.srv.conns[0].received.filter((l) => l.startsWith("PRIVMSG"));
    assert.deepEqual(privmsgs(), []);
    h.app.feed("y");
    await h.srv.waitForLine(/^PRIVMSG #lobby :pasted 30$/);
    assert.deepEqual(
      privmsgs(),
      lines.map((l) => l === "" ? "PRIVMSG #lobby : " : `PRIVMSG #lobby :${l}`),
    );
    assert.equal((await h.screen())[11], "[#lobby]");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp sends nothing of a long paste answered with n", async () => {
  const h = await harness();
  try {
    h.app.feed(`\x1b[200~${Array.from({ length: 8 }, (_, i) => `x${i}`).join("\n")}\x1b[201~`);
    await h.waitScreen(/\[send 8 lines\? y\/n\]/);
    h.app.feed("n");
    await h.waitScreen(/The 8 pasted lines were not sent/);
    assert.equal(await h.client.sync(3000), true);
    assert.deepEqual(h.srv.conns[0].received.filter((l) => l.startsWith("PRIVMSG")), []);
    assert.equal((await h.screen())[11], "[#lobby]");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows bold, italics and colours in messages, and never text hidden in its own colour", async () => {
  const h = await harness();
  try {
    h.srv.conns[0].send(
      ":bob!b@h PRIVMSG #lobby :\x02bold\x02 \x1ditalic\x1d \x0304red\x03 \x0301,01hidden\x03 \x16rev",
    );
    const s = await h.waitScreen(/<bob> bold italic red hidden rev/);
    const y = s.findIndex((l) => l.includes("<bob> bold"));
    const line = h.term.buffer.active.getLine(h.term.buffer.active.viewportY + y)!;
    const cellAt = (word: string) => line.getCell(s[y].indexOf(word))!;
    assert.ok(cellAt("bold").isBold());
    assert.ok(!cellAt("italic").isBold() && cellAt("italic").isItalic());
    assert.ok(cellAt("red").isFgPalette());
    assert.equal(cellAt("red").getFgColor(), 9); // bright red
    // black on black: shown in the terminal's own colours
    assert.ok(cellAt("hidden").isFgDefault() && cellAt("hidden").isBgDefault());
    assert.equal(cellAt("rev").isInverse(), 0);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp dims away members in the member pane (WHO at join, then away-notify)", async () => {
  const h = await harness(100, 12, { caps: ["server-time", "away-notify"] });
  try {
    const conn = h.srv.conns[0];
    await h.srv.waitForLine(/^WHO #lobby$/);
    conn.send(":fake.srv 352 ann #lobby o h fake.srv other G :0 Other");
    conn.send(":fake.srv 352 ann #lobby a h fake.srv ann H :0 Ann");
    conn.send(":fake.srv 315 ann #lobby :End of WHO list");
    const buf = h.term.buffer.active;
    const paneCell = async (nick: string) => {
      const s = await h.screen();
      const y = s.findIndex((l) => new RegExp(`│[@ ]${nick}\\b`).test(l));
      if (y === -1) return undefined;
      return buf.getLine(buf.viewportY + y)!.getCell(s[y].indexOf(nick, s[y].indexOf("│")));
    };
    await waitFor(
      "other dimmed",
      async () => (await paneCell("other"))?.isDim() ? true : undefined,
    );
    assert.equal((await paneCell("ann"))!.isDim(), 0);
    // the WHO replies were ours: not shown
    assert.ok(!(await h.screen()).some((l) => /Other|End of WHO/.test(l)));
    conn.send(":other!o@h AWAY");
    await waitFor("other back", async () => (await paneCell("other"))?.isDim() === 0);
    conn.send(":bob!b@h JOIN #lobby");
    conn.send(":bob!b@h AWAY :lunch");
    await waitFor("bob dimmed", async () => (await paneCell("bob"))?.isDim() ? true : undefined);
  } finally {
    await h.dispose();
  }
});
