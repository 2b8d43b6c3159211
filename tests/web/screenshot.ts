/**
 * Makes docs/screenshot.png: the web app in a real headless Chromium, in a small chat with
 * TCP users. Run with `deno run -A tests/web/screenshot.ts` (not a test: it writes the file).
 *
 * @module
 */

import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";
import { joinChat, launchBrowser, newUserPage } from "./browser.ts";

const OUT = new URL("../../docs/screenshot.png", import.meta.url).pathname;

const server = await startServer([], undefined, { web: true });
const browser = await launchBrowser();
const clients: TestClient[] = [];
try {
  const { page } = await newUserPage(browser, { width: 1200, height: 720 });
  await joinChat(page, server.httpPort, "ada", "#general,#random");
  const user = async (nick: string, ...chans: string[]) => {
    const c = await TestClient.connect(server.port);
    clients.push(c);
    await c.register(nick, ["message-tags"]);
    c.send(`JOIN ${chans.join(",")}`);
    await c.expect(new RegExp(` 366 ${nick} \\${chans.at(-1)} `));
    return c;
  };
  const grace = await user("grace", "#general", "#random");
  const linus = await user("linus", "#general");
  const margaret = await user("margaret", "#general");
  await page.locator("#buffer-list li[data-key='#general'] .open").click();
  await page.fill("#input", "/topic Release planning — notes at https://example.org/plan");
  await page.press("#input", "Enter");
  await page.fill("#input", "/quote MODE #general +v grace");
  await page.press("#input", "Enter");
  grace.send("PRIVMSG #general :Morning! The build is green again.");
  linus.send("PRIVMSG #general :\x01ACTION pushes the release branch\x01");
  margaret.send("PRIVMSG #general :ada, can you check the checklist before we tag?");
  await page.locator(".line", { hasText: "checklist" }).waitFor();
  await page.fill("#input", "On it — the list is at https://example.org/checklist");
  await page.press("#input", "Enter");
  grace.send("PRIVMSG #random :anyone for lunch at 12?");
  grace.send("PRIVMSG #random :the new place downstairs");
  linus.send("PRIVMSG ada :got a minute after the call?");
  await page.locator("#buffer-list li[data-key='linus'] .badge").waitFor();
  margaret.send("@+typing=active TAGMSG #general");
  await page.locator("#typing", { hasText: "margaret" }).waitFor();
  await page.locator(".line", { hasText: "On it" }).waitFor();
  await page.mouse.move(600, 560);
  await page.locator("#input").blur();
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  for (const c of clients) await c.close();
  await browser.close();
  await server.stop();
}
