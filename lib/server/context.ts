/**
 * What a command handler gets: the server, the session the command came from, the parsed
 * message, and helpers to reply with numerics and standard replies.
 *
 * @module
 */

import type { IrcMessage } from "../protocol/message.ts";
import { Outgoing } from "./outgoing.ts";
import type { ChatServer } from "./server.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";

/**
 * The context of one command.
 *
 * @example
 * ```ts ignore
 * export function handlePing(ctx: Context): void {
 *   ctx.reply("PONG", [ctx.server.name, ctx.msg.params[0]]);
 * }
 * ```
 */
export class Context {
  readonly server: ChatServer;
  readonly session: Session;
  readonly msg: IrcMessage;

  constructor(server: ChatServer, session: Session, msg: IrcMessage) {
    this.server = server;
    this.session = session;
    this.msg = msg;
  }

  /** The user behind the session. */
  get user(): User {
    return this.session.user;
  }

  /** The command's parameters. */
  get params(): string[] {
    return this.msg.params;
  }

  /** Sends a numeric to the session: `:server CODE nick params...`. */
  numeric(code: string, ...params: string[]): void {
    this.session.send(new Outgoing(this.server.name, code, [this.user.nick, ...params]));
  }

  /** Sends a message from the server to the session. */
  reply(command: string, params: string[]): void {
    this.session.send(new Outgoing(this.server.name, command, params));
  }

  /**
   * Awaits a promise (a password check, a store commit) without capturing, for a labeled
   * response, what other clients send this session meanwhile.
   */
  async wait<T>(promise: Promise<T>): Promise<T> {
    const capture = this.session.capture;
    this.session.capture = null;
    try {
      return await promise;
    } finally {
      this.session.capture = capture;
    }
  }

  /** Sends an IRCv3 standard reply: `FAIL <command> <code> [context...] :description`. */
  fail(command: string, code: string, context: string[], description: string): void {
    this.reply("FAIL", [command, code, ...context, description]);
  }
}
