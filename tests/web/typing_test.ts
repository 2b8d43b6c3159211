/// <reference lib="dom" />
/**
 * Typed text in the web app is never lost: a message to someone offline comes back to the
 * box, a line typed while disconnected stays, a paste of N lines is N messages (asking first
 * above a few), Shift+Enter makes a new line.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { BROWSER_TEST, joinChat, line, newUserPage, onScreen, send, withWorld } from "./browser.ts";

Deno.test({
  name: "web typing: a message to someone offline comes back to the box",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const { page, errors } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/query carol");
      await onScreen(page, "carol");
      // a guest is told how long this conversation lasts
      await page.locator(".guest-note", { hasText: "kept only while you are connected" }).waitFor();
      await send(page, "are you there, carol?");
      await line(page, "carol is not online").waitFor();
      assertEquals(await page.inputValue("#input"), "are you there, carol?");
      assertEquals(errors, []);
    }),
});

Deno.test({
  name: "web typing: a line sent while disconnected stays in the box",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await server.stop();
      await page.locator("#banner-text", { hasText: "Reconnecting" }).waitFor();
      await send(page, "typed while the server was away");
      await line(page, "Not connected right now").waitFor();
      assertEquals(await page.inputValue("#input"), "typed while the server was away");
    }),
});

Deno.test({
  name:
    "web typing: N pasted lines are N messages, more than 3 ask first; Shift+Enter is a new line",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #lobby");
      await carl.expect(/ 366 carl #lobby /);
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");

      // Shift+Enter: a new line in the box, nothing sent
      await page.fill("#input", "first");
      await page.press("#input", "Shift+Enter");
      await page.type("#input", "second");
      assertEquals(await page.inputValue("#input"), "first\nsecond");
      await page.press("#input", "Enter");
      await carl.expect(/^:ada!\S+ PRIVMSG #lobby :first$/);
      await carl.expect(/^:ada!\S+ PRIVMSG #lobby :second$/);
      assertEquals(await page.inputValue("#input"), "");

      // a paste of three lines: three messages, no question
      await pasteText(page, "one\ntwo\nthree");
      assertEquals(await page.inputValue("#input"), "one\ntwo\nthree");
      await page.press("#input", "Enter");
      for (const w of ["one", "two", "three"]) {
        await carl.expect(new RegExp(`^:ada!\\S+ PRIVMSG #lobby :${w}$`));
      }

      // five lines: asked first; saying no keeps them all in the box
      const five = ["l1", "l2", "l3", "l4", "l5"].join("\n");
      await pasteText(page, five);
      let asked = "";
      page.once("dialog", (d) => {
        asked = d.message();
        d.dismiss();
      });
      await page.press("#input", "Enter");
      assertEquals(asked, "Send these 5 lines as 5 messages?");
      assertEquals(await page.inputValue("#input"), five);
      await carl.expectNone(/PRIVMSG #lobby :l1/);
      page.once("dialog", (d) => d.accept());
      await page.press("#input", "Enter");
      for (let i = 1; i <= 5; i++) await carl.expect(new RegExp(`PRIVMSG #lobby :l${i}$`));
      assertEquals(await page.inputValue("#input"), "");
      await line(page, "l5").waitFor();
    }),
});

/** Pastes text into the composer as a real clipboard paste does (a paste event, then input). */
async function pasteText(page: import("playwright-core").Page, text: string): Promise<void> {
  await page.fill("#input", "");
  await page.focus("#input");
  await page.evaluate((t) => {
    const box = document.getElementById("input") as HTMLTextAreaElement;
    const data = new DataTransfer();
    data.setData("text/plain", t);
    const ev = new ClipboardEvent("paste", {
      clipboardData: data,
      bubbles: true,
      cancelable: true,
    });
    if (box.dispatchEvent(ev)) {
      // nothing handled it: the browser's own paste inserts the text
      box.setRangeText(t, box.selectionStart, box.selectionEnd, "end");
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }, text);
}
