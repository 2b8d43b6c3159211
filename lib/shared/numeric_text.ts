/**
 * Numeric replies turned into sentences a person reads: "There is no one called bob
 * online." rather than "401 me bob :No such nick/channel".
 *
 * @module
 */

import type { IrcMessage } from "../protocol/message.ts";
import * as N from "../protocol/numerics.ts";

/**
 * A numeric reply as a sentence.
 *
 * @example
 * ```ts
 * import type { Described } from "./numeric_text.ts";
 * const d: Described = { kind: "error", text: "You are not on #a.", channel: "#a" };
 * ```
 */
export interface Described {
  /** "error" for failures, "info" for everything else. */
  kind: "info" | "error";
  /** The sentence. */
  text: string;
  /** The channel the reply is about, if any (so it can go to that window). */
  channel?: string;
}

function isChannel(s: string | undefined): s is string {
  return s !== undefined && (s.startsWith("#") || s.startsWith("&"));
}

/**
 * Describes a numeric reply (the first parameter, our nick, is skipped). Returns undefined
 * for replies that are handled elsewhere or not worth showing (ISUPPORT, end-of lists,
 * names lists, which the client gathers itself).
 *
 * @example
 * ```ts
 * import { describeNumeric } from "./numeric_text.ts";
 * import { parseMessage } from "../protocol/message.ts";
 * describeNumeric(parseMessage(":srv 401 me bob :No such nick/channel")!);
 * // { kind: "error", text: "There is no one called bob online." }
 * ```
 */
