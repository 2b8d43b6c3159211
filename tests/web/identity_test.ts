/// <reference lib="dom" />
/**
 * The web app's identity, end to end in headless Chromium with TCP clients: the server
 * password, wrong passwords that keep the form, the nick the server granted kept across a
 * server restart and a reload, /register and /login kept for the tab's session.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { TestClient } from "../helpers/irc_client.ts";
import { type RunningServer, startServer } from "../helpers/server_process.ts";
import {
  BROWSER_TEST,
  joinChat,
  launchBrowser,
  line,
  newUserPage,
  onScreen,
  send,
  withWorld,
} from "./browser.ts";

async function fillForm(
  page: Page,
  port: number,
  f: { nick: string; password?: string; serverPassword?: string; channels?: string },
): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill("#nick", f.nick);
  if (f.password !== undefined) await page.fill("#password", f.password);
  if (f.serverPassword !== undefined) {
    await page.click("#server-password-box summary");
    await page.fill("#server-password", f.serverPassword);
  }
  await page.fill("#channels", f.channels ?? "#lobby");
  await page.click("#join-button");
}

/** The account `name` with `password`, registered from a TCP client that then leaves. */
async function registerAccount(tcp: () => Promise<TestClient>, name: string, password: string) {
  const raw = await tcp();
  await raw.register(name);
  raw.send(`PRIVMSG NickServ :REGISTER ${password}`);
  await raw.expect(new RegExp(`Account ${name} created`));
  raw.send("QUIT");
  await raw.expectClosed();
}

/** WHOIS from a watcher: the account `nick` is logged in as, or undefined. */
async function accountOf(watcher: TestClient, nick: string): Promise<string | undefined> {
  watcher.send(`WHOIS ${nick}`);
  const lines = await watcher.collectUntil(/ 318 /);
  const m = lines.map((l) => / 330 \S+ \S+ (\S+) /.exec(l)).find((x) => x !== null);
  return m?.[1];
}

Deno.test({
  name: "web identity: a server password goes with PASS; a wrong one keeps the form and says so",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const { page, errors } = await newUserPage(browser);
      await fillForm(page, server.httpPort, { nick: "ada", serverPassword: "wrong" });
      await page.locator("#join-error", { hasText: "Wrong server password" }).waitFor();
      ok(await page.locator("#chat").isHidden());
      ok(await page.locator("#join").isVisible());
      // the form keeps what was typed, and the right password lets us in
      assertEquals(await page.inputValue("#nick"), "ada");
      await page.fill("#server-password", "letmein");
      await page.click("#join-button");
      await onScreen(page, "#lobby");
      await page.locator("#member-list .nick", { hasText: "ada" }).waitFor();
      assertEquals(errors.filter((e) => !/WebSocket/.test(e)), []);
    }, ["--password", "letmein"]),
});

Deno.test({
  name: "web identity: a wrong account password keeps the form with 'wrong password'",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      await registerAccount(tcp, "dora", "dora-secret-1");
      const { page } = await newUserPage(browser);
      await fillForm(page, server.httpPort, { nick: "dora", password: "not-it" });
      await page.locator("#join-error", { hasText: "Wrong password" }).waitFor();
      ok(await page.locator("#chat").isHidden());
      // no half-open session to come back to after a reload
      assertEquals(
        await page.evaluate(() => sessionStorage.getItem("deno-chat.session")),
        null,
      );
      await page.fill("#password", "dora-secret-1");
      await page.click("#join-button");
      await onScreen(page, "#lobby");
      const watcher = await tcp();
      await watcher.register("watcher");
      assertEquals(await accountOf(watcher, "dora"), "dora");
    }),
});

Deno.test({
  name: "web identity: a refused /nick does not come back after a reload",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const dave = await tcp();
      await dave.register("dave");
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/nick dave");
      await line(page, "The nickname dave is already taken.").waitFor();
      await page.reload();
      await onScreen(page, "#lobby");
      await page.locator("#me", { hasText: "You are ada" }).waitFor();
      dave.send("WHOIS ada");
      await dave.expect(/ 311 dave ada /);
      // a granted one does
      await send(page, "/nick adeline");
      await page.locator("#me", { hasText: "You are adeline" }).waitFor();
      await page.reload();
      await onScreen(page, "#lobby");
      await page.locator("#me", { hasText: "You are adeline" }).waitFor();
    }),
});

