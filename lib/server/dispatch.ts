/**
 * Dispatch: one input line of a session → flood control → parse → the command table →
 * its handler, with a response buffer (the {@link Context}'s) for the command's replies, flushed
 * (labeled, when the command had a label) once the handler is done. The command table's
 * checks (registration, parameter count, unknown verbs) and a handler's unexpected errors
 * are answered here, so handlers never do.
 *
 * @module
 */

import { StoreUnavailableError } from "../store/store.ts";
import type { FramedLine } from "../protocol/framer.ts";
import { type IrcMessage, parseMessage } from "../protocol/message.ts";
import {
  ERR_INPUTTOOLONG,
  ERR_NEEDMOREPARAMS,
  ERR_NOTREGISTERED,
  ERR_UNKNOWNCOMMAND,
  ERR_UNKNOWNERROR,
} from "../protocol/numerics.ts";
import { COMMANDS } from "./commands.ts";
import { Context } from "./context.ts";
import { afterWait, floodDelay } from "./fakelag.ts";
import { batchIntake, isBatchedLine } from "./multiline.ts";
import { Outgoing } from "./outgoing.ts";
import type { ChatServer } from "./server.ts";
import type { Session } from "./session.ts";

/** Why a line with NUL or a bare CR was refused (FAIL <command> INVALID_CHARACTERS). */
const BAD_CHAR_TEXT = "Lines may not contain NUL or CR characters; this one was not processed";

/**
 * The dispatcher of one server.
 *
 * @example
 * ```ts ignore
 * const dispatcher = new Dispatcher(server);
 * await dispatcher.handleLine(session, { kind: "line", text: "PING x" });
 * ```
 */
export class Dispatcher {
  readonly #server: ChatServer;

  constructor(server: ChatServer) {
    this.#server = server;
  }

  /** Handles one input line: flood control first (from the first line on), then dispatch. */
  handleLine(session: Session, line: FramedLine): void | Promise<void> {
    const server = this.#server;
    server.stats.linesIn++;
    // from the first line on, registered or not: registration is no free flood (an open
    // multiline batch's lines are billed together when it closes)
    const batch = session.multiline;
    const wait = batch !== undefined && isBatchedLine(batch, line)
      ? 0
      : floodDelay(session, server.limits, Date.now());
    if (wait > 0) {
      // fakelag: hold this client's input (and so its socket) until a token is due
      return new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
        afterWait(session, Date.now());
        return this.#handle(session, line);
      });
    }
    return this.#handle(session, line);
  }

  #handle(session: Session, line: FramedLine): void | Promise<void> {
    if (line.kind === "too-long") {
      const server = this.#server;
      session.send(
        new Outgoing(server.name, ERR_INPUTTOOLONG, [session.user.nick, "Input line was too long"]),
      );
      return;
    }
    if (line.kind === "bad-char") {
      const command = parseMessage(line.text)?.command ?? "*";
      session.send(
        new Outgoing(this.#server.name, "FAIL", [command, "INVALID_CHARACTERS", BAD_CHAR_TEXT]),
      );
      return;
    }
    const msg = parseMessage(line.text);
    if (!msg) return;
    return this.dispatch(session, msg);
  }

  /** Runs one parsed command through the command table. */
  dispatch(session: Session, msg: IrcMessage): void | Promise<void> {
    if (session.dead) return;
    const server = this.#server;
    if (session.multiline !== undefined) {
      if (batchIntake(session, msg, server.limits, server.name)) return;
    }
    const user = session.user;
    const label = session.caps.has("labeled-response") ? msg.tags["label"] : undefined;
    const ctx = new Context(server, session, msg, label);
    const spec = COMMANDS.get(msg.command);
    let result: void | Promise<void> = undefined;
    if (!spec) {
      if (user.registered) ctx.numeric(ERR_UNKNOWNCOMMAND, msg.command, "Unknown command");
      else ctx.numeric(ERR_NOTREGISTERED, "You have not registered");
    } else if (spec.registered && !user.registered) {
      ctx.numeric(ERR_NOTREGISTERED, "You have not registered");
    } else if (msg.params.length < spec.minParams) {
      ctx.numeric(ERR_NEEDMOREPARAMS, msg.command, "Not enough parameters");
    } else {
      try {
        result = spec.handler(ctx);
      } catch (err) {
        internalError(ctx, err);
      }
    }
    if (result instanceof Promise) {
      return result.catch((err) => internalError(ctx, err)).finally(() => this.#finish(ctx));
    }
    this.#finish(ctx);
  }

  /** Flushes a command's replies, unless its session was ended meanwhile (it said ERROR). */
  #finish(ctx: Context): void {
    if (this.#server.sessions.has(ctx.session)) ctx.flush();
  }
}

function internalError(ctx: Context, err: unknown): void {
  if (err instanceof StoreUnavailableError) {
    // not a bug: the store said once that it is away, and says when it is back
    ctx.fail(
      ctx.msg.command,
      "TEMPORARILY_UNAVAILABLE",
      [],
      "The server's database is unavailable right now; try again in a moment",
    );
    return;
  }
  // one line (the stack quoted in it), so a JSON log stays one object per line
  const e = err as Error;
  ctx.server.log.error("command-failed", {
    command: ctx.msg.command,
    error: e?.message ?? String(err),
    stack: e?.stack,
  });
  ctx.numeric(ERR_UNKNOWNERROR, ctx.msg.command, "Internal error; the command was not done");
}