export function describeNumeric(msg: IrcMessage): Described | undefined {
  const p = msg.params.slice(1); // drop our own nick
  const a = p[0] ?? "";
  const b = p[1] ?? "";
  const last = p[p.length - 1] ?? "";
  const err = (text: string, channel?: string): Described => ({ kind: "error", text, channel });
  const info = (text: string, channel?: string): Described => ({ kind: "info", text, channel });
  switch (msg.command) {
    // registration and server information
    case N.RPL_WELCOME:
    case N.RPL_YOURHOST:
    case N.RPL_CREATED:
      return info(last);
    case N.RPL_MYINFO:
      return info(`The server is ${a} running ${b}.`);
    case N.RPL_ISUPPORT:
      return undefined;
    case N.RPL_LUSERCLIENT:
    case N.RPL_LUSERME:
      return info(last);
    case N.RPL_LUSEROP:
      return info(`${a} operator(s) online.`);
    case N.RPL_LUSERUNKNOWN:
      return info(`${a} unregistered connection(s).`);
    case N.RPL_LUSERCHANNELS:
      return info(`${a} channel(s) formed.`);
    case N.RPL_LOCALUSERS:
    case N.RPL_GLOBALUSERS:
      return info(last);
    case N.RPL_MOTDSTART:
      return undefined;
    case N.RPL_MOTD:
      return info(last.replace(/^- ?/, ""));
    case N.RPL_ENDOFMOTD:
      return undefined;
    case N.ERR_NOMOTD:
      return info("The server has no message of the day.");
    case N.RPL_UMODEIS:
      return info(`Your user modes are ${a}.`);
    // away
    case N.RPL_AWAY:
      return info(`${a} is away: ${b}`);
    case N.RPL_UNAWAY:
      return info("You are no longer marked as away.");
    case N.RPL_NOWAWAY:
      return info("You are now marked as away.");
    // whois
    case N.RPL_WHOISUSER:
      return info(`${a} is ${b}@${p[2] ?? ""} (${last}).`);
    case N.RPL_WHOISSERVER:
      return info(`${a} is connected to ${b} (${last}).`);
    case N.RPL_WHOISOPERATOR:
      return info(`${a} is an IRC operator.`);
    case N.RPL_WHOISIDLE: {
      const secs = Number(b);
      const signon = Number(p[2]);
      let text = `${a} has been idle for ${formatDuration(secs)}`;
      if (Number.isFinite(signon) && signon > 0 && p.length > 3) {
        text += `, online since ${new Date(signon * 1000).toLocaleString()}`;
      }
      return info(text + ".");
    }
    case N.RPL_WHOISCHANNELS:
      return info(`${a} is on ${last.trim()}.`);
    case N.RPL_WHOISACCOUNT:
      return info(`${a} is logged in as ${b}.`);
    case N.RPL_WHOISHOST:
      return info(`${a}: ${last}`);
    case N.RPL_ENDOFWHOIS:
    case N.RPL_ENDOFWHOWAS:
      return undefined;
    case N.RPL_WHOWASUSER:
      return info(`${a} was ${b}@${p[2] ?? ""} (${last}).`);
    // who
    case N.RPL_WHOREPLY: {
      // <channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>
      const real = last.replace(/^\d+ /, "");
      return info(`${p[4] ?? "?"} (${b}@${p[2] ?? ""}) on ${a}: ${real}`, undefined);
    }
    case N.RPL_ENDOFWHO:
      return info(`End of the user list for ${a}.`);
    // list
    case N.RPL_LISTSTART:
      return info("Channels:");
    case N.RPL_LIST:
      return info(`${a} (${b} user${b === "1" ? "" : "s"})${p[2] ? ": " + p[2] : ""}`);
    case N.RPL_LISTEND:
      return info("End of the channel list.");
    // channels
    case N.RPL_CHANNELMODEIS:
      return info(`Modes of ${a}: ${p.slice(1).join(" ")}`, a);
    case N.RPL_CREATIONTIME:
      return info(`${a} was created ${new Date(Number(b) * 1000).toLocaleString()}.`, a);
    case N.RPL_NOTOPIC:
      return info(`${a} has no topic.`, a);
    case N.RPL_TOPIC:
      return info(`Topic of ${a}: ${b}`, a);
    case N.RPL_TOPICWHOTIME: {
      const when = Number(p[2]);
      const by = b.split("!")[0];
      const date = Number.isFinite(when) ? ` on ${new Date(when * 1000).toLocaleString()}` : "";
      return info(`Topic set by ${by}${date}.`, a);
    }
    case N.RPL_INVITING:
      return info(`You invited ${a} to ${b}.`, b);
    case N.RPL_NAMREPLY:
    case N.RPL_ENDOFNAMES:
      return undefined; // gathered by the client
    case N.RPL_BANLIST:
      return info(`${a} bans ${b}.`, a);
    case N.RPL_ENDOFBANLIST:
      return info(`End of the ban list of ${a}.`, a);
    case N.RPL_VERSION:
      return info(`Server version: ${p.slice(0, -1).join(" ")} ${last}`.trim());
    case N.RPL_TIME:
      return info(`Server time: ${last}`);
    case N.RPL_YOUREOPER:
      return info("You are now an IRC operator.");
    case N.RPL_WHOISKEYVALUE:
      return info(b === "display-name" ? `${a}'s display name: ${last}` : `${a}'s ${b}: ${last}`);
    case N.RPL_KEYVALUE:
    case N.RPL_KEYNOTSET:
    case N.RPL_METADATASUBOK:
    case N.RPL_METADATAUNSUBOK:
    case N.RPL_METADATASUBS:
    case N.RPL_METADATASYNCLATER:
      return undefined;
    // errors
    // metadata replies: the client that asked reads them itself
    case N.ERR_NOSUCHNICK:
      return err(
        isChannel(a) ? `There is no channel named ${a}.` : `There is no one called ${a} online.`,
      );
    case N.ERR_NOSUCHSERVER:
      return err(`There is no server named ${a}.`);
    case N.ERR_NOSUCHCHANNEL:
      return err(`There is no channel named ${a}.`);
    case N.ERR_CANNOTSENDTOCHAN:
      return err(
        `Your message to ${a} was not delivered (${
          last || "not allowed"
        }). You may need to join it first.`,
        a,
      );
    case N.ERR_TOOMANYCHANNELS:
      return err(`You cannot join ${a}: you are on too many channels.`);
    case N.ERR_WASNOSUCHNICK:
      return err(`The server knows no one who was called ${a}.`);
    case N.ERR_TOOMANYTARGETS:
      return err(`Too many targets for ${a}.`);
    case N.ERR_NORECIPIENT:
      return err("The message has no recipient.");
    case N.ERR_NOTEXTTOSEND:
      return err("There is no text to send.");
    case N.ERR_INPUTTOOLONG:
      return err("That line was too long for the server.");
    case N.ERR_UNKNOWNCOMMAND:
      return err(`The server does not know the command ${a}.`);
    case N.ERR_NONICKNAMEGIVEN:
      return err("No nickname was given.");
    case N.ERR_ERRONEUSNICKNAME:
      return err(`The nickname ${a} is not allowed here (${last}).`);
    case N.ERR_NICKNAMEINUSE:
      return err(`The nickname ${a} is already taken.`);
    case "437":
      return err(`The name ${a} is temporarily unavailable.`);
    case N.ERR_USERNOTINCHANNEL:
      return err(`${a} is not on ${b}.`, b);
    case N.ERR_NOTONCHANNEL:
      return err(`You are not on ${a}.`);
    case N.ERR_USERONCHANNEL:
      return err(`${a} is already on ${b}.`, b);
    case N.ERR_NOTREGISTERED:
      return err("The server has not finished registering you yet.");
    case N.ERR_NEEDMOREPARAMS:
      return err(`The command ${a} needs more parameters.`);
    case N.ERR_ALREADYREGISTERED:
      return err("You are already registered.");
    case N.ERR_PASSWDMISMATCH:
      return err("The server password is wrong.");
    case N.ERR_CHANNELISFULL:
      return err(`You cannot join ${a}: it is full.`);
    case N.ERR_UNKNOWNMODE:
      return err(`${a} is not a mode the server knows.`);
    case N.ERR_INVITEONLYCHAN:
      return err(`You cannot join ${a}: it is invite-only.`);
    case N.ERR_BANNEDFROMCHAN:
      return err(`You cannot join ${a}: you are banned.`);
    case N.ERR_BADCHANNELKEY:
      return err(`You cannot join ${a}: it needs a key (use /join ${a} key).`);
    case N.ERR_BADCHANMASK:
      return err(`${a} is not a valid channel name.`);
    case N.ERR_BANLISTFULL:
      return err(`The ban list of ${a} is full.`, a);
    case N.ERR_NOPRIVILEGES:
      return err("You need to be an IRC operator to do that.");
    case N.ERR_CHANOPRIVSNEEDED:
      return err(`You need to be a channel operator on ${a} to do that.`, a);
    case N.ERR_UMODEUNKNOWNFLAG:
      return err("Unknown user mode.");
    case N.ERR_USERSDONTMATCH:
      return err("You cannot change the modes of other users.");
    case N.ERR_INVALIDMODEPARAM:
      return err(`Invalid mode parameter for ${a}: ${last}`);
  }
  // unknown: errors (4xx/5xx) by their text, others by their text
  const code = Number(msg.command);
  const text = p.length > 1 ? `${p.slice(0, -1).join(" ")}: ${last}` : last;
  if (code >= 400 && code < 600) return err(text);
  return text === "" ? undefined : info(text);
}

/**
 * "3 minutes 5 seconds" style durations.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./numeric_text.ts";
 * formatDuration(3725); // "1 hour 2 minutes"
 * ```
 */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "an unknown time";
  const units: [string, number][] = [["day", 86400], ["hour", 3600], ["minute", 60], [
    "second",
    1,
  ]];
  const parts: string[] = [];
  let rest = Math.floor(totalSeconds);
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
    if (parts.length === 2) break;
  }
  return parts.length === 0 ? "0 seconds" : parts.join(" ");
}