Deno.test({
  name: "web identity: after a server restart each tab asks for the nick it was granted",
  ...BROWSER_TEST,
  fn: async () => {
    const first = await startServer([], undefined, { web: true });
    const dataDir = first.dataDir;
    let second: RunningServer | undefined;
    let browser: Browser | undefined;
    let watcher: TestClient | undefined;
    try {
      browser = await launchBrowser();
      const a = await newUserPage(browser);
      const b = await newUserPage(browser);
      await joinChat(a.page, first.httpPort, "kim", "#lobby");
      await fillForm(b.page, first.httpPort, { nick: "kim" });
      await b.page.locator("#me", { hasText: "You are kim_" }).waitFor();
      await first.stop();
      for (const p of [a.page, b.page]) {
        await p.locator("#banner-text", { hasText: "Reconnecting" }).waitFor();
      }
      second = await startServer(["--http-port", String(first.httpPort)], undefined, {
        web: true,
        dataDir,
        port: first.port,
      });
      // the tab that was kim_ comes back first: it must not take kim
      // (its own timer may have started the attempt already: then the click changes nothing)
      await b.page.evaluate(() => document.getElementById("retry-button")!.click());
      await b.page.locator("#banner").waitFor({ state: "hidden", timeout: 30000 });
      await a.page.locator("#banner").waitFor({ state: "hidden", timeout: 30000 });
      await a.page.locator("#me", { hasText: /^You are kim$/ }).waitFor();
      await b.page.locator("#me", { hasText: "You are kim_" }).waitFor();
      watcher = await TestClient.connect(second.port);
      await watcher.register("watcher");
      watcher.send("ISON kim kim_");
      await watcher.expect(/ 303 watcher :kim kim_$/);
    } finally {
      await watcher?.close();
      await browser?.close();
      await first.stop();
      await second?.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "web identity: /register, then a reload logs in again with SASL; /login asks for the password",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const watcher = await tcp();
      await watcher.register("watcher");
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/register ada-secret-9");
      await page.locator("#messages .line", { hasText: /registered|created/ }).first().waitFor();
      assertEquals(await accountOf(watcher, "ada"), "ada");
      // the password is in no input history
      await page.press("#input", "ArrowUp");
      assertEquals(await page.inputValue("#input"), "");
      await page.reload();
      await onScreen(page, "#lobby");
      await page.locator("#me", { hasText: /^You are ada$/ }).waitFor();
      await page.locator("#member-list .nick", { hasText: "ada" }).waitFor();
      assertEquals(await accountOf(watcher, "ada"), "ada");
      // still ada, never renamed to a guest: no "log in within" warning either
      assertEquals(await page.locator("#messages .line", { hasText: /log in within/i }).count(), 0);

      // /login: an account registered elsewhere, its password asked in a masked field
      await registerAccount(tcp, "bea", "bea-secret-2");
      const bea = await newUserPage(browser);
      await joinChat(bea.page, server.httpPort, "bea", "#lobby");
      await send(bea.page, "/login");
      await bea.page.locator("#login-dialog[open]").waitFor();
      assertEquals(await bea.page.getAttribute("#login-password", "type"), "password");
      await bea.page.fill("#login-password", "bea-secret-2");
      await bea.page.press("#login-password", "Enter");
      await bea.page.locator("#messages .line", { hasText: "You are logged in as bea" }).first()
        .waitFor();
      assertEquals(await accountOf(watcher, "bea"), "bea");
      await bea.page.reload();
      await onScreen(bea.page, "#lobby");
      await bea.page.locator("#member-list .nick", { hasText: "bea" }).waitFor();
      assertEquals(await accountOf(watcher, "bea"), "bea");
    }),
});
