/**
 * CTCP (modern.ircdocs.horse/ctcp): recognising a query inside a PRIVMSG or NOTICE, and the
 * replies the client gives.
 *
 * @module
 */

import { SOFTWARE, VERSION } from "../version.ts";

/** The CTCP queries the client answers, for CLIENTINFO. */
const CTCP_ANSWERED = ["ACTION", "CLIENTINFO", "PING", "TIME", "VERSION"];

/**
 * The verb (upper-cased) and argument of a CTCP message, or undefined for plain text. A
 * missing closing \x01 is tolerated, as most clients do.
 *
 * @example
 * ```ts
 * import { parseCtcp } from "./ctcp.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCtcp("\x01ACTION waves\x01"), { verb: "ACTION", arg: "waves" });
 * assert.deepEqual(parseCtcp("\x01version"), { verb: "VERSION", arg: "" });
 * assert.equal(parseCtcp("hello"), undefined);
 * ```
 */
export function parseCtcp(text: string): { verb: string; arg: string } | undefined {
  if (!text.startsWith("\x01")) return undefined;
  const body = text.endsWith("\x01") && text.length > 1 ? text.slice(1, -1) : text.slice(1);
  const sp = body.indexOf(" ");
  return {
    verb: (sp === -1 ? body : body.slice(0, sp)).toUpperCase(),
    arg: sp === -1 ? "" : body.slice(sp + 1),
  };
}

/**
 * The body of the reply to an incoming CTCP query, or undefined for queries the client does
 * not answer (and for ACTION, which is a message, not a query).
 *
 * @example
 * ```ts
 * import { ctcpReply } from "./ctcp.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ctcpReply("PING", "1234"), "PING 1234");
 * assert.equal(ctcpReply("CLIENTINFO", ""), "CLIENTINFO ACTION CLIENTINFO PING TIME VERSION");
 * assert.equal(ctcpReply("FINGER", ""), undefined);
 * ```
 */
export function ctcpReply(verb: string, arg: string, now: Date = new Date()): string | undefined {
  switch (verb) {
    case "VERSION":
      return `VERSION ${SOFTWARE} ${VERSION}`;
    case "PING":
      return arg === "" ? "PING" : `PING ${arg}`;
    case "TIME":
      // local time as people read it, which is what TIME is for
      return `TIME ${now.toString()}`;
    case "CLIENTINFO":
      return `CLIENTINFO ${CTCP_ANSWERED.join(" ")}`;
    default:
      return undefined;
  }
}
