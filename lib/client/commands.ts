/**
 * The user's input line as an action: text to say, IRC messages to send, or a local
 * action (clear, help, switch window, quit). Pure: the caller executes the result.
 *
 * @module
 */

import { type IrcMessage, message } from "../protocol/message.ts";
import { isChannelName } from "../protocol/validate.ts";

/**
 * What an input line asks for.
 *
 * @example
 * ```ts
 * import type { Action } from "./commands.ts";
 * const a: Action = { kind: "say", target: "#lobby", text: "hello" };
 * ```
 */
export type Action =
  /** Text to say; `replyTo` is the msgid of the message it answers (+draft/reply). */
  | { kind: "say"; target: string; text: string; replyTo?: string }
  | { kind: "action"; target: string; text: string }
  | { kind: "notice"; target: string; text: string }
  | { kind: "query"; nick: string; text?: string }
  | { kind: "send"; messages: IrcMessage[] }
  | { kind: "raw"; line: string }
  | { kind: "nick"; nick: string }
  | { kind: "join"; channels: string[]; keys?: string }
  | { kind: "register"; password: string; email?: string }
  | { kind: "login"; account?: string; password: string }
  | { kind: "loginPrompt"; account?: string }
  | { kind: "clear" }
  | { kind: "members" }
  | { kind: "close"; window?: string }
  | { kind: "help"; topic?: string }
  | { kind: "window"; which: number | "next" | "prev" }
  | { kind: "quit"; reason?: string }
  | { kind: "none" }
  | { kind: "error"; text: string }
  /** `/notify add|del|list nick…`: the watch list (MONITOR, or ISON polling). */
  | { kind: "notify"; op: "add" | "del" | "list"; nicks: string[] }
  /** `/delete [N]`: the Nth last own message of the window (the UI finds its msgid). */
  | { kind: "delete"; n: number }
  /** `/reply N text`: answer the Nth last message of the window. */
  | { kind: "reply"; n: number; text: string }
  /** `/react N reaction`: react to the Nth last message of the window. */
  | { kind: "reactTo"; n: number; reaction: string }
  /** `/upload FILE`: send a file to the server's file host and post its link. */
  | { kind: "upload"; path: string }
  /** `/search [#channel] words`: search the history (soju.im/search). */
  | { kind: "search"; text: string; in?: string }
  /** A reaction to a message by msgid (TAGMSG +draft/react), built by the UI. */
  | { kind: "react"; target: string; msgid: string; reaction: string }
  /** Delete a message by msgid (REDACT), built by the UI. */
  | { kind: "redact"; target: string; msgid: string };

/**
 * One command: its usage line and a one-line description.
 *
 * @example
 * ```ts
 * import type { CommandHelp } from "./commands.ts";
 * const h: CommandHelp = { usage: "/clear", text: "clear this window" };
 * ```
 */
export interface CommandHelp {
  /** The usage, e.g. "/join #channel[,#other] [key]". */
  usage: string;
  /** What it does. */
  text: string;
}

/**
 * Every command with its help, in the order /help lists them.
 *
 * @example
 * ```ts
 * import { COMMANDS } from "./commands.ts";
 * COMMANDS.join.usage; // "/join #channel[,#other] [key]"
 * ```
 */
