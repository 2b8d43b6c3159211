/**
 * Makes the web app's screenshots in docs/: desktop light, desktop dark and phone, each in a
 * real headless Chromium in a small chat with TCP users. Run with
 * `deno run -A tests/web/screenshot.ts` (not a test: it writes the files).
 *
 * @module
 */

import type { Browser } from "playwright-core";
import { TestClient } from "../helpers/irc_client.ts";
import { type RunningServer, startServer } from "../helpers/server_process.ts";
import { joinChat, launchBrowser, newUserPage } from "./browser.ts";

const DOCS = new URL("../../docs/", import.meta.url);

interface Shot {
  file: string;
  width: number;
  height: number;
  colorScheme: "light" | "dark";
}

const SHOTS: Shot[] = [
  { file: "screenshot-light.png", width: 1200, height: 720, colorScheme: "light" },
  { file: "screenshot-dark.png", width: 1200, height: 720, colorScheme: "dark" },
  { file: "screenshot-phone.png", width: 390, height: 780, colorScheme: "light" },
];

async function shoot(server: RunningServer, browser: Browser, shot: Shot) {
  const clients: TestClient[] = [];
  try {
    const { page } = await newUserPage(browser, shot);
    const me = "ada";
    const general = "#general";
    const random = "#random";
    await joinChat(page, server.httpPort, me, `${general},${random}`);
    const user = async (nick: string, ...chans: string[]) => {
      const c = await TestClient.connect(server.port);
      clients.push(c);
      await c.register(nick, ["message-tags"]);
      c.send(`JOIN ${chans.join(",")}`);
      await c.expect(new RegExp(` 366 \\S+ \\${chans.at(-1)} `));
      return c;
    };
    const grace = await user("grace", general, random);
    const linus = await user("linus", general);
    const margaret = await user("margaret", general);
    await page.fill("#input", "/topic Release planning — notes at https://example.org/plan");
    await page.press("#input", "Enter");
    await page.fill("#input", "/mode +v grace");
    await page.press("#input", "Enter");
    grace.send(`PRIVMSG ${general} :Morning! The build is \x02green\x02 again.`);
    linus.send(`PRIVMSG ${general} :\x01ACTION pushes the release branch\x01`);
    margaret.send(`PRIVMSG ${general} :${me}, can you check the checklist before we tag?`);
    const ask = page.locator(".line", { hasText: "checklist" });
    await ask.waitFor();
    const askId = await ask.getAttribute("data-id");
    await page.fill("#input", "On it — the list is at www.example.org/checklist");
    await page.press("#input", "Enter");
    // a reply with its quote, and reactions with their counts
    grace.send(`@+draft/reply=${askId} PRIVMSG ${general} :I can take the changelog part`);
    linus.send(`@+draft/react=👍;+draft/reply=${askId} TAGMSG ${general}`);
    grace.send(`@+draft/react=👍;+draft/reply=${askId} TAGMSG ${general}`);
    linus.send(`@+draft/react=🎉;+draft/reply=${askId} TAGMSG ${general}`);
    await page.locator(".reaction", { hasText: "🎉 1" }).waitFor();
    await page.locator(".reply-quote").waitFor();
    // friends: who is online (MONITOR)
    if (shot.width > 760) {
      for (const friend of ["grace", "alan"]) {
        await page.fill("#friend-nick", friend);
        await page.press("#friend-nick", "Enter");
      }
      await page.locator("#friend-list li.offline[data-nick='alan']").waitFor();
    }
    grace.send(`PRIVMSG ${random} :anyone for lunch at 12?`);
    grace.send(`PRIVMSG ${random} :the new place downstairs`);
    linus.send(`PRIVMSG ${me} :got a minute after the call?`);
    await page.locator("#buffer-list li[data-key='linus'] .badge").waitFor();
    margaret.send(`@+typing=active TAGMSG ${general}`);
    await page.locator("#typing", { hasText: "margaret" }).waitFor();
    await page.locator(".line", { hasText: "On it" }).waitFor();
    await page.locator(".line", { hasText: "changelog" }).waitFor();
    await page.mouse.move(shot.width / 2, shot.height - 160);
    await page.locator("#input").blur();
    await page.locator("#friend-nick").blur();
    const out = new URL(shot.file, DOCS).pathname;
    await page.screenshot({ path: out });
    console.log(`wrote ${out}`);
  } finally {
    for (const c of clients) await c.close();
  }
}

const browser = await launchBrowser();
try {
  for (const shot of SHOTS) {
    const server = await startServer([], undefined, { web: true });
    try {
      await shoot(server, browser, shot);
    } finally {
      await server.stop();
    }
  }
} finally {
  await browser.close();
}
