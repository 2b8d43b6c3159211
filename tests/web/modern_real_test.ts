/// <reference lib="dom" />
/**
 * The web app's read markers and deletion against the real server: reading a channel on
 * another device of the same account (a TCP client, the "phone") clears the browser's badge,
 * and a message deleted by its sender or by us shows as deleted everywhere.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  BROWSER_TEST,
  bufferItem,
  line,
  newUserPage,
  onScreen,
  send,
  withWorld,
} from "./browser.ts";

Deno.test({
  name:
    "web modern (real server): reading on the phone clears the laptop's badge; REDACT shows as deleted",
  ...BROWSER_TEST,
  fn: () =>
    withWorld(async ({ server, browser, tcp }) => {
      const reg = await tcp();
      await reg.register("ada");
      reg.send("PRIVMSG NickServ :REGISTER ada-secret-1");
      await reg.expect(/Account ada created/);
      reg.send("QUIT");
      await reg.expectClosed();

      const { page, errors } = await newUserPage(browser);
      await page.goto(`http://127.0.0.1:${server.httpPort}/`);
      await page.fill("#nick", "ada");
      await page.fill("#password", "ada-secret-1");
      await page.fill("#channels", "#lobby,#side");
      await page.click("#join-button");
      await bufferItem(page, "#side").waitFor();
      await bufferItem(page, "#lobby").waitFor();

      const bob = await tcp();
      await bob.register("bob", ["message-tags", "echo-message", "draft/message-redaction"]);
      bob.send("JOIN #lobby");
      await bob.expect(/ 366 bob #lobby /);
      await bufferItem(page, "#side").locator(".open").click();
      await onScreen(page, "#side");
      bob.send("PRIVMSG #lobby :first", "PRIVMSG #lobby :second");
      const echoed = await bob.expectMessage(/PRIVMSG #lobby :?second$/);
      await bufferItem(page, "#lobby").locator(".badge", { hasText: "2" }).waitFor();

      // the phone: the same account on another connection reads #lobby
      const phone = await tcp();
      await phone.register("adaphone", ["draft/read-marker", "server-time"]);
      phone.send("PRIVMSG NickServ :IDENTIFY ada ada-secret-1");
      await phone.expect(/ 900 /);
      // it attached to ada's user (multiclient): it is ada now, already in ada's channels
      await phone.expect(/ 366 ada #lobby /);
      phone.send(`MARKREAD #lobby timestamp=${new Date().toISOString()}`);
      await phone.expect(/MARKREAD #lobby timestamp=/);
      await bufferItem(page, "#lobby").locator(".badge").waitFor({ state: "detached" });

      // bob deletes his message: the browser shows it as deleted
      await bufferItem(page, "#lobby").locator(".open").click();
      await onScreen(page, "#lobby");
      await line(page, "second").waitFor();
      bob.send(`REDACT #lobby ${echoed.tags["msgid"]}`);
      await page.locator(`#messages .line[data-id="${echoed.tags["msgid"]}"] .redacted`).waitFor();

      // and we delete ours from its menu
      await send(page, "regret this");
      const mine = line(page, "regret this");
      await mine.locator(".act-delete").waitFor({ state: "attached" });
      const id = await mine.getAttribute("data-id");
      await mine.hover();
      await mine.locator(".act-delete").click();
      await bob.expect(new RegExp(`REDACT #lobby ${id}`));
      await page.locator(`#messages .line[data-id="${id}"] .redacted`, {
        hasText: "message deleted",
      }).waitFor();
      assertEquals(errors, []);
    }),
});
