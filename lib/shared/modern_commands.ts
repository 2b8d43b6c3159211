/**
 * The input commands of the modern chat features (issue 15): /reply, /react, /delete,
 * /notify, /search and /upload, read into {@link ModernAction}s. Kept apart from the
 * common parser (input_commands.ts) so each client takes them up when it can carry them
 * out; a client calls {@link parseModernCommand} first and the common parser otherwise.
 * Pure and browser-safe.
 *
 * @module
 */

import { type CommandContext, type CommandHelp } from "./input_commands.ts";
import { isChannelName } from "../protocol/validate.ts";

/**
 * What a modern command asks for. `delete`, `reply` and `reactTo` point at a message by
 * its place in the window (N = 1 is the newest); the client finds its msgid and carries it
 * out as `redact`, `sayReply` or `react`.
 *
 * @example
 * ```ts
 * import type { ModernAction } from "./modern_commands.ts";
 * const a: ModernAction = { kind: "reactTo", n: 1, reaction: "👍" };
 * ```
 */
export type ModernAction =
  /** `/notify add|del|list nick…`: the watch list (MONITOR, or ISON polling). */
  | { kind: "notify"; op: "add" | "del" | "list"; nicks: string[] }
  /** `/delete [N]`: the Nth last own message of the window. */
  | { kind: "delete"; n: number }
  /** `/reply N text`: answer the Nth last message of the window. */
  | { kind: "reply"; n: number; text: string }
  /** `/react N reaction`: react to the Nth last message of the window. */
  | { kind: "reactTo"; n: number; reaction: string }
  /** `/upload FILE`: send a file to the server's file host and post its link. */
  | { kind: "upload"; path: string }
  /** `/search [#channel] words`: search the history (soju.im/search). */
  | { kind: "search"; text: string; in?: string }
  /** Text answering the message `replyTo` (a msgid), sent with +draft/reply. */
  | { kind: "sayReply"; target: string; text: string; replyTo: string }
  /** A reaction to a message by msgid (TAGMSG +draft/react). */
  | { kind: "react"; target: string; msgid: string; reaction: string }
  /** Delete a message by msgid (REDACT). */
  | { kind: "redact"; target: string; msgid: string }
  /** A modern command used wrongly: say this, send nothing. */
  | { kind: "error"; text: string };

/**
 * The modern commands with their help, in the order /help lists them.
 *
 * @example
 * ```ts
 * import { MODERN_COMMANDS } from "./modern_commands.ts";
 * MODERN_COMMANDS.delete.usage; // "/delete [N]"
 * ```
 */
export const MODERN_COMMANDS: Record<string, CommandHelp> = {
  reply: {
    usage: "/reply N text",
    text: "answer the Nth last message of this window (1 = the last one)",
  },
  react: { usage: "/react N emoji", text: "react to the Nth last message (e.g. /react 1 👍)" },
  delete: { usage: "/delete [N]", text: "delete your last message here (or your Nth last)" },
  notify: {
    usage: "/notify add|del|list [nick…]",
    text: "be told when someone comes online or goes offline",
  },
  search: {
    usage: "/search [#channel] words",
    text: "search old messages (results in the search window)",
  },
  upload: { usage: "/upload FILE", text: "upload a file to the server and post its link here" },
};

const ALIASES: Record<string, string> = { redact: "delete", watch: "notify" };

/** Splits off the first word: ["word", "rest of line"]. */
function word(s: string): [string, string] {
  const t = s.replace(/^ +/, "");
  const sp = t.indexOf(" ");
  if (sp === -1) return [t, ""];
  return [t.slice(0, sp), t.slice(sp + 1).replace(/^ +/, "")];
}

/** The command name of a line (`/Delete 2` → "delete"), aliases resolved. */
function nameOf(line: string): string | undefined {
  if (!line.startsWith("/") || line.startsWith("//")) return undefined;
  const lower = word(line.slice(1))[0].toLowerCase();
  return ALIASES[lower] ?? lower;
}

