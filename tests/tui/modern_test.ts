import assert from "node:assert/strict";
import type { Credentials } from "../../lib/client/registration.ts";
import type { FakeOptions } from "../helpers/fake_irc_server.ts";
import { startTui, type TuiHarness } from "../helpers/tui_harness.ts";
import { waitFor } from "../helpers/wait.ts";

/** The features of issue 15, as a server that has them offers them. */
const MODERN = [
  "server-time",
  "batch",
  "message-tags",
  "draft/read-marker",
  "draft/message-redaction",
  "draft/multiline=max-bytes=60,max-lines=4",
  "soju.im/search",
];

function harness(
  fake: FakeOptions = { caps: MODERN },
  opts: { cols?: number; rows?: number; sasl?: Credentials } = {},
): Promise<TuiHarness> {
  return startTui({
    cols: opts.cols ?? 70,
    rows: opts.rows ?? 14,
    fake,
    sasl: opts.sasl,
    beforeJoin: opts.sasl
      ? async (srv) => {
        // the fake server knows no SASL: the test answers for it
        await srv.waitForLine(/^AUTHENTICATE PLAIN$/);
        srv.conns[0].send("AUTHENTICATE +");
        await srv.waitForLine(/^AUTHENTICATE [A-Za-z0-9+/=]+$/);
        srv.conns[0].send(":fake.srv 900 ann ann!u@h ann :You are now logged in as ann");
        srv.conns[0].send(":fake.srv 903 ann :SASL authentication successful");
      }
      : undefined,
  });
}

const at = (minute: number) => `2024-01-01T12:${String(minute).padStart(2, "0")}:00.000Z`;

