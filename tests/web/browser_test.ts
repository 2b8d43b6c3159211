/// <reference lib="dom" />
/**
 * The web app end to end: real headless Chromium (Debian's, driven by playwright-core)
 * against the real server, with a raw TCP IRC client in the same chat. Skipped when
 * Chromium is not installed.
 */

import { deepStrictEqual as assertEquals, match, ok } from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { TestClient } from "../helpers/irc_client.ts";
import { type RunningServer, startServer } from "../helpers/server_process.ts";
import {
  BROWSER_TEST,
  bufferItem,
  joinChat,
  launchBrowser,
  line,
  newUserPage,
  send,
  withWorld,
} from "./browser.ts";

const opts = BROWSER_TEST;

/** The text of the last message line in the open conversation. */
function lastText(page: Page): Promise<string> {
  return page.locator("#messages .line .text").last().innerText();
}

Deno.test({
  name: "web app: two browser users and a TCP client chat in a channel and privately",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const ada = await newUserPage(browser);
      const bob = await newUserPage(browser);
      await joinChat(ada.page, server.httpPort, "ada");
      await joinChat(bob.page, server.httpPort, "bob");
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #general");
      await carl.expect(/ 366 carl #general /);

      // the channel: browser to browser and TCP, TCP to both browsers
      await send(ada.page, "hello everyone");
      await line(bob.page, "hello everyone").locator(".nick", { hasText: "ada" }).waitFor();
      await carl.expect(/^:ada!\S+ PRIVMSG #general :hello everyone$/);
      carl.send("PRIVMSG #general :hi from irc");
      await line(ada.page, "hi from irc").waitFor();
      await line(bob.page, "hi from irc").waitFor();

      // members with op marks: ada created the channel
      await bob.page.locator("#member-list li", { hasText: "carl" }).waitFor();
      const members = await bob.page.locator("#member-list li").allInnerTexts();
      assertEquals(members.map((m) => m.replace(/\s+/g, "")), ["@ada", "bob", "carl"]);

      // /me
      await send(bob.page, "/me waves");
      // deno-lint-ignore no-control-regex -- CTCP ACTION is wrapped in \x01
      await carl.expect(/^:bob!\S+ PRIVMSG #general :\x01ACTION waves\x01$/);
      await ada.page.locator('#messages .line[data-type="action"]', { hasText: "bob waves" })
        .waitFor();

      // typing indicator: shown while ada types, gone when she clears the field
      await ada.page.fill("#input", "I am typ");
      await bob.page.locator("#typing", { hasText: "ada is typing" }).waitFor();
      await ada.page.fill("#input", "");
      await ada.page.dispatchEvent("#input", "input");
      await bob.page.locator("#typing:empty").waitFor();

      // private: ada opens bob from the member list
      await ada.page.locator("#member-list button", { hasText: "bob" }).click();
      await ada.page.locator("#title", { hasText: "bob" }).waitFor();
      await send(ada.page, "a secret for bob");
      const adaItem = bufferItem(bob.page, "ada");
      await adaItem.locator(".badge.mention", { hasText: "1" }).waitFor();
      await adaItem.locator(".open").click();
      await line(bob.page, "a secret for bob").waitFor();
      assertEquals(await adaItem.locator(".badge").count(), 0);
      await carl.expectNone(/a secret for bob/);

      // private between the TCP client and a browser, both ways
      carl.send("PRIVMSG ada :psst ada");
      await bufferItem(ada.page, "carl").locator(".open").click();
      await line(ada.page, "psst ada").waitFor();
      await send(ada.page, "/msg carl hi back");
      await carl.expect(/^:ada!\S+ PRIVMSG carl :hi back$/);

      // keyboard: Up brings back the last line, Tab completes a nick
      await bufferItem(bob.page, "#general").locator(".open").click();
      await bob.page.press("#input", "ArrowUp");
      assertEquals(await bob.page.inputValue("#input"), "/me waves");
      await bob.page.fill("#input", "ca");
      await bob.page.press("#input", "Tab");
      assertEquals(await bob.page.inputValue("#input"), "carl: ");
      await bob.page.press("#input", "Escape");

      assertEquals([...ada.errors, ...bob.errors], []);
    }),
});

Deno.test({
  name: "web app: HTML in messages and topics shows as text and runs nothing",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const ada = await newUserPage(browser);
      await joinChat(ada.page, server.httpPort, "ada");
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #general");
      await carl.expect(/ 366 carl #general /);
      await ada.page.evaluate(() => {
        (globalThis as unknown as { pwned: number }).pwned = 0;
      });
      const evil = `<img src=x onerror="window.pwned=1">`;
      carl.send(`PRIVMSG #general :${evil}`);
      carl.send(`PRIVMSG #general :<script>window.pwned=2</script><b>bold?</b>`);
      carl.send(`PRIVMSG #general :javascript:window.pwned=3 and https://example.org/ok?a=1&b=2`);
      carl.send(`PRIVMSG #general :<a href="javascript:window.pwned=4">click</a>`);
      carl.send(`PRIVMSG ada :${evil}`);
      carl.send("PRIVMSG #general :end of test");
      await line(ada.page, "end of test").waitFor();

      const texts = await ada.page.locator("#messages .line .text").allInnerTexts();
      ok(texts.includes(evil), texts.join("\n"));
      ok(texts.includes("<script>window.pwned=2</script><b>bold?</b>"));
      assertEquals(
        await ada.page.locator("#messages img, #messages script, #messages b").count(),
        0,
      );
      const links = ada.page.locator("#messages a");
      assertEquals(await links.count(), 1);
      assertEquals(await links.getAttribute("href"), "https://example.org/ok?a=1&b=2");
      assertEquals(await links.getAttribute("rel"), "noopener noreferrer");
      assertEquals(await links.getAttribute("target"), "_blank");

      // the private message and the topic too
      // (ada is the channel operator: the channel is +t)
      await send(ada.page, `/topic ${evil}`);
      await carl.expect(/ TOPIC #general :<img/);
      await ada.page.locator("#topic", { hasText: "<img" }).waitFor();
      assertEquals(await ada.page.locator("#topic").innerText(), evil);
      await bufferItem(ada.page, "carl").locator(".open").click();
      assertEquals(await lastText(ada.page), evil);
      assertEquals(await ada.page.locator("img").count(), 0);

      assertEquals(
        await ada.page.evaluate(() => (globalThis as unknown as { pwned: number }).pwned),
        0,
      );
      assertEquals(ada.errors, []);
    }),
});

Deno.test({
  name: "web app: unread and mention badges count messages in another channel",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const ada = await newUserPage(browser);
      await joinChat(ada.page, server.httpPort, "ada", "#general,#other");
      const other = bufferItem(ada.page, "#other");
      await other.waitFor();
      await bufferItem(ada.page, "#general").locator(".open").click();
      await ada.page.locator("#title", { hasText: "#general" }).waitFor();
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #other", "JOIN #general");
      await carl.expect(/ 366 carl #general /);
      carl.send("PRIVMSG #other :one", "PRIVMSG #other :two, ada?", "PRIVMSG #other :three");
      carl.send("PRIVMSG #general :here");
      await line(ada.page, "here").waitFor();
      await other.locator(".badge.unread", { hasText: "3" }).waitFor();
      assertEquals(await other.locator(".badge.mention").innerText(), "1");
      assertEquals(await ada.page.title(), "(1) deno-chat");
      // the open channel has no badge
      assertEquals(await bufferItem(ada.page, "#general").locator(".badge").count(), 0);
      await other.locator(".open").click();
      await line(ada.page, "two, ada?").waitFor();
      ok(await line(ada.page, "two, ada?").evaluate((e) => e.classList.contains("mention")));
      assertEquals(await other.locator(".badge").count(), 0);
      assertEquals(await ada.page.title(), "deno-chat");
      assertEquals(ada.errors, []);
    }),
});

