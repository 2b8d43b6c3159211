/**
 * MONITOR (IRCv3 `monitor`): `+ nicks`, `- nicks`, `C` (clear), `L` (list), `S` (status).
 * The lists live in the server's {@link MonitorTable}; the notices when a watched nick comes
 * and goes are sent from there, fired by the user table.
 *
 * @module
 */

import {
  ERR_MONLISTFULL,
  ERR_NEEDMOREPARAMS,
  ERR_UNKNOWNERROR,
  RPL_ENDOFMONLIST,
  RPL_MONLIST,
  RPL_MONOFFLINE,
  RPL_MONONLINE,
} from "../../protocol/numerics.ts";
import { isValidNick } from "../../protocol/validate.ts";
import type { Context } from "../context.ts";
import { commaLines } from "../monitor.ts";

/** Room for the comma list of one reply: 512 bytes less the source, numeric and nick. */
function room(ctx: Context): number {
  return 512 - 2 - `:${ctx.server.name} 730 ${ctx.user.nick} :`.length;
}

/** Replies with `code` lines listing `items` (none when the list is empty). */
function listReplies(ctx: Context, code: string, items: readonly string[]): void {
  for (const line of commaLines(items, room(ctx))) ctx.numeric(code, line);
}

/** Sends RPL_MONONLINE for the nicks online now (with their masks), RPL_MONOFFLINE for the rest. */
function status(ctx: Context, nicks: readonly string[]): void {
  const online: string[] = [];
  const offline: string[] = [];
  for (const nick of nicks) {
    const u = ctx.users.find(nick);
    if (u) online.push(u.hostmask);
    else offline.push(nick);
  }
  listReplies(ctx, RPL_MONONLINE, online);
  listReplies(ctx, RPL_MONOFFLINE, offline);
}

/** MONITOR <+|-|C|L|S> [nick,nick...] */
export function handleMonitor(ctx: Context): void {
  const monitors = ctx.server.monitors;
  const session = ctx.session;
  const modifier = ctx.params[0].toUpperCase();
  switch (modifier) {
    case "+":
    case "-": {
      const raw = ctx.params[1];
      if (raw === undefined || raw === "") {
        ctx.numeric(ERR_NEEDMOREPARAMS, "MONITOR", "Not enough parameters");
        return;
      }
      // only nicks can be watched (never masks: no stalking through nick changes)
      const nicks = raw.split(",").filter((n) => isValidNick(n, ctx.limits.nickLen));
      if (modifier === "-") {
        monitors.remove(session, nicks);
        return;
      }
      const limit = ctx.limits.monitorSize;
      const { watched, full } = monitors.add(session, nicks, limit);
      status(ctx, watched);
      if (full.length > 0) {
        ctx.numeric(ERR_MONLISTFULL, String(limit), full.join(","), "Monitor list is full.");
      }
      return;
    }
    case "C":
      monitors.clear(session);
      return;
    case "L":
      listReplies(ctx, RPL_MONLIST, monitors.list(session));
      ctx.numeric(RPL_ENDOFMONLIST, "End of MONITOR list");
      return;
    case "S":
      status(ctx, monitors.list(session));
      return;
    default:
      ctx.numeric(ERR_UNKNOWNERROR, "MONITOR", ctx.params[0], "Unknown MONITOR modifier");
  }
}