Deno.test("TuiApp draws the '── new ──' line where the user left a window, without the cap too", async () => {
  const h = await harness({ caps: ["server-time"] });
  try {
    h.send(":bob!b@h PRIVMSG #lobby :seen before leaving");
    await h.waitScreen(/seen before leaving/);
    h.app.feed("/join #dev\r");
    await h.waitScreen(/\[3:#dev\]/);
    h.send(":bob!b@h PRIVMSG #lobby :said while away");
    await h.waitScreen(/\[Act: 2\]/);
    h.app.feed("\x1b2");
    const s = await h.waitScreen(/said while away/);
    const marker = s.findIndex((l) => l.includes("── new ──"));
    assert.ok(marker > 0, s.join("\n"));
    assert.match(s[marker - 1], /seen before leaving/);
    assert.match(s[marker + 1], /said while away/);
    // nothing unread in #dev: no marker there, even for lines arriving while looking
    h.app.feed("\x1b3");
    h.send(":bob!b@h PRIVMSG #dev :live in dev");
    const d = await h.waitScreen(/live in dev/);
    assert.ok(!d.join("\n").includes("── new ──"), d.join("\n"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp follows the server's read marker: it moves the line and clears the unread count", async () => {
  const h = await harness();
  try {
    h.app.feed("/join #dev\r");
    await h.waitScreen(/\[3:#dev\]/);
    h.send(`@time=${at(1)};msgid=a :bob!b@h PRIVMSG #lobby :first`);
    h.send(`@time=${at(2)};msgid=b :bob!b@h PRIVMSG #lobby :second`);
    await h.waitScreen(/\[Act: 2\]/);
    // read on another device up to "second"
    h.send(`:srv MARKREAD #lobby timestamp=${at(2)}`);
    let s = await h.waitScreen(/\[3:#dev\] \[/);
    await waitFor("no activity", async () => !(await h.screen()).join("\n").includes("Act:"));
    h.send(`@time=${at(3)};msgid=c :bob!b@h PRIVMSG #lobby :third`);
    await h.waitScreen(/\[Act: 2\]/);
    assert.equal(h.app.windows.find("#lobby")!.unread, 1);
    h.app.feed("\x1b2");
    s = await h.waitScreen(/third/);
    const marker = s.findIndex((l) => l.includes("── new ──"));
    assert.match(s[marker - 1], /second/);
    assert.match(s[marker + 1], /third/);
    // looked at: the client says so, with the newest line's server time
    await h.srv.waitForLine(
      new RegExp(`^MARKREAD #lobby timestamp=${at(3).replaceAll(".", "\\.")}$`),
    );
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp /delete redacts the last own message and shows a redacted line as deleted", async () => {
  const h = await harness();
  try {
    h.send(`@time=${at(1)};msgid=own1 :ann!u@127.0.0.1 PRIVMSG #lobby :my first`);
    h.send(`@time=${at(2)};msgid=own2 :ann!u@127.0.0.1 PRIVMSG #lobby :oops, wrong window`);
    h.send(`@time=${at(3)};msgid=bob1 :bob!b@h PRIVMSG #lobby :a word from bob`);
    await h.waitScreen(/a word from bob/);
    h.app.feed("/delete\r");
    await h.srv.waitForLine(/^REDACT #lobby own2$/);
    h.app.feed("/delete 2\r");
    await h.srv.waitForLine(/^REDACT #lobby own1$/);
    h.send(":ann!u@127.0.0.1 REDACT #lobby own2");
    h.send(":chanop!c@h REDACT #lobby bob1 :spam");
    // a REDACT for a message this window does not have is ignored
    h.send(":bob!b@h REDACT #lobby nowhere");
    const s = await h.waitScreen(/<bob> \(message deleted\)/);
    assert.ok(s.some((l) => /<ann> \(message deleted\)/.test(l)), s.join("\n"));
    assert.ok(s.some((l) => /<ann> my first/.test(l)));
    assert.ok(!s.join("\n").includes("oops"));
  } finally {
    await h.dispose();
  }
  const old = await harness({ caps: ["server-time"] });
  try {
    old.app.feed("/delete\r");
    await old.waitScreen(/does not support deleting messages/);
  } finally {
    await old.dispose();
  }
});

Deno.test("TuiApp shows a reply's original above it and sends /reply N with +draft/reply", async () => {
  const h = await harness();
  try {
    h.send(
      `@time=${
        at(1)
      };msgid=q1 :bob!b@h PRIVMSG #lobby :what time is the meeting tomorrow morning, and where exactly?`,
    );
    h.send(`@time=${at(2)};msgid=q2 :cy!c@h PRIVMSG #lobby :unrelated`);
    h.send(`@time=${at(3)};msgid=r1;+draft/reply=q1 :cy!c@h PRIVMSG #lobby :at ten`);
    const s = await h.waitScreen(/at ten/);
    const row = s.findIndex((l) => l.includes("<cy> at ten"));
    assert.match(s[row - 1], /^ {8}↪ bob: what time is the meeting tomorrow morning, and w…$/);
    h.app.feed("/reply 3 thanks bob\r");
    await h.srv.waitForLine(/^@\+draft\/reply=q1 PRIVMSG #lobby :thanks bob$/);
    h.app.feed("/reply 9 nobody\r");
    await h.waitScreen(/There is no message number 9 here/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows reactions compactly on the line and sends /react N", async () => {
  const h = await harness();
  try {
    h.send(`@time=${at(1)};msgid=m1 :bob!b@h PRIVMSG #lobby :release is out`);
    await h.waitScreen(/release is out/);
    h.app.feed("/react 1 👍\r");
    await h.srv.waitForLine(/^@\+draft\/reply=m1;\+draft\/react=👍 TAGMSG #lobby$/);
    h.send("@msgid=t1;+draft/reply=m1;+draft/react=👍 :cy!c@h TAGMSG #lobby");
    h.send("@msgid=t2;+draft/reply=m1;+draft/react=🎉 :cy!c@h TAGMSG #lobby");
    let s = await h.waitScreen(/release is out \[👍 2\] \[🎉 1\]/);
    // a reaction taken back (REDACT of its TAGMSG)
    h.send(":cy!c@h REDACT #lobby t2");
    s = await h.waitScreen(/release is out \[👍 2\]$/m);
    assert.ok(!s.join("\n").includes("🎉"));
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp shows a multiline message as one, continuation lines indented", async () => {
  const h = await harness();
  try {
    h.send(`@time=${at(1)};msgid=ml :bob!b@h BATCH +b1 draft/multiline #lobby`);
    h.send("@batch=b1 :bob!b@h PRIVMSG #lobby :def main():");
    h.send("@batch=b1 :bob!b@h PRIVMSG #lobby :    return 42");
    h.send(":srv BATCH -b1");
    const s = await h.waitScreen(/return 42/);
    const row = s.findIndex((l) => l.includes("<bob> def main():"));
    assert.equal(s[row + 1], " ".repeat(14) + "    return 42");
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp sends a paste as one multiline batch, and asks when it needs several", async () => {
  const h = await harness();
  try {
    h.app.feed("\x1b[200~first line\nsecond line\n\x1b[201~");
    await h.srv.waitForLine(/^BATCH -ml1$/);
    const r = h.srv.conns[0].received;
    assert.deepEqual(r.slice(r.indexOf("BATCH +ml1 draft/multiline #lobby")), [
      "BATCH +ml1 draft/multiline #lobby",
      "@batch=ml1 PRIVMSG #lobby :first line",
      "@batch=ml1 PRIVMSG #lobby :second line",
      "BATCH -ml1",
    ]);
    // six lines, over max-lines=4: two messages, asked first
    h.app.feed("\x1b[200~1\n2\n3\n4\n5\n6\x1b[201~");
    await h.waitScreen(/send 6 lines as 2 messages\? y\/n/);
    h.app.feed("y");
    await h.srv.waitForLine(/^BATCH -ml3$/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp /search shows the results in a search window with time, channel and sender", async () => {
  const h = await harness();
  try {
    h.app.feed("/search deploy\r");
    await h.srv.waitForLine(/^SEARCH text=deploy;limit=100$/);
    h.send(":srv BATCH +s soju.im/search");
    h.send(`@batch=s;msgid=x;time=${at(5)} :bill!b@h PRIVMSG #dev :deploy done`);
    h.send(":srv BATCH -s");
    const s = await h.waitScreen(/\] #dev <bill> deploy done/);
    assert.ok(s.some((l) => l.includes("1 message found for “deploy”:")), s.join("\n"));
    assert.match(s[s.length - 2], /\[\d:search\]/);
  } finally {
    await h.dispose();
  }
});

Deno.test("TuiApp /notify tells who comes online in the active window and the status bar", async () => {
  const h = await harness({ caps: ["server-time"] });
  try {
    h.send(":fake.srv 005 ann MONITOR=100 :are supported");
    assert.ok(await h.client.sync());
    h.app.feed("/notify add bob\r");
    await h.srv.waitForLine(/^MONITOR \+ bob$/);
    h.send(":fake.srv 730 ann :bob!b@h");
    let s = await h.waitScreen(/bob is online\./);
    assert.match(s[s.length - 2], /\[online: bob\]/);
    h.send(":fake.srv 731 ann :bob");
    s = await h.waitScreen(/bob went offline\./);
    assert.ok(!s[s.length - 2].includes("online:"));
    h.app.feed("/notify list\r");
    await h.waitScreen(/Notify list: bob \(offline\)/);
    // what is already so is said, not done again
    h.app.feed("/notify add Bob,cy,cy\r");
    await h.srv.waitForLine(/^MONITOR \+ cy$/);
    s = await h.waitScreen(/Watching cy\.$/m);
    assert.ok(s.some((l) => l.endsWith("You are already watching Bob.")), s.join("\n"));
    h.app.feed("/notify del zed,cy\r");
    await h.srv.waitForLine(/^MONITOR - cy$/);
    s = await h.waitScreen(/No longer watching cy\.$/m);
    assert.ok(s.some((l) => l.endsWith("zed is not on your notify list.")), s.join("\n"));
  } finally {
    await h.dispose();
  }
});

Deno.test(
  "TuiApp /upload posts the file with the account's credentials, shows progress, then the link",
  // Windows' long temporary paths wrap the expected error line across rows of the screen
  { ignore: Deno.build.os === "windows" },
  async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    const seen: {
      auth: string | null;
      type: string | null;
      disposition: string | null;
      length: string | null;
      body: string;
    }[] = [];
    const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const body = await req.text();
      seen.push({
        auth: req.headers.get("authorization"),
        type: req.headers.get("content-type"),
        disposition: req.headers.get("content-disposition"),
        // servers refuse a chunked upload: the size is said first
        length: req.headers.get("content-length"),
        body,
      });
      await held;
      return new Response(null, { status: 201, headers: { Location: "/uploads/ab12.txt" } });
    });
    const dir = await Deno.makeTempDir();
    const file = `${dir}/notes.txt`;
    await Deno.writeTextFile(file, "meeting notes\n");
    const h = await harness({ caps: ["server-time", "sasl"] }, {
      sasl: { account: "ann", password: "s3cret" },
    });
    try {
      const base = `http://127.0.0.1:${http.addr.port}`;
      h.send(`:fake.srv 005 ann soju.im/FILEHOST=${base}/upload :are supported`);
      assert.ok(await h.client.sync());
      h.app.feed(`/upload ${file}\r`);
      await h.waitScreen(/\[upload notes\.txt 100%\]/);
      release();
      await h.srv.waitForLine(new RegExp(`^PRIVMSG #lobby :?${base}/uploads/ab12\\.txt$`));
      assert.deepEqual(seen, [{
        auth: "Basic " + btoa("ann:s3cret"),
        type: "text/plain; charset=utf-8",
        disposition: 'attachment; filename="notes.txt"',
        length: "14",
        body: "meeting notes\n",
      }]);
      const s = await h.waitScreen(/\[lag/);
      assert.ok(!s.join("\n").includes("[upload"));
      h.app.feed(`/upload ${dir}/missing.png\r`);
      await h.waitScreen(/Cannot read .*missing\.png/);
    } finally {
      release();
      await h.dispose();
      await http.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
    // a guest (no account) is told how to log in; nothing is sent
    const guest = await harness({ caps: ["server-time"] });
    try {
      guest.send(":fake.srv 005 ann soju.im/FILEHOST=http://127.0.0.1:9/upload :are supported");
      assert.ok(await guest.client.sync());
      guest.app.feed("/upload x.png\r");
      await guest.waitScreen(/Uploads need an account/);
    } finally {
      await guest.dispose();
    }
  },
);

Deno.test("TuiApp marks replayed lines after the server's marker as new in the window shown, never live ones", async () => {
  const h = await harness();
  try {
    h.send(`:srv MARKREAD #lobby timestamp=${at(0)}`);
    h.send("BATCH +h chathistory #lobby");
    h.send(`@batch=h;time=${at(1)};msgid=h1 :bob!b@h PRIVMSG #lobby :missed while offline`);
    h.send("BATCH -h");
    h.send(`@time=${at(5)};msgid=l1 :bob!b@h PRIVMSG #lobby :live`);
    const s = await h.waitScreen(/<bob> live/);
    const marker = s.findIndex((l) => l.includes("── new ──"));
    assert.match(s[marker + 1], /missed while offline/);
    assert.equal(s.filter((l) => l.includes("── new ──")).length, 1);
  } finally {
    await h.dispose();
  }
  const h2 = await harness();
  try {
    h2.send(`:srv MARKREAD #lobby timestamp=${at(9)}`);
    assert.ok(await h2.client.sync());
    h2.send(`@time=${at(10)};msgid=l2 :bob!b@h PRIVMSG #lobby :said while looking`);
    const s = await h2.waitScreen(/said while looking/);
    assert.ok(!s.join("\n").includes("── new ──"), s.join("\n"));
  } finally {
    await h2.dispose();
  }
});
