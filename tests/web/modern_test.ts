/// <reference lib="dom" />
/**
 * The web app's modern features (read markers, delete, reply, react, multiline, uploads,
 * search, friends, away) in headless Chromium against a scripted server that speaks the
 * IRCv3 specifications line for line (tests/web/fake_server.ts), and the same page against
 * a server without them, which must behave as before.
 */

import { Buffer } from "node:buffer";
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  BROWSER_TEST,
  bufferItem,
  joinChat,
  launchBrowser,
  line,
  newUserPage,
  onScreen,
  send,
} from "./browser.ts";
import { type FakeIrc, startFake } from "./fake_server.ts";
import type { Browser } from "playwright-core";

const MODERN_CAPS = [
  "message-tags",
  "echo-message",
  "server-time",
  "batch",
  "draft/chathistory",
  "away-notify",
  "draft/read-marker",
  "draft/message-redaction",
  "draft/multiline=max-bytes=4096,max-lines=10",
  "soju.im/search",
].join(" ");

async function withFake(
  caps: string,
  isupport: string[],
  fn: (irc: FakeIrc, browser: Browser) => Promise<void>,
): Promise<void> {
  const irc = await startFake({ caps, isupport });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    await fn(irc, browser);
  } finally {
    await browser?.close();
    await irc.stop();
  }
}

