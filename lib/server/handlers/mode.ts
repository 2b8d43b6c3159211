/**
 * MODE for users (+B +i +o +w) and channels (+o +v +b +e +I +i +k +l +m +n +s +t).
 *
 * @module
 */

import { casefold } from "../../protocol/casemap.ts";
import { normalizeMask } from "../../protocol/masks.ts";
import {
  CHANNEL_MODE_KINDS,
  formatModeChanges,
  type ModeChange,
  parseModeChanges,
} from "../../protocol/modes.ts";
import {
  ERR_BANLISTFULL,
  ERR_CHANOPRIVSNEEDED,
  ERR_INVALIDMODEPARAM,
  ERR_NEEDMOREPARAMS,
  ERR_NOSUCHCHANNEL,
  ERR_NOSUCHNICK,
  ERR_NOTONCHANNEL,
  ERR_UMODEUNKNOWNFLAG,
  ERR_UNKNOWNMODE,
  ERR_USERNOTINCHANNEL,
  ERR_USERSDONTMATCH,
  RPL_BANLIST,
  RPL_CHANNELMODEIS,
  RPL_CREATIONTIME,
  RPL_ENDOFBANLIST,
  RPL_ENDOFEXCEPTLIST,
  RPL_ENDOFINVITELIST,
  RPL_EXCEPTLIST,
  RPL_INVITELIST,
  RPL_UMODEIS,
} from "../../protocol/numerics.ts";
import { isChannelName } from "../../protocol/validate.ts";
import { type Channel, type ListMode, PREFIX_OP, PREFIX_VOICE } from "../channel.ts";
import type { Context } from "../context.ts";
import { toChannel } from "../delivery.ts";
import { Outgoing } from "../outgoing.ts";

/** MODE <target> [modestring [args...]] */
export function handleMode(ctx: Context): void {
  if (isChannelName(ctx.params[0])) channelMode(ctx);
  else userMode(ctx);
}