Deno.test({
  name: "web app: reloading the page shows recent history (draft/chathistory)",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const carl = await tcp();
      carl.send("CAP LS 302");
      const ls = await carl.expect(/ CAP \* LS /);
      carl.send("CAP END");
      if (!/(^| |:)draft\/chathistory( |=|$)/.test(ls)) {
        console.log("skipped: the server does not offer draft/chathistory");
        return;
      }
      await carl.register("carl");
      carl.send("JOIN #general");
      await carl.expect(/ 366 carl #general /);
      const ada = await newUserPage(browser);
      await joinChat(ada.page, server.httpPort, "ada");
      for (let i = 1; i <= 5; i++) carl.send(`PRIVMSG #general :history line ${i}`);
      await line(ada.page, "history line 5").waitFor();
      await send(ada.page, "my own line");
      await carl.expect(/PRIVMSG #general :my own line$/);

      await ada.page.reload();
      // the tab remembers the session: no join screen, same channel, recent lines back
      await ada.page.locator("#title", { hasText: "#general" }).waitFor();
      await line(ada.page, "history line 5").waitFor();
      const texts = await ada.page.locator("#messages .line .text").allInnerTexts();
      const ours = texts.filter((t) => /history line|my own line/.test(t));
      assertEquals(ours, [1, 2, 3, 4, 5].map((i) => `history line ${i}`).concat("my own line"));
      ok(await ada.page.locator("#join").isHidden());
      assertEquals(ada.errors, []);
    }),
});

