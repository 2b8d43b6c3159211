/**
 * The user's input line as an action: text to say, IRC messages to send, or a local
 * action (clear, help, switch window, quit). Pure: the caller executes the result. One
 * parser for both clients, so `/join`, `/msg`, `/me`... mean the same in the terminal and
 * in the browser.
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
 * import type { Action } from "./input_commands.ts";
 * const a: Action = { kind: "say", target: "#lobby", text: "hello" };
 * ```
 */
export type Action =
  | { kind: "say"; target: string; text: string }
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
  | { kind: "ignore"; nick?: string }
  | { kind: "unignore"; nick: string }
  | { kind: "clear" }
  | { kind: "members" }
  | { kind: "close"; window?: string }
  | { kind: "help"; topic?: string }
  | { kind: "window"; which: number | "next" | "prev" }
  | { kind: "quit"; reason?: string }
  | { kind: "none" }
  | { kind: "error"; text: string };

/**
 * One command: its usage line and a one-line description.
 *
 * @example
 * ```ts
 * import type { CommandHelp } from "./input_commands.ts";
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
 * import { COMMANDS } from "./input_commands.ts";
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
  ban: { usage: "/ban [#channel] nick|mask", text: "ban someone from a channel (nick!*@*)" },
  invite: { usage: "/invite nick [#channel]", text: "invite someone to a channel" },
  ignore: { usage: "/ignore [nick]", text: "hide someone's messages (no nick: list)" },
  unignore: { usage: "/unignore nick", text: "show someone's messages again" },
  quote: { usage: "/quote RAW LINE", text: "send a raw IRC line" },
  register: {
    usage: "/register password [email]",
    text: "register an account named after your nick (then you are logged in)",
  },
  login: {
    usage: "/login [account]",
    text: "log in to your account (default: your nick); asks for the password",
  },
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
};

/**
 * The context an input line is read in.
 *
 * @example
 * ```ts
 * import { type CommandContext, parseInput } from "./input_commands.ts";
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
 * import { parseInput } from "./input_commands.ts";
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
    case "ban": {
      let [first, after] = word(rest);
      let chan = hereChannel;
      if (first !== "" && isChannelName(first)) {
        chan = first;
        [first, after] = word(after);
      }
      if (chan === undefined) return needChannel;
      if (first === "") return usage();
      // a bare nick bans that nick from any address, as irssi's /ban does by default
      const mask = /[!@*]/.test(first) ? first : `${first}!*@*`;
      return { kind: "send", messages: [message("MODE", [chan, "+b", mask])] };
    }
    case "ignore": {
      const [nick] = word(rest);
      return { kind: "ignore", nick: nick === "" ? undefined : nick };
    }
    case "unignore": {
      const [nick] = word(rest);
      if (nick === "") return usage();
      return { kind: "unignore", nick };
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
 * import { helpLines } from "./input_commands.ts";
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
 * import { isSecretLine } from "./input_commands.ts";
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
 * import { commandNames } from "./input_commands.ts";
 * commandNames().includes("/join"); // true
 * ```
 */
export function commandNames(): string[] {
  return Object.keys(COMMANDS).map((c) => "/" + c);
}
