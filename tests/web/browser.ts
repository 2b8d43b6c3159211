/// <reference lib="dom" />
/**
 * Headless Chromium for the web tests, through playwright-core and Debian's chromium
 * (no browser download). Tests that need it are skipped when it is not installed.
 *
 * @module
 */

import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { TestClient } from "../helpers/irc_client.ts";
import { type RunningServer, startServer } from "../helpers/server_process.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed (tests are `ignore`d without it). */
export const hasChromium: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** Flags for a quiet, offline, throwaway browser. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches Chromium. playwright gives each launch a fresh temporary profile
 * (`--user-data-dir`) and removes it when the browser closes.
 *
 * @example
 * ```ts ignore
 * const browser = await launchBrowser();
 * try { ... } finally { await browser.close(); }
 * ```
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
}

/**
 * A new page in its own context (own storage: a separate user), with console errors and
 * page errors collected so a test can assert that nothing failed or ran unexpectedly.
 *
 * @example
 * ```ts ignore
 * const { page, errors } = await newUserPage(browser);
 * ```
 */
export async function newUserPage(
  browser: Browser,
  options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 700 },
    colorScheme: options.colorScheme ?? "light",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return { page, errors };
}

/**
 * Opens the app and joins as `nick` (with the given channels).
 *
 * @example
 * ```ts ignore
 * await joinChat(page, httpPort, "ada", "#general");
 * ```
 */
export async function joinChat(
  page: Page,
  httpPort: number,
  nick: string,
  channels = "#general",
): Promise<void> {
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  await page.fill("#nick", nick);
  await page.fill("#channels", channels);
  await page.click("#join-button");
  // joined once the channel is listed and its member list includes us
  const first = channels.split(/[\s,]+/)[0];
  await page.locator(`#buffer-list li[data-key="${first.toLowerCase()}"]`).waitFor();
  await page.locator("#member-list .nick", { hasText: nick }).first().waitFor();
}

/** Options for the browser tests: skipped without Chromium; playwright keeps its own timers. */
export const BROWSER_TEST = { ignore: !hasChromium, sanitizeOps: false, sanitizeResources: false };

/** What {@link withWorld} gives a test. */
export interface World {
  server: RunningServer;
  browser: Browser;
  /** A raw TCP IRC client, closed at the end. */
  tcp: () => Promise<TestClient>;
}

/**
 * One server (with the web chat), one browser and any number of TCP clients, all cleaned up
 * whatever happens.
 *
 * @example
 * ```ts ignore
 * await withWorld(async ({ server, browser, tcp }) => { ... }, ["--password", "pw"]);
 * ```
 */
export async function withWorld(
  fn: (w: World) => Promise<void>,
  serverArgs: string[] = [],
): Promise<void> {
  const server = await startServer(serverArgs, undefined, { web: true });
  const clients: TestClient[] = [];
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    await fn({
      server,
      browser,
      tcp: async () => {
        const c = await TestClient.connect(server.port);
        clients.push(c);
        return c;
      },
    });
  } finally {
    for (const c of clients) await c.close();
    await browser?.close();
    await server.stop();
  }
}

/** The message lines of the open conversation that contain `text`. */
export function line(page: Page, text: string | RegExp): Locator {
  return page.locator("#messages .line", { hasText: text });
}

/** Types a line in the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

/** A conversation's entry in the sidebar. */
export function bufferItem(page: Page, name: string): Locator {
  return page.locator(`#buffer-list li[data-key="${name.toLowerCase()}"]`);
}

/** Waits until the open conversation is `name`. */
export async function onScreen(page: Page, name: string): Promise<void> {
  await page.waitForFunction(
    (n) => document.getElementById("title")?.textContent === n,
    name,
  );
}