Deno.test({
  name: "web app: usable on a phone screen, with a dark theme",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const { page, errors } = await newUserPage(browser, {
        width: 390,
        height: 844,
        colorScheme: "dark",
      });
      await page.goto(`http://127.0.0.1:${server.httpPort}/`);
      await page.fill("#nick", "phone");
      await page.fill("#channels", "#general, #more");
      await page.click("#join-button");
      await page.locator("#title", { hasText: "#general" }).waitFor();
      // the lists are off screen until asked for
      const box = await page.locator("#sidebar").boundingBox();
      ok(box !== null && box.x + box.width <= 0, JSON.stringify(box));
      await page.click("#menu-button");
      await page.waitForFunction(() =>
        document.getElementById("sidebar")!.getBoundingClientRect().x >= 0
      );
      await bufferItem(page, "#more").locator(".open").click();
      await page.locator("#title", { hasText: "#more" }).waitFor();
      await page.waitForFunction(() =>
        document.getElementById("sidebar")!.getBoundingClientRect().right <= 0
      );
      await send(page, "from my phone");
      await line(page, "from my phone").waitFor();
      // a long line wraps beside its time, not under it
      await send(page, "a long line that needs several rows on a phone screen ".repeat(3));
      const long = line(page, "a long line").last();
      const time = await long.locator("time").boundingBox();
      const text = await long.locator(".text").boundingBox();
      ok(time && text && text.x >= time.x + time.width, JSON.stringify({ time, text }));
      ok(text!.height > time!.height * 2, "the text wraps onto several rows");
      // the members panel slides in and closes with its own button
      await page.click("#members-button");
      await page.waitForFunction(() =>
        document.getElementById("members")!.getBoundingClientRect().right <= innerWidth
      );
      await page.click("#members-close");
      await page.waitForFunction(() =>
        document.getElementById("members")!.getBoundingClientRect().left >= innerWidth
      );
      // no horizontal scrolling
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assertEquals(overflow, 0);
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      match(bg, /rgb\((\d{1,2}), (\d{1,2}), (\d{1,2})\)/, "dark background");
      assertEquals(errors, []);
    }),
});

Deno.test({
  name: "web app: reconnects and rejoins after the server restarts",
  ...opts,
  fn: async () => {
    const first = await startServer([], undefined, { web: true });
    const dataDir = first.dataDir;
    let second: RunningServer | undefined;
    let browser: Browser | undefined;
    let carl: TestClient | undefined;
    try {
      browser = await launchBrowser();
      const { page, errors } = await newUserPage(browser);
      await joinChat(page, first.httpPort, "ada");
      await first.stop();
      await page.locator("#banner-text", { hasText: "Reconnecting" }).waitFor();
      // the same ports: what a restart of the real server looks like to the browser
      second = await startServer(["--http-port", String(first.httpPort)], undefined, {
        web: true,
        dataDir,
        port: first.port,
      });
      await page.locator("#banner").waitFor({ state: "hidden", timeout: 30000 });
      carl = await TestClient.connect(second.port);
      await carl.register("carl");
      carl.send("JOIN #general");
      await carl.expect(/ 366 carl #general /);
      carl.send("PRIVMSG #general :welcome back");
      await line(page, "welcome back").waitFor();
      await page.locator("#member-list .nick", { hasText: "ada" }).waitFor();
      // a closed connection is reported by Chromium as a console error; nothing else may fail
      assertEquals(errors.filter((e) => !/WebSocket connection .* failed/.test(e)), []);
    } finally {
      await carl?.close();
      await browser?.close();
      await first.stop();
      await second?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "web app: an account password logs the browser user in with SASL",
  ...opts,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const raw = await tcp();
      await raw.register("dora");
      raw.send("PRIVMSG NickServ :REGISTER dora-secret-1");
      await raw.expect(/Account dora created/);
      raw.send("QUIT");
      await raw.expectClosed();

      const { page } = await newUserPage(browser);
      await page.goto(`http://127.0.0.1:${server.httpPort}/`);
      await page.fill("#nick", "dora");
      await page.fill("#password", "dora-secret-1");
      await page.fill("#channels", "#general");
      await page.click("#join-button");
      await page.locator(`#buffer-list li[data-key="#general"]`).waitFor();

      const watcher = await tcp();
      await watcher.register("watcher");
      watcher.send("WHOIS dora");
      assertEquals(
        await watcher.expect(/ 330 /),
        ":deno-chat.local 330 watcher dora dora :is logged in as",
      );
    }),
});