/**
 * Reads a line if it is a modern command; undefined for any other line (for the common
 * parser). A missing or bad argument is an error with the usage, and nothing is sent.
 *
 * @example
 * ```ts
 * import { parseModernCommand } from "./modern_commands.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseModernCommand("/react 2 🎉", { target: "#a" }),
 *   { kind: "reactTo", n: 2, reaction: "🎉" });
 * assert.equal(parseModernCommand("/join #a", {}), undefined);
 * ```
 */
export function parseModernCommand(
  line: string,
  ctx: CommandContext,
): ModernAction | undefined {
  const name = nameOf(line);
  if (name === undefined || !(name in MODERN_COMMANDS)) return undefined;
  const rest = word(line.slice(1))[1];
  const usage = { kind: "error" as const, text: `Usage: ${MODERN_COMMANDS[name].usage}` };
  const here = ctx.target;
  const needWindow = {
    kind: "error" as const,
    text: `Go to a channel or conversation first: ${MODERN_COMMANDS[name].usage}`,
  };
  const count = (n: string) => /^[1-9]\d*$/.test(n);
  switch (name) {
    case "reply": {
      const [n, text] = word(rest);
      if (!count(n) || text === "") return usage;
      if (here === undefined) return needWindow;
      return { kind: "reply", n: Number(n), text };
    }
    case "react": {
      const [n, reaction] = word(rest);
      if (!count(n) || reaction.trim() === "") return usage;
      if (here === undefined) return needWindow;
      return { kind: "reactTo", n: Number(n), reaction: reaction.trim() };
    }
    case "delete": {
      const [n] = word(rest);
      if (n !== "" && !count(n)) return usage;
      if (here === undefined) return needWindow;
      return { kind: "delete", n: n === "" ? 1 : Number(n) };
    }
    case "notify": {
      const [op, after] = word(rest);
      const nicks = after.split(/[ ,]+/).filter((x) => x !== "");
      const o = op.toLowerCase();
      if (o === "list" || (o === "" && nicks.length === 0)) {
        return { kind: "notify", op: "list", nicks: [] };
      }
      if ((o !== "add" && o !== "del") || nicks.length === 0) return usage;
      return { kind: "notify", op: o, nicks };
    }
    case "search": {
      const [first, after] = word(rest);
      if (first !== "" && isChannelName(first) && after.trim() !== "") {
        return { kind: "search", text: after.trim(), in: first };
      }
      if (rest.trim() === "") return usage;
      return { kind: "search", text: rest.trim() };
    }
    case "upload": {
      const path = rest.trim().replace(/^"(.*)"$/, "$1");
      if (path === "") return usage;
      return { kind: "upload", path };
    }
  }
  return undefined;
}

/**
 * Help for the modern commands: all of them (indented like /help's list), or one command's
 * usage; undefined when `topic` is not one of them.
 *
 * @example
 * ```ts
 * import { modernHelpLines } from "./modern_commands.ts";
 * modernHelpLines("delete"); // ["/delete [N]  delete your last message here (or your Nth last)"]
 * ```
 */
export function modernHelpLines(topic?: string): string[] | undefined {
  if (topic !== undefined) {
    const name = ALIASES[topic.toLowerCase()] ?? topic.toLowerCase();
    const c = MODERN_COMMANDS[name];
    return c === undefined ? undefined : [`${c.usage}  ${c.text}`];
  }
  const width = Math.max(...Object.values(MODERN_COMMANDS).map((c) => c.usage.length));
  return Object.values(MODERN_COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.text}`);
}

/**
 * The modern command names with their slash, for Tab completion.
 *
 * @example
 * ```ts
 * import { modernCommandNames } from "./modern_commands.ts";
 * modernCommandNames().includes("/upload"); // true
 * ```
 */
export function modernCommandNames(): string[] {
  return Object.keys(MODERN_COMMANDS).map((c) => "/" + c);
}
