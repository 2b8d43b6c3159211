/// <reference lib="dom" />
/**
 * Display names and avatars (draft/metadata-2) in the web app against the real server: one
 * browser sets its profile, another shows the display name and the avatar beside the nick,
 * in the member list and on its messages, and follows a change; an avatar that does not
 * load is hidden without moving the line.
 */

import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { Page } from "playwright-core";
import { BROWSER_TEST, line, newUserPage, onScreen, send, withWorld } from "./browser.ts";

async function enter(page: Page, port: number, nick: string): Promise<void> {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill("#nick", nick);
  await page.fill("#channels", "#lobby");
  await page.click("#join-button");
  await onScreen(page, "#lobby");
}

async function setProfile(page: Page, displayName: string, avatar: string): Promise<void> {
  await page.click("#profile-button");
  await page.fill("#profile-display-name", displayName);
  await page.fill("#profile-avatar", avatar);
  await page.click("#profile-save");
  await page.locator("#profile-dialog").waitFor({ state: "hidden" });
}

Deno.test({
  name: "web metadata (real server): a display name and avatar set in one browser show in another",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser }) => {
      const base = `http://127.0.0.1:${server.httpPort}`;
      const avatar = `${base}/lib/web/static/favicon.svg`;
      const ann = await newUserPage(browser);
      await enter(ann.page, server.httpPort, "ann");
      await setProfile(ann.page, "Ann Lee", avatar);

      const bob = await newUserPage(browser);
      await enter(bob.page, server.httpPort, "bob");
      const member = bob.page.locator("#member-list li", { hasText: "ann" });
      await member.locator(".display-name", { hasText: "Ann Lee" }).waitFor();
      const img = member.locator("img.avatar");
      assertEquals(await img.getAttribute("src"), avatar);
      assertEquals(await img.getAttribute("referrerpolicy"), "no-referrer");

      await send(ann.page, "hello from ann");
      const said = line(bob.page, "hello from ann");
      await said.locator(".display-name", { hasText: "Ann Lee" }).waitFor();
      const shown = said.locator("img.avatar");
      await bob.page.waitForFunction(
        (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
        await shown.elementHandle(),
      );
      const box = await shown.boundingBox();
      assertEquals([box?.width, box?.height], [20, 20]);

      // a change reaches the other browser at once; a dead avatar is hidden, keeping its room
      await setProfile(ann.page, "Ann L.", `${base}/no-such-avatar.png`);
      await said.locator(".display-name", { hasText: "Ann L." }).waitFor();
      await said.locator("img.avatar.broken").waitFor({ state: "attached" });
      const broken = await said.locator("img.avatar").boundingBox();
      ok(broken === null || broken.width === 20, "the broken avatar keeps its size");
      assertEquals(
        await said.locator("img.avatar").evaluate((el) => getComputedStyle(el).visibility),
        "hidden",
      );

      // a URL that is not http(s) is refused by the form and never drawn
      await ann.page.click("#profile-button");
      await ann.page.fill("#profile-avatar", "javascript:alert(1)");
      await ann.page.click("#profile-save");
      await ann.page.locator("#profile-error", { hasText: "https://" }).waitFor();
      await ann.page.click("#profile-cancel");

      // the dead avatar's 404 is the only complaint either page may have
      const other = (e: string) => !/status of 404/.test(e);
      assertEquals(ann.errors.filter(other), []);
      assertEquals(bob.errors.filter(other), []);
    }),
});
