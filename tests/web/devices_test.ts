/// <reference lib="dom" />
/**
 * Two browsers logged in to one account (two devices: two Playwright contexts, so two
 * storages and two connections), against the real server, with raw TCP clients as the
 * other people: read markers, multiclient echo, deletion, multi-line messages, uploads,
 * search and presence, each seen on both devices and on the wire.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Page } from "playwright-core";
import {
  BROWSER_TEST,
  bufferItem,
  line,
  newUserPage,
  onScreen,
  send,
  withWorld,
  type World,
} from "./browser.ts";

const PASSWORD = "ada-secret-1";
/** A real 1×1 PNG, so the preview loads (a preview that fails to load is removed). */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** A device: one browser context signed in to the account. */
interface Device {
  page: Page;
  errors: string[];
}

/** Registers the account `ada` from a raw client, which then leaves. */
async function registerAda(w: World): Promise<void> {
  const reg = await w.tcp();
  await reg.register("ada");
  reg.send(`PRIVMSG NickServ :REGISTER ${PASSWORD}`);
  await reg.expect(/Account ada created/);
  reg.send("QUIT");
  await reg.expectClosed();
}

/**
 * Opens the app in a new context and signs in to `ada` with the form, joining `channels`;
 * at `host` (the server advertises its uploads at 127.0.0.1).
 */
async function device(
  w: World,
  channels: string,
  sent?: string[],
  host = "127.0.0.1",
): Promise<Device> {
  const { page, errors } = await newUserPage(w.browser);
  // what the page says to the server, when the test wants to see it
  if (sent) {
    page.on("websocket", (ws) => ws.on("framesent", (f) => sent.push(String(f.payload))));
  }
  await page.goto(`http://${host}:${w.server.httpPort}/`);
  await page.fill("#nick", "ada");
  await page.fill("#password", PASSWORD);
  await page.fill("#channels", channels);
  await page.click("#join-button");
  for (const c of channels.split(",")) await bufferItem(page, c).waitFor();
  await page.locator("#member-list .nick", { hasText: /^ada$/ }).first().waitFor();
  return { page, errors };
}

/** Two devices of `ada` in `channels` (the first one on screen), after registering it. */
async function twoDevices(w: World, channels: string): Promise<[Device, Device]> {
  await registerAda(w);
  const a = await device(w, channels);
  const b = await device(w, channels);
  return [a, b];
}

/** A raw client `nick` in `channel`, with `caps`. */
async function joined(w: World, nick: string, channel: string, caps: string[] = []) {
  const c = await w.tcp();
  await c.register(nick, caps);
  c.send(`JOIN ${channel}`);
  await c.expect(new RegExp(` 366 ${nick} ${channel} `));
  return c;
}

/** Opens a conversation by its sidebar entry. */
async function open(page: Page, name: string): Promise<void> {
  await bufferItem(page, name).locator(".open").click();
  await onScreen(page, name);
}

/** Waits until a page shows a line from `who` with `text`: it has been delivered there. */
async function sees(page: Page, text: string): Promise<void> {
  await line(page, text).first().waitFor();
}

/** The message text after the trailing ` :` of a raw line. */
function body(raw: string): string {
  return raw.slice(raw.indexOf(" :", raw.indexOf(" PRIVMSG ")) + 2);
}