function userMode(ctx: Context): void {
  const user = ctx.user;
  const target = ctx.users.find(ctx.params[0]);
  if (!target) {
    ctx.numeric(ERR_NOSUCHNICK, ctx.params[0], "No such nick/channel");
    return;
  }
  if (target !== user) {
    ctx.numeric(ERR_USERSDONTMATCH, "Cant change mode for other users");
    return;
  }
  const modestring = ctx.params[1];
  if (modestring === undefined) {
    ctx.numeric(RPL_UMODEIS, user.modeString);
    return;
  }
  let applied = "";
  let sign = "";
  let unknown = false;
  let add = true;
  for (const m of modestring) {
    if (m === "+" || m === "-") {
      add = m === "+";
      continue;
    }
    let changed = false;
    if (m === "i" && user.invisible !== add) {
      ctx.users.setInvisible(user, add);
      changed = true;
    } else if (m === "o" && !add && user.oper) {
      // operators may drop their status; only OPER grants it
      ctx.users.setOper(user, false);
      changed = true;
    } else if (m === "w" && user.wallops !== add) {
      ctx.users.setWallops(user, add);
      changed = true;
    } else if (m === "B" && user.bot !== add) {
      ctx.users.setBot(user, add);
      changed = true;
    } else if (m !== "i" && m !== "o" && m !== "w" && m !== "B") unknown = true;
    if (changed) {
      const s = add ? "+" : "-";
      if (s !== sign) applied += sign = s;
      applied += m;
    }
  }
  if (unknown) ctx.numeric(ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag");
  // every device of the user learns its new modes
  if (applied !== "") {
    ctx.toSelf(new Outgoing(user.hostmask, "MODE", [user.nick, applied], ctx.server.eventTags()));
  }
}

/** Per mask list: its entry numeric, its end numeric and the end's wording. */
const LIST_REPLIES: Record<ListMode, [string, string, string]> = {
  b: [RPL_BANLIST, RPL_ENDOFBANLIST, "End of channel ban list"],
  e: [RPL_EXCEPTLIST, RPL_ENDOFEXCEPTLIST, "End of channel exception list"],
  I: [RPL_INVITELIST, RPL_ENDOFINVITELIST, "End of channel invite list"],
};

/** The wording of a full list (ERR_BANLISTFULL serves all three). */
const LIST_FULL: Record<ListMode, string> = {
  b: "Channel ban list is full",
  e: "Channel exception list is full",
  I: "Channel invite exception list is full",
};

function sendMaskList(ctx: Context, channel: Channel, mode: ListMode): void {
  const [entry, end, text] = LIST_REPLIES[mode];
  for (const b of channel.list(mode)) {
    ctx.numeric(entry, channel.name, b.mask, b.setBy, String(b.setAt));
  }
  ctx.numeric(end, channel.name, text);
}

function channelMode(ctx: Context): void {
  const user = ctx.user;
  const channel = ctx.channels.find(ctx.params[0]);
  if (!channel) {
    ctx.numeric(ERR_NOSUCHCHANNEL, ctx.params[0], "No such channel");
    return;
  }
  // a secret channel shows its modes, creation time and lists to its members only (as TOPIC)
  if (channel.flags.s && !channel.members.has(user)) {
    ctx.numeric(ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (ctx.params.length < 2) {
    ctx.numeric(RPL_CHANNELMODEIS, channel.name, ...channel.modeReply(channel.members.has(user)));
    ctx.numeric(RPL_CREATIONTIME, channel.name, String(channel.createdAt));
    return;
  }
  const changes = parseModeChanges(ctx.params[1], ctx.params.slice(2), CHANNEL_MODE_KINDS);
  const isOp = channel.isOp(user);
  const applied: ModeChange[] = [];
  let paramModes = 0;
  let deniedSent = false;
  const now = Math.floor(Date.now() / 1000);

  for (const change of changes) {
    const { add, mode, arg } = change;
    const kind = CHANNEL_MODE_KINDS[mode];
    if (kind === undefined) {
      ctx.numeric(ERR_UNKNOWNMODE, mode, "is unknown mode char to me");
      continue;
    }
    if (kind === "list" && arg === undefined) {
      sendMaskList(ctx, channel, mode as ListMode);
      continue;
    }
    if (!isOp) {
      if (!deniedSent) {
        ctx.numeric(ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
        deniedSent = true;
      }
      continue;
    }
    if (arg !== undefined && ++paramModes > ctx.limits.modesPerCommand) continue;
    switch (mode) {
      case "o":
      case "v": {
        if (arg === undefined) {
          ctx.numeric(ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
          break;
        }
        const target = ctx.users.find(arg);
        if (!target) {
          ctx.numeric(ERR_NOSUCHNICK, arg, "No such nick/channel");
          break;
        }
        const bits = channel.members.get(target);
        if (bits === undefined) {
          ctx.numeric(
            ERR_USERNOTINCHANNEL,
            target.nick,
            channel.name,
            "They aren't on that channel",
          );
          break;
        }
        const bit = mode === "o" ? PREFIX_OP : PREFIX_VOICE;
        const next = add ? bits | bit : bits & ~bit;
        if (next !== bits) {
          channel.setMember(target, next);
          applied.push({ add, mode, arg: target.nick });
          // in a registered channel, ops are remembered by account
          if (mode === "o" && target.account) channel.rememberOp(casefold(target.account), add);
        }
        break;
      }
      case "b":
      case "e":
      case "I": {
        const list = mode as ListMode;
        const mask = normalizeMask(arg!);
        if (add) {
          if (channel.hasInList(list, mask)) break;
          if (channel.list(list).length >= ctx.limits.banListSize) {
            ctx.numeric(ERR_BANLISTFULL, channel.name, mask, LIST_FULL[list]);
            break;
          }
          channel.addToList(list, { mask, setBy: user.hostmask, setAt: now });
          applied.push({ add, mode, arg: mask });
        } else {
          const removed = channel.removeFromList(list, mask);
          if (removed) applied.push({ add, mode, arg: removed.mask });
        }
        break;
      }
      case "k":
        if (add) {
          if (arg === undefined) {
            ctx.numeric(ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
            break;
          }
          const key = arg.slice(0, 32);
          if (key === "" || key.startsWith(":") || /[,\s]/.test(key)) {
            ctx.numeric(ERR_INVALIDMODEPARAM, channel.name, "k", "*", "Invalid key");
            break;
          }
          channel.setKey(key);
          applied.push({ add, mode, arg: key });
        } else if (channel.key !== undefined) {
          channel.setKey(undefined);
          applied.push({ add, mode, arg: "*" });
        }
        break;
      case "l":
        if (add) {
          const n = Number(arg);
          if (arg === undefined) {
            ctx.numeric(ERR_NEEDMOREPARAMS, "MODE", "Not enough parameters");
          } else if (!/^\d+$/.test(arg) || n <= 0) {
            ctx.numeric(ERR_INVALIDMODEPARAM, channel.name, "l", arg, "Invalid limit");
          } else if (channel.limit !== n) {
            channel.setLimit(n);
            applied.push({ add, mode, arg: String(n) });
          }
        } else if (channel.limit !== undefined) {
          channel.setLimit(undefined);
          applied.push({ add, mode });
        }
        break;
      default: {
        const flag = mode as "i" | "m" | "n" | "s" | "t";
        if (channel.flags[flag] !== add) {
          channel.setFlag(flag, add);
          applied.push({ add, mode });
        }
      }
    }
  }
  if (applied.length === 0) return;
  ctx.channels.modesChanged(channel, applied, user);
  const change = new Outgoing(
    user.hostmask,
    "MODE",
    [channel.name, ...formatModeChanges(applied)],
    ctx.server.eventTags(),
  );
  toChannel(channel, change, user);
  ctx.toSelf(change);
}