export const COMMANDS: Record<string, CommandHelp> = {
  join: { usage: "/join #channel[,#other] [key]", text: "join channels" },
  part: { usage: "/part [#channel] [reason]", text: "leave a channel (default: this one)" },
  msg: { usage: "/msg nick|#channel text", text: "send a message without switching window" },
  query: { usage: "/query nick [text]", text: "open a private conversation window" },
  me: { usage: "/me text", text: "say an action (* you waves)" },
  notice: { usage: "/notice target text", text: "send a notice" },
  nick: { usage: "/nick newnick", text: "change your nickname" },
  topic: { usage: "/topic [#channel] [new topic]", text: "show or set the topic" },
  names: { usage: "/names [#channel]", text: "list who is on a channel" },
  who: { usage: "/who mask", text: "list users matching a mask or on a channel" },
  whois: { usage: "/whois nick", text: "show information about someone" },
  list: { usage: "/list [#pattern]", text: "list channels" },
  away: { usage: "/away [reason]", text: "mark yourself away" },
  back: { usage: "/back", text: "mark yourself back" },
  kick: { usage: "/kick [#channel] nick [reason]", text: "remove someone from a channel" },
  mode: { usage: "/mode [target] modes [args]", text: "show or change modes" },
  invite: { usage: "/invite nick [#channel]", text: "invite someone to a channel" },
  quote: { usage: "/quote RAW LINE", text: "send a raw IRC line" },
  register: {
    usage: "/register password [email]",
    text: "register an account named after your nick (then you are logged in)",
  },
  login: {
    usage: "/login [account]",
    text: "log in to your account (default: your nick); asks for the password",
  },
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
  clear: { usage: "/clear", text: "clear this window" },
  members: {
    usage: "/members",
    text: "show or hide the member list beside channels (terminals of 100+ columns)",
  },
  close: { usage: "/close", text: "close this window (leaves the channel)" },
  win: { usage: "/win N|next|prev", text: "switch to window N" },
  help: { usage: "/help [command]", text: "show this help" },
  quit: { usage: "/quit [reason]", text: "disconnect and exit" },
};

const ALIASES: Record<string, string> = {
  j: "join",
  leave: "part",
  m: "msg",
  q: "query",
  raw: "quote",
  w: "win",
  window: "win",
  exit: "quit",
  wc: "close",
  redact: "delete",
  watch: "notify",
};

/**
 * The context an input line is read in.
 *
 * @example
 * ```ts
 * import { type CommandContext, parseInput } from "./commands.ts";
 * const ctx: CommandContext = { target: "#lobby" };
 * parseInput("/me waves", ctx);
 * ```
 */
export interface CommandContext {
  /** The current window's target: a channel, a nick, or undefined for the status window. */
  target?: string;
}

/** Splits off the first word: ["word", "rest of line"]. */
function word(s: string): [string, string] {
  const t = s.replace(/^ +/, "");
  const sp = t.indexOf(" ");
  if (sp === -1) return [t, ""];
  return [t.slice(0, sp), t.slice(sp + 1).replace(/^ +/, "")];
}

/**
 * Reads one input line. Text not starting with '/' is said to the current window ("//x"
 * says "/x"); `/command args` becomes its action; an unknown command or a missing argument
 * becomes an error with a short hint, and nothing is sent.
 *
 * @example
 * ```ts
 * import { parseInput } from "./commands.ts";
 * parseInput("hello", { target: "#lobby" }); // { kind: "say", target: "#lobby", text: "hello" }
 * parseInput("/join #a,#b", {}); // { kind: "join", channels: ["#a", "#b"], keys: undefined }
 * parseInput("/frob", {}); // { kind: "error", text: "Unknown command /frob. Type /help for a list." }
 * ```
 */