Deno.test({
  name: "web devices: reading in one browser clears the other's badge and moves its marker",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#side,#lobby");
      const bob = await joined(w, "bob", "#lobby");
      await open(a.page, "#side");
      await open(b.page, "#side");
      bob.send("PRIVMSG #lobby :one", "PRIVMSG #lobby :two");
      await bufferItem(a.page, "#lobby").locator(".badge.unread", { hasText: /^2$/ }).waitFor();
      await bufferItem(b.page, "#lobby").locator(".badge.unread", { hasText: /^2$/ }).waitFor();

      // A reads #lobby: B's badge goes, though B never looked
      await open(a.page, "#lobby");
      await sees(a.page, "two");
      await bufferItem(b.page, "#lobby").locator(".badge").waitFor({ state: "detached" });

      // A goes elsewhere; one more comes: B counts only what A has not read
      await open(a.page, "#side");
      bob.send("PRIVMSG #lobby :three");
      await bufferItem(b.page, "#lobby").locator(".badge.unread", { hasText: /^1$/ }).waitFor();
      await bufferItem(a.page, "#lobby").locator(".badge.unread", { hasText: /^1$/ }).waitFor();

      // B opens #lobby: its "new" marker sits where A stopped reading, after "two"
      await open(b.page, "#lobby");
      await sees(b.page, "three");
      const order = await b.page.locator("#messages > .line, #messages > .unread-marker")
        .evaluateAll((els) =>
          els.map((e) =>
            e.classList.contains("unread-marker") ? "marker" : e.querySelector(".text")?.textContent
          ).filter((t) => t === "marker" || t === "one" || t === "two" || t === "three")
        );
      assertEquals(order, ["one", "two", "marker", "three"]);
      // and B's reading cleared A's badge in turn
      await bufferItem(a.page, "#lobby").locator(".badge").waitFor({ state: "detached" });
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name: "web devices: a message sent in one browser shows once in the other, as ours",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby,#side");
      const bob = await joined(w, "bob", "#lobby");
      // both look elsewhere (a device looking at #lobby would mark it read for both)
      await open(a.page, "#side");
      await open(b.page, "#side");
      await send(a.page, "/msg #lobby hello from the laptop");
      const raw = await bob.expect(/ PRIVMSG #lobby :hello from the laptop$/);
      assertEquals(raw, ":ada!~ada@127.0.0.1 PRIVMSG #lobby :hello from the laptop");
      // a later line has arrived after it, so a duplicate would be there by now
      bob.send("PRIVMSG #lobby :after");
      // on both devices our own message is not unread: only bob's counts
      for (const d of [a, b]) {
        await bufferItem(d.page, "#lobby").locator(".badge.unread", { hasText: /^1$/ }).waitFor();
      }
      await open(a.page, "#lobby");
      await open(b.page, "#lobby");
      await sees(a.page, "after");
      await sees(b.page, "after");
      for (const d of [a, b]) {
        const mine = line(d.page, "hello from the laptop");
        assertEquals(await mine.count(), 1);
        ok(await mine.evaluate((e) => e.classList.contains("self")), "shown as our own");
        assertEquals(await mine.locator(".nick").textContent(), "ada");
      }
      await bob.expectNone(/hello from the laptop/);
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name: "web devices: a delete in one browser shows as deleted in the other and REDACT on the wire",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby");
      const bob = await joined(w, "bob", "#lobby", ["message-tags", "draft/message-redaction"]);
      const plain = await joined(w, "cat", "#lobby");
      await send(a.page, "keep this");
      await send(a.page, "regret this");
      const msg = await bob.expectMessage(/ PRIVMSG #lobby :regret this$/);
      const id = msg.tags["msgid"];
      ok(id);
      await sees(b.page, "regret this");
      const mine = line(a.page, "regret this");
      assertEquals(await mine.getAttribute("data-id"), id);
      await mine.hover();
      await mine.locator(".act-delete").click();
      const redact = await bob.expect(/ REDACT /);
      // the REDACT has its own msgid (message-tags), then exactly the spec's form
      const rid = /^@msgid=(\S+) /.exec(redact)?.[1];
      ok(rid && rid !== id, redact);
      assertEquals(redact, `@msgid=${rid} :ada!~ada@127.0.0.1 REDACT #lobby ${id}`);
      for (const d of [a, b]) {
        await d.page.locator(`#messages .line[data-id="${id}"] .redacted`, {
          hasText: "message deleted",
        }).waitFor();
        assertEquals(await line(d.page, "regret this").count(), 0);
      }
      // a client without the capability is told nothing it cannot understand
      await plain.expectNone(/REDACT/);
      // and it is gone from history: a reload shows what came before it, not it
      await b.page.reload();
      await onScreen(b.page, "#lobby");
      await sees(b.page, "keep this");
      assertEquals(await b.page.locator(`#messages .line[data-id="${id}"]`).count(), 0);
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name:
    "web devices: Shift+Enter lines and a paste go as one multiline message: one in the other browser, one BATCH, PRIVMSGs without the cap, one from history",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby");
      const ml = await joined(w, "bob", "#lobby", ["batch", "draft/multiline"]);
      const plain = await joined(w, "cat", "#lobby");
      const input = a.page.locator("#input");
      await input.click();
      await a.page.keyboard.type("first line");
      await a.page.keyboard.press("Shift+Enter");
      await a.page.keyboard.type("second line");
      await a.page.keyboard.press("Shift+Enter");
      await a.page.keyboard.type("third line");
      assertEquals(await input.inputValue(), "first line\nsecond line\nthird line");
      await a.page.keyboard.press("Enter");

      const open = await ml.expect(/ BATCH \+/);
      const ref = /BATCH \+(\S+) /.exec(open)![1];
      const src = ":ada!~ada@127.0.0.1";
      assertEquals(open, `${src} BATCH +${ref} draft/multiline #lobby`);
      const got = await ml.collectUntil(new RegExp(`BATCH -${ref}$`));
      assertEquals(got, [
        `@batch=${ref} ${src} PRIVMSG #lobby :first line`,
        `@batch=${ref} ${src} PRIVMSG #lobby :second line`,
        `@batch=${ref} ${src} PRIVMSG #lobby :third line`,
        `${src} BATCH -${ref}`,
      ]);
      // without the capability: the lines one by one
      const each = await plain.collectUntil(/ PRIVMSG #lobby :third line$/);
      assertEquals(each.filter((l) => / PRIVMSG /.test(l)), [
        `${src} PRIVMSG #lobby :first line`,
        `${src} PRIVMSG #lobby :second line`,
        `${src} PRIVMSG #lobby :third line`,
      ]);

      // one message on both devices, with its three lines
      const oneMessage = async (page: Page) => {
        await sees(page, "third line");
        const l = line(page, "first line");
        assertEquals(await l.count(), 1);
        assertEquals(await l.locator(".text").textContent(), "first line\nsecond line\nthird line");
        assertEquals(await line(page, "second line").count(), 1);
      };
      await oneMessage(a.page);
      await oneMessage(b.page);

      // a real paste of several lines (the clipboard, Ctrl+V) goes the same way
      await a.page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
      await a.page.evaluate(() => navigator.clipboard.writeText("pasted one\npasted two"));
      await input.focus();
      await a.page.keyboard.press("Control+V");
      assertEquals(await input.inputValue(), "pasted one\npasted two");
      await a.page.keyboard.press("Enter");
      const again = await ml.expect(/ BATCH \+/);
      const ref2 = /BATCH \+(\S+) /.exec(again)![1];
      assertEquals((await ml.collectUntil(new RegExp(`BATCH -${ref2}$`))).length, 3);
      const pasted = line(b.page, "pasted one");
      await pasted.waitFor();
      assertEquals(await pasted.locator(".text").textContent(), "pasted one\npasted two");

      // after a reload, history gives it back as one message
      await b.page.reload();
      await onScreen(b.page, "#lobby");
      await oneMessage(b.page);
      // one device leaving and coming back is nothing the others see
      await plain.expectNone(/ (QUIT|PART|JOIN) /);
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

/** Waits until the line with `text` has a loaded inline image. */
async function preview(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) =>
      [...document.querySelectorAll("#messages .line")].some((l) =>
        (l.textContent ?? "").includes(t) &&
        [...l.querySelectorAll<HTMLImageElement>(".preview img")].some((i) =>
          i.complete && i.naturalWidth === 1
        )
      ),
    text,
  );
}

Deno.test({
  name: "web devices: an uploaded PNG shows inline in both browsers; a text file shows as a link",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby");
      const bob = await joined(w, "bob", "#lobby");
      await a.page.locator("#attach-button").waitFor();
      await a.page.setInputFiles("#attach-input", {
        name: "shot.png",
        mimeType: "image/png",
        buffer: Buffer.from(PNG),
      });
      const raw = await bob.expect(/ PRIVMSG #lobby :http/);
      const url = body(raw);
      const prefix = `http://127.0.0.1:${w.server.httpPort}/uploads/`;
      ok(url.startsWith(prefix) && url.endsWith("/shot.png"), url);
      // the file is what was sent
      const res = await fetch(url);
      assertEquals(res.headers.get("content-type"), "image/png");
      assertEquals(new Uint8Array(await res.arrayBuffer()), PNG);
      await preview(a.page, "shot.png");
      await preview(b.page, "shot.png");

      // a text file, dropped on the messages: a link, nothing inline
      await a.page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["just some notes\n"], "notes.txt", { type: "text/plain" }));
        document.querySelector("#chat .main")!.dispatchEvent(
          new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      });
      const textUrl = body(await bob.expect(/ PRIVMSG #lobby :http\S+notes\.txt$/));
      for (const d of [a, b]) {
        const l = line(d.page, "notes.txt");
        await l.locator(`a[href="${textUrl}"]`).waitFor();
        assertEquals(await l.locator(".preview").count(), 0);
      }
      const text = await fetch(textUrl);
      assertEquals(text.headers.get("content-type"), "text/plain; charset=utf-8");
      ok(/^attachment/.test(text.headers.get("content-disposition") ?? ""));
      assertEquals(await text.text(), "just some notes\n");
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name:
    "web devices: a page opened by another name of the server (localhost) uploads and previews; the link posted is the advertised one",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      await registerAda(w);
      const a = await device(w, "#lobby");
      const b = await device(w, "#lobby", undefined, "localhost");
      const bob = await joined(w, "bob", "#lobby");
      await b.page.locator("#attach-button").waitFor();
      await b.page.setInputFiles("#attach-input", {
        name: "from-localhost.png",
        mimeType: "image/png",
        buffer: Buffer.from(PNG),
      });
      // everyone gets the address the server advertises, which they can reach
      const url = body(await bob.expect(/ PRIVMSG #lobby :http/));
      ok(url.startsWith(`http://127.0.0.1:${w.server.httpPort}/uploads/`), url);
      ok(url.endsWith("/from-localhost.png"), url);
      await preview(a.page, "from-localhost.png");
      // and the page at localhost shows it too (its policy allows its own origin only)
      await preview(b.page, "from-localhost.png");
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name: "web devices: a search finds an older message and a click jumps to it",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      await registerAda(w);
      const bob = await joined(w, "bob", "#lobby", ["echo-message"]);
      bob.send("PRIVMSG #lobby :the deploy is done");
      // more than the app loads at once, so the old one is not on the page
      for (let i = 1; i <= 70; i++) bob.send(`PRIVMSG #lobby :filler ${i}`);
      await bob.expect(/ PRIVMSG #lobby :filler 70$/);
      const a = await device(w, "#side,#lobby");
      await open(a.page, "#lobby");
      await sees(a.page, "filler 70");
      assertEquals(await line(a.page, "the deploy is done").count(), 0);

      await a.page.click("#search-button");
      await a.page.fill("#search-input", "deploy");
      await a.page.press("#search-input", "Enter");
      await a.page.locator("#search-status", { hasText: "1 message found." }).waitFor();
      // from another conversation, with "all conversations"
      await open(a.page, "#side");
      await a.page.check("#search-all");
      await a.page.press("#search-input", "Enter");
      const result = a.page.locator("#search-results button", { hasText: "the deploy is done" });
      await result.waitFor();
      await result.click();
      await onScreen(a.page, "#lobby");
      const target = a.page.locator("#messages .line.flash", { hasText: "the deploy is done" });
      await target.waitFor();
      const id = await target.getAttribute("data-id");
      // being at the top asks for older lines: there are none, and the answer redraws the
      // conversation; the line jumped to stays in view (and highlighted) through that
      await a.page.locator("#messages .history-note", { hasText: "Start of the conversation" })
        .waitFor();
      await a.page.waitForFunction((id) => {
        const l = document.querySelector(`#messages .line[data-id="${id}"]`);
        const box = document.getElementById("messages")!.getBoundingClientRect();
        const r = l?.getBoundingClientRect();
        return r !== undefined && r.top >= box.top && r.bottom <= box.bottom;
      }, id);
      assertEquals(a.errors, []);
    }),
});

Deno.test({
  name:
    "web devices: someone already away when we join shows as away in the member list; a friend's away shows too",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const carol = await joined(w, "carol", "#lobby");
      carol.send("AWAY :at lunch");
      await carol.expect(/ 306 carol /);
      await joined(w, "dave", "#lobby");
      await registerAda(w);
      const sent: string[] = [];
      const a = await device(w, "#lobby,#side", sent);
      await open(a.page, "#lobby");
      // WHO says who is away ("G"), not why
      await a.page.locator("#member-list li.away button[title='carol is away']").waitFor();
      // the others are present
      await a.page.locator("#member-list li:not(.away) .nick", { hasText: "dave" }).waitFor();
      assertEquals(await a.page.locator("#member-list li.away").count(), 1);
      // one WHO per channel joined (WHOX: channel, nick and flags), not one per member
      assertEquals(sent.filter((l) => /^WHO /.test(l)).sort(), [
        "WHO #lobby %tcnf,71",
        "WHO #side %tcnf,71",
      ]);
      // the asking is silent: no user list printed in the conversation or the server window
      assertEquals(await a.page.locator("#messages .line", { hasText: /user list/ }).count(), 0);
      // back: away-notify takes over
      carol.send("AWAY");
      await a.page.locator("#member-list li.away").waitFor({ state: "detached" });
      // a friend who shares no channel with us: extended-monitor tells of their away too
      const erin = await w.tcp();
      await erin.register("erin");
      await a.page.fill("#friend-nick", "erin");
      await a.page.press("#friend-nick", "Enter");
      await a.page.locator('#friend-list li.online[data-nick="erin"]').waitFor();
      erin.send("AWAY :on a call");
      await a.page.locator(
        '#friend-list li.away[data-nick="erin"] button[title="erin is away: on a call"]',
      )
        .waitFor();
      erin.send("AWAY");
      await a.page.locator('#friend-list li.online[data-nick="erin"]').waitFor();
      assertEquals(a.errors, []);
    }),
});

Deno.test({
  name: "web devices: scrolling up loads older lines and keeps the reader where they were",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const bob = await joined(w, "bob", "#lobby", ["echo-message"]);
      for (let i = 1; i <= 70; i++) bob.send(`PRIVMSG #lobby :line ${i}`);
      await bob.expect(/ PRIVMSG #lobby :line 70$/);
      await registerAda(w);
      const a = await device(w, "#lobby");
      await sees(a.page, "line 70");
      // the last 50 came; the oldest shown is line 21
      assertEquals(await line(a.page, /^line 20$/).count(), 0);
      await a.page.locator("#messages").evaluate((box) => box.scrollTop = 0);
      await sees(a.page, "line 1");
      await a.page.locator("#messages .history-note", { hasText: "Start of the conversation" })
        .waitFor();
      // what was at the top (line 21) is still on screen, not the bottom of the conversation
      const shown = await a.page.evaluate(() => {
        const box = document.getElementById("messages")!.getBoundingClientRect();
        return [...document.querySelectorAll("#messages .line")].filter((l) => {
          const r = l.getBoundingClientRect();
          return r.bottom > box.top && r.top < box.bottom;
        }).map((l) => l.querySelector(".text")?.textContent);
      });
      ok(shown.includes("line 21"), shown.join(", "));
      ok(!shown.includes("line 70"), shown.join(", "));
      assertEquals(a.errors, []);
    }),
});

Deno.test({
  name: "web devices: a private chat started in one browser shows in the other, both ways",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby");
      const bob = await joined(w, "bob", "#lobby");
      await send(a.page, "/msg bob psst, from the laptop");
      assertEquals(
        await bob.expect(/ PRIVMSG bob /),
        ":ada!~ada@127.0.0.1 PRIVMSG bob :psst, from the laptop",
      );
      // the other device has the chat with bob, our line in it
      await bufferItem(b.page, "bob").waitFor();
      bob.send("PRIVMSG ada :hi both");
      for (const d of [a, b]) {
        await bufferItem(d.page, "bob").waitFor();
        await open(d.page, "bob");
        await sees(d.page, "hi both");
        assertEquals(await line(d.page, "psst, from the laptop").count(), 1);
        ok(await line(d.page, "psst").evaluate((e) => e.classList.contains("self")));
      }
      // and it is still there after a reload
      await b.page.reload();
      await bufferItem(b.page, "bob").waitFor();
      await open(b.page, "bob");
      await sees(b.page, "hi both");
      assertEquals(await line(b.page, "psst, from the laptop").count(), 1);
      assertEquals([...a.errors, ...b.errors], []);
    }),
});

