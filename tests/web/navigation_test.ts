/// <reference lib="dom" />
/**
 * Navigation in the web app: joining switches to the channel (the command, the sidebar box,
 * an invite), closing goes to a neighbour with an Undo, the keyboard (Alt+↑/↓, Alt+1…9,
 * Ctrl+K, Tab), the commands shared with the terminal client, private chats found again
 * after a reload, the unread marker, formatting and www. links.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  BROWSER_TEST,
  bufferItem,
  joinChat,
  line,
  newUserPage,
  onScreen,
  send,
  withWorld,
} from "./browser.ts";

Deno.test({
  name: "web navigation: /join, the Join box and an invite switch; closing goes to a neighbour",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const { page, errors } = await newUserPage(browser);
      // the form's default channel is the terminal client's: #lobby
      await page.goto(`http://127.0.0.1:${server.httpPort}/`);
      assertEquals(await page.inputValue("#channels"), "#lobby");
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/join #one");
      await onScreen(page, "#one");
      await page.fill("#join-channel", "two");
      await page.press("#join-channel", "Enter");
      await onScreen(page, "#two");
      // already in: /join just goes there
      await send(page, "/join #lobby");
      await onScreen(page, "#lobby");

      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #party");
      await carl.expect(/ 366 carl #party /);
      carl.send("INVITE ada #party");
      await carl.expect(/ 341 carl ada #party/);
      await page.locator("#messages .invite-join", { hasText: "Join #party" }).click();
      await onScreen(page, "#party");

      // order: Server, #lobby, #one, #two, #party. Closing #one shows #two, its neighbour
      await bufferItem(page, "#one").locator(".open").click();
      await onScreen(page, "#one");
      await bufferItem(page, "#one").locator(".close").click();
      await onScreen(page, "#two");
      await page.locator("#notice-bar", { hasText: "You left #one." }).waitFor();
      await page.click("#notice-action"); // Undo
      await onScreen(page, "#one");
      await bufferItem(page, "#one").waitFor();
      assertEquals(errors, []);
    }),
});

Deno.test({
  name: "web navigation: Alt+arrows, Alt+digits, Ctrl+K and Tab for commands and channels",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby,#dev,#ops");
      await onScreen(page, "#lobby");
      await page.locator("#buffer-list li").nth(3).waitFor();
      await page.press("#input", "Alt+ArrowDown");
      await onScreen(page, "#dev");
      await page.press("#input", "Alt+ArrowUp");
      await onScreen(page, "#lobby");
      await page.press("#input", "Alt+1");
      await onScreen(page, "Server");
      await page.press("#input", "Alt+4");
      await onScreen(page, "#ops");
      await page.press("#input", "Control+k");
      await page.locator("#switcher-dialog[open]").waitFor();
      await page.fill("#switcher-input", "de");
      await page.press("#switcher-input", "Enter");
      await onScreen(page, "#dev");

      await page.fill("#input", "/jo");
      await page.press("#input", "Tab");
      assertEquals(await page.inputValue("#input"), "/join ");
      await page.type("#input", "#op");
      await page.press("#input", "Tab");
      assertEquals(await page.inputValue("#input"), "/join #ops ");
    }),
});

Deno.test({
  name:
    "web navigation: /whois /away /back /names /list /ban /kick /topic /mode /invite /ignore /clear do what they say",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const carl = await tcp();
      await carl.register("carl");
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      carl.send("JOIN #lobby");
      await carl.expect(/ 366 carl #lobby /);
      await send(page, "/away lunch");
      await line(page, "You are now marked as away.").waitFor();
      await send(page, "/back");
      await line(page, "You are no longer marked as away.").waitFor();
      await send(page, "/whois carl");
      await line(page, /carl is ~?carl@/).first().waitFor();
      await send(page, "/names");
      await line(page, "2 on #lobby: @ada, carl").waitFor();
      await send(page, "/list");
      await line(page, /#lobby \(2 users\)/).waitFor();
      await send(page, "/topic all about lobbies");
      await carl.expect(/ TOPIC #lobby :all about lobbies$/);
      await send(page, "/mode +m");
      await carl.expect(/ MODE #lobby \+m$/);
      await send(page, "/mode -m");
      await carl.expect(/ MODE #lobby -m$/);
      await send(page, "/invite carl #lobby");
      await line(page, /carl is already on #lobby/).waitFor();
      await send(page, "/ban carl");
      await carl.expect(/ MODE #lobby \+b carl!\*@\*$/);
      await send(page, "/kick carl out");
      await carl.expect(/ KICK #lobby carl :out$/);
      await send(page, "/mode -b carl!*@*");
      await line(page, "sets mode -b carl!*@*").waitFor();
      carl.send("JOIN #lobby");
      await carl.expect(/ 366 carl #lobby /);

      carl.send("PRIVMSG #lobby :before ignore");
      await line(page, "before ignore").waitFor();
      await send(page, "/ignore carl");
      carl.send("PRIVMSG #lobby :you cannot see this");
      carl.send("PRIVMSG #lobby :nor this");
      await send(page, "/unignore carl");
      carl.send("PRIVMSG #lobby :visible again");
      await line(page, "visible again").waitFor();
      assertEquals(await line(page, "cannot see this").count(), 0);

      await send(page, "/clear");
      await page.waitForFunction(() => document.querySelectorAll("#messages .line").length === 0);
    }),
});

Deno.test({
  name: "web navigation: a private chat someone else started is back after a reload (TARGETS)",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/register ada-secret-3");
      await page.locator("#messages .line", { hasText: "You are logged in as ada" }).first()
        .waitFor();
      const carl = await tcp();
      await carl.register("carl");
      carl.send("PRIVMSG ada :psst, a secret");
      await bufferItem(page, "carl").waitFor();
      // the tab is reloaded before anything saved the new conversation
      await page.evaluate(() => {
        const s = JSON.parse(sessionStorage.getItem("deno-chat.session")!);
        s.queries = [];
        sessionStorage.setItem("deno-chat.session", JSON.stringify(s));
      });
      await page.reload();
      await onScreen(page, "#lobby");
      await bufferItem(page, "carl").locator(".open").click();
      await line(page, "psst, a secret").waitFor();
      assertEquals(await page.locator(".guest-note").count(), 0); // ada has an account
    }),
});

Deno.test({
  name: "web navigation: an unread marker, formatting shown safely, www. links",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #lobby");
      await carl.expect(/ 366 carl #lobby /);
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby,#other");
      carl.send("PRIVMSG #lobby :seen already");
      await bufferItem(page, "#lobby").locator(".open").click();
      await line(page, "seen already").waitFor();
      await bufferItem(page, "#other").locator(".open").click();
      await onScreen(page, "#other");
      carl.send("PRIVMSG #lobby :\x02bold\x02 \x1ditalic\x1d \x0304red\x03 \x0300,00hidden?");
      carl.send("PRIVMSG #lobby :see www.example.org/page.");
      await bufferItem(page, "#lobby").locator(".badge", { hasText: "2" }).waitFor();
      await bufferItem(page, "#lobby").locator(".open").click();
      await line(page, "see www.example.org").waitFor();
      // the marker sits between what was seen and what is new
      const order = await page.locator("#messages > div").evaluateAll((els) =>
        els.map((e) => e.classList.contains("unread-marker") ? "MARKER" : e.textContent ?? "")
      );
      const marker = order.indexOf("MARKER");
      ok(marker > 0, order.join(" | "));
      ok(order[marker - 1].includes("seen already"), order.join(" | "));
      ok(order[marker + 1].includes("bold"), order.join(" | "));

      const styled = line(page, "bold");
      assertEquals(await styled.locator(".f-b").innerText(), "bold");
      assertEquals(await styled.locator(".f-i").innerText(), "italic");
      assertEquals(await styled.locator(".fg4").innerText(), "red");
      // white on white: the background is dropped and the text gets a backdrop
      const hidden = styled.locator("span", { hasText: "hidden?" }).last();
      ok(!(await hidden.getAttribute("class"))!.includes("bg0"));
      assertEquals(await page.locator("#messages [style]").count(), 0);
      const link = line(page, "see www").locator("a");
      assertEquals(await link.getAttribute("href"), "https://www.example.org/page");
    }),
});