export function parseInput(line: string, ctx: CommandContext): Action {
  if (line.trim() === "") return { kind: "none" };
  if (!line.startsWith("/") || line.startsWith("//")) {
    const text = line.startsWith("//") ? line.slice(1) : line;
    if (ctx.target === undefined) {
      return {
        kind: "error",
        text: "This window is not a channel or a conversation; /join a channel or /query a nick.",
      };
    }
    return { kind: "say", target: ctx.target, text };
  }
  const [rawName, rest] = word(line.slice(1));
  const lower = rawName.toLowerCase();
  const name = ALIASES[lower] ?? lower;
  const usage = () => ({ kind: "error" as const, text: `Usage: ${COMMANDS[name].usage}` });
  const here = ctx.target;
  const hereChannel = here !== undefined && isChannelName(here) ? here : undefined;
  const needChannel = {
    kind: "error" as const,
    text: `This is not a channel window; name the channel: ${COMMANDS[name]?.usage ?? ""}`,
  };
  switch (name) {
    case "join": {
      const [chans, key] = word(rest);
      if (chans === "") return usage();
      const channels = chans.split(",").filter((c) => c !== "").map((c) =>
        isChannelName(c) || c.startsWith("&") ? c : "#" + c
      );
      return { kind: "join", channels, keys: key === "" ? undefined : key };
    }
    case "part": {
      const [first, after] = word(rest);
      if (first !== "" && isChannelName(first)) {
        return { kind: "send", messages: [partMsg(first, after)] };
      }
      if (hereChannel === undefined) return needChannel;
      return { kind: "send", messages: [partMsg(hereChannel, rest)] };
    }
    case "msg":
    case "notice": {
      const [target, text] = word(rest);
      if (target === "" || text === "") return usage();
      return { kind: name === "msg" ? "say" : "notice", target, text };
    }
    case "query": {
      const [nick, text] = word(rest);
      if (nick === "") return usage();
      return { kind: "query", nick, text: text === "" ? undefined : text };
    }
    case "me": {
      if (here === undefined) return needChannel;
      if (rest === "") return usage();
      return { kind: "action", target: here, text: rest };
    }
    case "nick": {
      const [nick] = word(rest);
      if (nick === "") return usage();
      return { kind: "nick", nick };
    }
    case "topic": {
      const [first, after] = word(rest);
      if (first !== "" && isChannelName(first)) {
        return {
          kind: "send",
          messages: [message("TOPIC", after === "" ? [first] : [first, after])],
        };
      }
      if (hereChannel === undefined) return needChannel;
      return {
        kind: "send",
        messages: [message("TOPIC", rest === "" ? [hereChannel] : [hereChannel, rest])],
      };
    }
    case "names": {
      const [chan] = word(rest);
      const c = chan !== "" ? chan : hereChannel;
      if (c === undefined) return needChannel;
      return { kind: "send", messages: [message("NAMES", [c])] };
    }
    case "who": {
      const [mask] = word(rest);
      const m = mask !== "" ? mask : hereChannel;
      if (m === undefined) return usage();
      return { kind: "send", messages: [message("WHO", [m])] };
    }
    case "whois": {
      const [nick] = word(rest);
      const n = nick !== "" ? nick : (here !== undefined && !isChannelName(here) ? here : "");
      if (n === "") return usage();
      return { kind: "send", messages: [message("WHOIS", [n])] };
    }
    case "list": {
      const args = rest.split(" ").filter((x) => x !== "");
      return { kind: "send", messages: [message("LIST", args)] };
    }
    case "away":
      return { kind: "send", messages: [message("AWAY", [rest === "" ? "Away" : rest])] };
    case "back":
      return { kind: "send", messages: [message("AWAY", [])] };
    case "kick": {
      let [first, after] = word(rest);
      let chan = hereChannel;
      if (first !== "" && isChannelName(first)) {
        chan = first;
        [first, after] = word(after);
      }
      if (chan === undefined) return needChannel;
      if (first === "") return usage();
      return {
        kind: "send",
        messages: [message("KICK", after === "" ? [chan, first] : [chan, first, after])],
      };
    }
    case "mode": {
      const args = rest.split(" ").filter((x) => x !== "");
      if (args.length === 0 || (!isChannelName(args[0]) && /^[+-]/.test(args[0]))) {
        if (hereChannel === undefined) return usage();
        args.unshift(hereChannel);
      }
      return { kind: "send", messages: [message("MODE", args)] };
    }
    case "invite": {
      const [nick, chanArg] = word(rest);
      const chan = chanArg !== "" ? word(chanArg)[0] : hereChannel;
      if (nick === "") return usage();
      if (chan === undefined) return needChannel;
      return { kind: "send", messages: [message("INVITE", [nick, chan])] };
    }
    case "register": {
      const [password, after] = word(rest);
      const [email] = word(after);
      if (password === "") return usage();
      return { kind: "register", password, email: email === "" ? undefined : email };
    }
    case "login": {
      const [account, after] = word(rest);
      if (after !== "") {
        // a password typed on the line would show on screen and land in the input history
        return {
          kind: "error",
          text: "Type only /login [account]; the password is asked for without showing it.",
        };
      }
      return { kind: "loginPrompt", account: account === "" ? undefined : account };
    }
    case "quote": {
      if (rest.trim() === "") return usage();
      return { kind: "raw", line: rest.trim() };
    }
    case "reply": {
      const [n, text] = word(rest);
      if (!/^[1-9]\d*$/.test(n) || text === "") return usage();
      if (here === undefined) return needChannel;
      return { kind: "reply", n: Number(n), text };
    }
    case "react": {
      const [n, reaction] = word(rest);
      if (!/^[1-9]\d*$/.test(n) || reaction.trim() === "") return usage();
      if (here === undefined) return needChannel;
      return { kind: "reactTo", n: Number(n), reaction: reaction.trim() };
    }
    case "delete": {
      const [n] = word(rest);
      if (n !== "" && !/^[1-9]\d*$/.test(n)) return usage();
      if (here === undefined) return needChannel;
      return { kind: "delete", n: n === "" ? 1 : Number(n) };
    }
    case "notify": {
      const [op, after] = word(rest);
      const nicks = after.split(/[ ,]+/).filter((x) => x !== "");
      const o = op.toLowerCase();
      if (o === "list" || (o === "" && nicks.length === 0)) {
        return { kind: "notify", op: "list", nicks: [] };
      }
      if ((o !== "add" && o !== "del") || nicks.length === 0) return usage();
      return { kind: "notify", op: o, nicks };
    }
    case "search": {
      const [first, after] = word(rest);
      if (first !== "" && isChannelName(first) && after.trim() !== "") {
        return { kind: "search", text: after.trim(), in: first };
      }
      if (rest.trim() === "") return usage();
      return { kind: "search", text: rest.trim() };
    }
    case "upload": {
      const path = rest.trim().replace(/^"(.*)"$/, "$1");
      if (path === "") return usage();
      return { kind: "upload", path };
    }
    case "clear":
      return { kind: "clear" };
    case "members":
      return { kind: "members" };
    case "close":
      return { kind: "close", window: here };
    case "win": {
      const [arg] = word(rest);
      if (arg === "next" || arg === "prev") return { kind: "window", which: arg };
      if (!/^\d+$/.test(arg)) return usage();
      return { kind: "window", which: Number(arg) };
    }
    case "help": {
      const [topic] = word(rest);
      return { kind: "help", topic: topic === "" ? undefined : topic.replace(/^\//, "") };
    }
    case "quit":
      return { kind: "quit", reason: rest === "" ? undefined : rest };
  }
  return { kind: "error", text: `Unknown command /${rawName}. Type /help for a list.` };
}

function partMsg(chan: string, reason: string): IrcMessage {
  return message("PART", reason === "" ? [chan] : [chan, reason]);
}

/**
 * The help text: all commands, or one command's usage.
 *
 * @example
 * ```ts
 * import { helpLines } from "./commands.ts";
 * helpLines("join"); // ["/join #channel[,#other] [key]  join channels"]
 * ```
 */
export function helpLines(topic?: string): string[] {
  if (topic !== undefined) {
    const name = ALIASES[topic.toLowerCase()] ?? topic.toLowerCase();
    const c = COMMANDS[name];
    if (c === undefined) return [`There is no command /${topic}. Type /help for a list.`];
    return [`${c.usage}  ${c.text}`];
  }
  const out = ["Commands:"];
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  for (const c of Object.values(COMMANDS)) out.push(`  ${c.usage.padEnd(width)}  ${c.text}`);
  out.push("Text not starting with / is sent to the current window; // sends a leading /.");
  return out;
}

/**
 * Whether an input line carries a password (`/register`, `/login`, NickServ IDENTIFY,
 * raw PASS/OPER/AUTHENTICATE): such lines are never kept in the input history.
 *
 * @example
 * ```ts
 * import { isSecretLine } from "./commands.ts";
 * isSecretLine("/register hunter22"); // true
 * isSecretLine("/msg NickServ IDENTIFY ann pw"); // true
 * isSecretLine("hello"); // false
 * ```
 */
export function isSecretLine(line: string): boolean {
  return /^\/(register|login|quote\s+(pass|authenticate|oper)|raw\s+(pass|authenticate|oper))\b/i
    .test(line.trimStart()) ||
    /^\/(msg|query)\s+nickserv\s+(register|identify)\b/i.test(line.trimStart());
}

/**
 * Command names with their slash, for Tab completion.
 *
 * @example
 * ```ts
 * import { commandNames } from "./commands.ts";
 * commandNames().includes("/join"); // true
 * ```
 */
export function commandNames(): string[] {
  return Object.keys(COMMANDS).map((c) => "/" + c);
}
