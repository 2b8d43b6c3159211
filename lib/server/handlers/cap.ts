/**
 * CAP: IRCv3 capability negotiation (LS, LIST, REQ, END).
 *
 * @module
 */

import { ERR_INVALIDCAPCMD } from "../../protocol/numerics.ts";
import { capValue, stsValue, SUPPORTED_CAPS } from "../caps.ts";
import type { Context } from "../context.ts";
import { tryCompleteRegistration } from "./registration.ts";

// a CAP LS line holds at most this much of the capability list, leaving room for the rest
const CAP_LINE_ROOM = 400;

/** CAP: see modern.ircdocs.horse and the IRCv3 capability negotiation spec. */
export function handleCap(ctx: Context): void | Promise<void> {
  const sub = ctx.params[0].toUpperCase();
  const session = ctx.session;
  const target = ctx.user.nick;
  switch (sub) {
    case "LS": {
      const version = Number(ctx.params[1] ?? "0") || 0;
      if (version > session.capVersion) session.capVersion = version;
      if (!ctx.user.registered) session.capNegotiating = true;
      if (session.capVersion >= 302) {
        session.setCap("cap-notify", true);
        session.capsChanged();
      }
      const tokens = [...SUPPORTED_CAPS.keys()].map((name) => {
        const value = capValue(name, ctx.limits);
        return session.capVersion >= 302 && value !== "" ? `${name}=${value}` : name;
      });
      // sts depends on the connection (plain or TLS) and means nothing without its value
      const sts = stsValue(session.conn.kind, ctx.server.stsTarget);
      if (sts !== undefined && session.capVersion >= 302) tokens.push(`sts=${sts}`);
      const lines = chunkTokens(tokens, CAP_LINE_ROOM);
      lines.forEach((line, i) => {
        const more = i < lines.length - 1 && session.capVersion >= 302;
        ctx.reply("CAP", more ? [target, "LS", "*", line] : [target, "LS", line]);
      });
      return;
    }
    case "LIST":
      ctx.reply("CAP", [target, "LIST", [...session.caps].join(" ")]);
      return;
    case "REQ": {
      if (!ctx.user.registered) session.capNegotiating = true;
      const raw = ctx.params[1] ?? "";
      const wanted = raw.split(" ").filter((t) => t !== "");
      const ok = wanted.length > 0 && wanted.every((t) => {
        const name = t.startsWith("-") ? t.slice(1) : t;
        if (!SUPPORTED_CAPS.has(name)) return false;
        // cap-notify stays on once 302 was negotiated
        return !(t === "-cap-notify" && session.capVersion >= 302);
      });
      if (!ok) {
        ctx.reply("CAP", [target, "NAK", raw]);
        return;
      }
      for (const t of wanted) {
        if (t.startsWith("-")) session.setCap(t.slice(1), false);
        else session.setCap(t, true);
      }
      session.capsChanged();
      ctx.reply("CAP", [target, "ACK", raw]);
      return;
    }
    case "END":
      if (!ctx.user.registered) {
        session.capNegotiating = false;
        return tryCompleteRegistration(ctx);
      }
      return;
    default:
      ctx.numeric(ERR_INVALIDCAPCMD, ctx.params[0], "Invalid CAP command");
  }
}

/**
 * Packs space-separated tokens into lines of at most `room` characters.
 *
 * @example
 * ```ts
 * import { chunkTokens } from "./cap.ts";
 * chunkTokens(["a", "b", "c"], 3); // ["a b", "c"]
 * ```
 */
export function chunkTokens(tokens: string[], room: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const t of tokens) {
    if (line !== "" && line.length + 1 + t.length > room) {
      lines.push(line);
      line = t;
    } else {
      line = line === "" ? t : `${line} ${t}`;
    }
  }
  lines.push(line);
  return lines;
}
