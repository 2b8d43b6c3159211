/// <reference lib="dom" />
/**
 * Plain words in the web app: numerics in the shared wording where the user is looking, a
 * readable Server window, and a kick or ban that cannot be missed.
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
  name: "web words: errors in plain words in the open channel; a readable Server window",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const carl = await tcp();
      await carl.register("carl");
      carl.send("JOIN #secret", "MODE #secret +k sesame", "JOIN #lobby");
      await carl.expect(/ 366 carl #lobby /);
      const { page, errors } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#lobby");
      await send(page, "/join #secret");
      await line(page, "You cannot join #secret: it needs a key (use /join #secret key).")
        .waitFor();
      // carl made #lobby: ada is no operator there
      await send(page, "/kick carl");
      await line(page, "You need to be a channel operator on #lobby to do that.").waitFor();
      carl.send("AWAY :gone fishing");
      await carl.expect(/ 306 /);
      await send(page, "/whois carl");
      await line(page, "carl is away: gone fishing").waitFor();
      await line(page, /^.*carl is ~?carl@/).first().waitFor();
      await onScreen(page, "#lobby");

      await bufferItem(page, "*").locator(".open").click();
      await onScreen(page, "Server");
      const server_ = (await page.locator("#messages .line .text").allInnerTexts()).join("\n");
      ok(!/biklmnostv|\b1 1 Current/.test(server_), server_);
      ok(!/^\d{3} /m.test(server_), server_);
      ok(/Welcome/.test(server_), server_);
      assertEquals(errors, []);
    }),
});

Deno.test({
  name: "web words: kicked is unmistakable; the box is off, Rejoin works, a ban says so",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const op = await tcp();
      await op.register("op", ["message-tags"]);
      op.send("JOIN #room");
      await op.expect(/ 366 op #room /);
      const { page } = await newUserPage(browser);
      await joinChat(page, server.httpPort, "ada", "#room");
      await page.locator("#member-list .nick", { hasText: "op" }).waitFor();

      op.send("KICK #room ada :behave");
      await line(page, "You were kicked from #room by op (behave).").waitFor();
      await page.locator("#notice-bar", { hasText: "You were removed from #room." }).waitFor();
      ok(await page.locator("#input").isDisabled());
      ok(await page.locator("#send-button").isDisabled());
      // nothing typed there can go out, typing notices included (even if text gets in)
      await page.evaluate(() => {
        const box = document.getElementById("input") as HTMLTextAreaElement;
        box.value = "still typing";
        box.dispatchEvent(new Event("input", { bubbles: true }));
      });
      await op.expectNone(/TAGMSG #room/);

      await page.click("#notice-action"); // Rejoin
      await op.expect(/^(@\S+ )?:ada!\S+ JOIN #room/); // tagged: op has message-tags
      await page.locator("#notice-bar").waitFor({ state: "hidden" });
      // enabled once the app has its own JOIN back (op may see it a moment earlier)
      await page.locator("#input:enabled").waitFor();

      op.send("MODE #room +b ada!*@*", "KICK #room ada :and stay out");
      await line(page, "You were kicked from #room by op (and stay out).").waitFor();
      await page.click("#notice-action");
      await line(page, "You cannot join #room: you are banned.").waitFor();
      ok(await page.locator("#input").isDisabled());
    }),
});