Deno.test({
  name: "web devices: a reaction and a reply from one browser show in the other, counted once",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async (w) => {
      const [a, b] = await twoDevices(w, "#lobby");
      const bob = await joined(w, "bob", "#lobby", ["message-tags", "echo-message"]);
      bob.send("PRIVMSG #lobby :lunch at noon?");
      const id = (await bob.expectMessage(/ PRIVMSG #lobby :lunch at noon\?$/)).tags["msgid"];
      const target = (d: Device) => d.page.locator(`#messages .line[data-id="${id}"]`);
      await target(a).hover();
      await target(a).locator(".act-react").click();
      await target(a).locator(".picker .pick", { hasText: "👍" }).click();
      const react = await bob.expect(/ TAGMSG #lobby$/);
      const rid = /;msgid=(\S+) /.exec(react)?.[1];
      assertEquals(
        react,
        `@+draft/react=👍;+draft/reply=${id};msgid=${rid} :ada!~ada@127.0.0.1 TAGMSG #lobby`,
      );
      for (const d of [a, b]) {
        const chip = target(d).locator(".reaction", { hasText: "👍 1" });
        await chip.waitFor();
        assertEquals(await chip.getAttribute("title"), "ada reacted with 👍");
      }
      // the other device reacting the same is the same person: still one
      await target(b).hover();
      await target(b).locator(".act-react").click();
      await target(b).locator(".picker .pick", { hasText: "👍" }).click();
      await bob.expectNone(/ TAGMSG /);
      // a reply from B: quoted in A
      await target(b).hover();
      await target(b).locator(".act-reply").click();
      await send(b.page, "yes!");
      const quote = line(a.page, "yes!").locator(".reply-quote");
      await quote.waitFor();
      ok((await quote.textContent())?.includes("lunch at noon?"));
      assertEquals([...a.errors, ...b.errors], []);
    }),
});