const T = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, "0")}.000Z`;

Deno.test({
  name: "web modern: read markers, delete, reply, react, multiline, friends, away, search, uploads",
  ...BROWSER_TEST,
  fn: () =>
    withFake(MODERN_CAPS, [
      "CHANTYPES=#",
      "PREFIX=(ov)@+",
      "MONITOR=100",
      "soju.im/FILEHOST=/upload",
    ], async (irc, browser) => {
      const { page, errors } = await newUserPage(browser);
      await joinChat(page, irc.port, "ada", "#a,#b");
      await bufferItem(page, "#b").waitFor();
      const badge = page.locator('#buffer-list li[data-key="#b"] .badge');

      // --- read markers: another device of the account reads #b
      for (const [i, t] of ["one", "two", "three"].entries()) {
        irc.send(`@msgid=m${i + 1};time=${T(i + 1)} :bob!u@h PRIVMSG #b :${t}`);
      }
      await page.locator('#buffer-list li[data-key="#b"] .badge', { hasText: "3" }).waitFor();
      irc.send(`:fake MARKREAD #b timestamp=${T(2)}`);
      await page.locator('#buffer-list li[data-key="#b"] .badge', { hasText: "1" }).waitFor();
      irc.send(`:fake MARKREAD #b timestamp=${T(3)}`);
      await badge.waitFor({ state: "detached" });
      irc.send(`@msgid=m4;time=${T(4)} :bob!u@h PRIVMSG #b :four`);
      await page.locator('#buffer-list li[data-key="#b"] .badge', { hasText: "1" }).waitFor();
      // looked at here: the marker line follows the last message read anywhere, and is sent
      await bufferItem(page, "#b").locator(".open").click();
      await onScreen(page, "#b");
      await irc.expect(new RegExp(`^MARKREAD #b timestamp=${T(4).replace(/\./g, "\\.")}$`));
      assertEquals(
        await page.evaluate(() =>
          (document.querySelector(".unread-marker")?.previousElementSibling as HTMLElement)
            ?.dataset.id
        ),
        "m3",
      );

      // --- delete: our own message (and, as an operator, anyone's)
      await send(page, "hello");
      const hello = line(page, "hello");
      await hello.waitFor();
      const helloId = await hello.getAttribute("data-id");
      ok(helloId?.startsWith("e"));
      await hello.hover();
      await hello.locator(".act-delete").click();
      await irc.expect(new RegExp(`^REDACT #b ${helloId}$`));
      assertEquals(await page.locator('#messages .line[data-id="m4"] .act-delete').count(), 1); // we are @
      irc.send(`:ada!u@h REDACT #b ${helloId}`);
      await page.locator(`#messages .line[data-id="${helloId}"] .redacted`, {
        hasText: "message deleted",
      }).waitFor();

      // --- reply, with a quote that jumps to the original
      const four = page.locator('#messages .line[data-id="m4"]');
      await four.hover();
      await four.locator(".act-reply").click();
      await page.locator("#reply-bar", { hasText: "Replying to bob: four" }).waitFor();
      await send(page, "yes");
      await irc.expect(/^@\+draft\/reply=m4 PRIVMSG #b :?yes$/);
      const yes = line(page, "yes");
      await yes.locator(".reply-quote", { hasText: "↪ bob four" }).waitFor();
      assertEquals(await page.locator("#reply-bar").isHidden(), true);
      await yes.locator(".reply-quote").click();
      await page.locator('#messages .line.flash[data-id="m4"]').waitFor();

      // --- react from the picker; chips count and name who reacted
      await four.hover();
      await four.locator(".act-react").click();
      await four.locator(".pick", { hasText: "👍" }).click();
      await irc.expect(/^@\+draft\/react=👍;\+draft\/reply=m4 TAGMSG #b$/);
      irc.send("@+draft/react=👍;+draft/reply=m4 :ada!u@h TAGMSG #b");
      irc.send("@+draft/react=👍;+draft/reply=m4 :carl!u@h TAGMSG #b");
      const chip = four.locator(".reaction", { hasText: "👍 2" });
      await chip.waitFor();
      assertEquals(await chip.getAttribute("title"), "ada, carl reacted with 👍");

      // --- multiline: Shift+Enter lines go as one draft/multiline batch
      await page.fill("#input", "line one");
      await page.press("#input", "Shift+Enter");
      await page.type("#input", "line two");
      await page.press("#input", "Enter");
      const open = await irc.expect(/^BATCH \+\S+ draft\/multiline #b$/);
      const ref = open.split(" ")[1].slice(1);
      await irc.expect(new RegExp(`^@batch=${ref} PRIVMSG #b :line one$`));
      await irc.expect(new RegExp(`^@batch=${ref} PRIVMSG #b :line two$`));
      await irc.expect(new RegExp(`^BATCH -${ref}$`));
      irc.send(`@msgid=ml1;time=${new Date().toISOString()} :ada!u@h BATCH +z draft/multiline #b`);
      irc.send("@batch=z :ada!u@h PRIVMSG #b :line one");
      irc.send("@batch=z :ada!u@h PRIVMSG #b :line two");
      irc.send(":fake BATCH -z");
      const ml = page.locator('#messages .line[data-id="ml1"]');
      await ml.waitFor();
      assertEquals(await ml.locator(".text").innerText(), "line one\nline two");

      // --- friends (MONITOR) and away
      await page.locator("#friends").waitFor();
      await page.fill("#friend-nick", "carl");
      await page.press("#friend-nick", "Enter");
      await irc.expect(/^MONITOR \+ carl$/);
      irc.send(":fake 731 ada :carl");
      await page.locator('#friend-list li.offline[data-nick="carl"]').waitFor();
      irc.send(":fake 730 ada :carl!c@h");
      await page.locator('#friend-list li.online[data-nick="carl"]').waitFor();
      await page.locator("#notice-text", { hasText: "carl is online." }).waitFor();
      irc.send(":bob!u@h AWAY :lunch");
      await page.locator("#member-list li.away button[title='bob is away: lunch']").waitFor();

      // --- search everywhere, and jump to a result in another conversation
      await page.click("#search-button");
      await page.fill("#search-input", "deploy");
      await page.check("#search-all");
      await page.press("#search-input", "Enter");
      await irc.expect(/^SEARCH limit=50;text=deploy$/);
      irc.send(":fake BATCH +s soju.im/search");
      irc.send(`@batch=s;msgid=r1;time=${T(0)} :bob!u@h PRIVMSG #a :the deploy is done`);
      irc.send(":fake BATCH -s");
      const result = page.locator("#search-results button", { hasText: "the deploy is done" });
      await result.waitFor();
      await page.locator("#search-status", { hasText: "1 message found." }).waitFor();
      await result.click();
      await onScreen(page, "#a");
      await irc.expect(/^CHATHISTORY AROUND #a msgid=r1 50$/);
      irc.send(":fake BATCH +h chathistory #a");
      irc.send(`@batch=h;msgid=r1;time=${T(0)} :bob!u@h PRIVMSG #a :the deploy is done`);
      irc.send(":fake BATCH -h");
      await page.locator('#messages .line.flash[data-id="r1"]').waitFor();

      // --- uploads: a file picked (with a progress bar), then one dropped; links posted
      await page.locator("#attach-button").waitFor();
      await page.setInputFiles("#attach-input", {
        name: "shot.png",
        mimeType: "image/png",
        buffer: Buffer.from([137, 80, 78, 71]),
      });
      await page.locator("#upload-bar", { hasText: "Uploading shot.png" }).waitFor();
      irc.releaseUploads();
      const link = `http://127.0.0.1:${irc.port}/uploads/u1.png`;
      await irc.expect(new RegExp(`^PRIVMSG #a :?${link.replace(/\./g, "\\.")}$`));
      assertEquals(irc.uploads[0].headers.get("content-type"), "image/png");
      assertEquals(
        irc.uploads[0].headers.get("content-disposition"),
        "attachment; filename*=UTF-8''shot.png",
      );
      assertEquals(irc.uploads[0].headers.get("authorization"), null); // a guest
      assertEquals([...irc.uploads[0].body], [137, 80, 78, 71]);
      // the link from the server's own upload place shows as an image
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>("#messages .preview img")]
          .some((i) => i.complete && i.naturalWidth === 1)
      );
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(["x"], "notes.txt", { type: "text/plain" }));
        const main = document.querySelector("#chat .main")!;
        main.dispatchEvent(
          new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
        );
      });
      await irc.expect(
        new RegExp(`^PRIVMSG #a :?http://127\\.0\\.0\\.1:${irc.port}/uploads/u2\\.png$`),
      );
      assertEquals(irc.uploads[1].headers.get("content-type"), "text/plain");
      // a pasted screenshot
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array([1, 2])], "image.png", { type: "image/png" }));
        document.getElementById("input")!.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }),
        );
      });
      await irc.expect(
        new RegExp(`^PRIVMSG #a :?http://127\\.0\\.0\\.1:${irc.port}/uploads/u3\\.png$`),
      );
      assertEquals(
        irc.uploads[2].headers.get("content-disposition"),
        "attachment; filename*=UTF-8''image.png",
      );

      // one line too long for a message: one batch, continued with draft/multiline-concat
      const long = "word ".repeat(100).trim();
      await send(page, long);
      const lopen = await irc.expect(/^BATCH \+\S+ draft\/multiline #a$/);
      const lref = lopen.split(" ")[1].slice(1);
      const first = await irc.expect(new RegExp(`^@batch=${lref} PRIVMSG #a :word`));
      const rest = await irc.expect(
        new RegExp(`^@batch=${lref};draft/multiline-concat PRIVMSG #a :`),
      );
      await irc.expect(new RegExp(`^BATCH -${lref}$`));
      assertEquals(
        first.slice(first.indexOf(" :", first.indexOf("PRIVMSG")) + 2) +
          rest.slice(rest.indexOf(" :", rest.indexOf("PRIVMSG")) + 2),
        long,
      );
      assertEquals(errors, []);
    }),
});

Deno.test({
  name: "web modern: without the capabilities the page behaves as before",
  ...BROWSER_TEST,
  fn: () =>
    withFake(
      "message-tags echo-message server-time batch",
      ["CHANTYPES=#"],
      async (irc, browser) => {
        const { page, errors } = await newUserPage(browser);
        await joinChat(page, irc.port, "ada", "#a");
        irc.send(`@msgid=m1;time=${T(1)} :bob!u@h PRIVMSG #a :hi`);
        const hi = line(page, "hi");
        await hi.waitFor();
        await hi.hover();
        // reply and react need only message-tags; delete needs draft/message-redaction
        assertEquals(await hi.locator(".act-reply").count(), 1);
        assertEquals(await hi.locator(".act-delete").count(), 0);
        for (const id of ["#search-button", "#attach-button", "#friends"]) {
          assertEquals(await page.locator(id).isHidden(), true, id);
        }
        await page.fill("#input", "a");
        await page.press("#input", "Shift+Enter");
        await page.type("#input", "b");
        await page.press("#input", "Enter");
        await irc.expect(/^PRIVMSG #a :?a$/);
        await irc.expect(/^PRIVMSG #a :?b$/);
        assertEquals(irc.received.some((l) => /^(BATCH|MARKREAD|MONITOR|SEARCH)/.test(l)), false);
        assertEquals(errors, []);
      },
    ),
});
