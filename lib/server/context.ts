/**
 * What a command handler gets: the server, the session the command came from, the parsed
 * message, and the command's {@link ResponseBuffer}, with helpers to reply with numerics and
 * standard replies. Every reply a handler makes goes through here, so a labeled command's
 * replies are labeled wherever in the handler (before or after an await) they are made.
 *
 * @module
 */

import type { IrcMessage } from "../protocol/message.ts";
import type { ChatStore } from "../store/store.ts";
import type { ChannelTable } from "./channels.ts";
import type { KlineTable } from "./klines.ts";
import type { Limits } from "./limits.ts";
import { toUser } from "./delivery.ts";
import { Outgoing } from "./outgoing.ts";
import { ResponseBuffer } from "./response_buffer.ts";
import type { ChatServer } from "./server.ts";
import type { Session } from "./session.ts";
import type { User } from "./user.ts";
import type { UserTable } from "./users.ts";

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
  #label: string | undefined;
  #rb: ResponseBuffer | undefined = undefined;

  constructor(server: ChatServer, session: Session, msg: IrcMessage, label?: string) {
    this.server = server;
    this.session = session;
    this.msg = msg;
    this.#label = label === "" ? undefined : label;
  }

  /** The command's label, when the session has labeled-response and gave a non-empty one. */
  get label(): string | undefined {
    return this.#label;
  }

  /**
   * Takes the label off this command, for one whose answer comes with a later command (the
   * opening BATCH of a multiline message is answered when the batch closes): it gets no ACK
   * now. Only before the command has replied; afterwards the label stays and this returns
   * undefined.
   */
  deferLabel(): string | undefined {
    if (this.#rb !== undefined) return undefined;
    const label = this.#label;
    this.#label = undefined;
    return label;
  }

  /**
   * Where this command's replies go (flushed by dispatch when the command is done). Made on
   * first use: most commands of a busy channel (an unlabeled PRIVMSG) never need one.
   */
  get rb(): ResponseBuffer {
    return this.#rb ??= new ResponseBuffer(
      this.session,
      this.label,
      this.server.name,
      this.server.nextBatchId,
    );
  }

  /** Sends what the command's buffer holds (dispatch calls it once the handler is done). */
  flush(): void {
    if (this.#rb !== undefined || this.label !== undefined) this.rb.flush();
  }

  /** The user table (find users; rename, modes and counts through its methods). */
  get users(): UserTable {
    return this.server.users;
  }

  /** The channel table (find channels; join, part, kick, topics through its methods). */
  get channels(): ChannelTable {
    return this.server.channels;
  }

  /** The K-lines. */
  get klines(): KlineTable {
    return this.server.klines;
  }

  /** Accounts, registered channels, history. */
  get store(): ChatStore {
    return this.server.store;
  }

  /** The server's limits. */
  get limits(): Limits {
    return this.server.limits;
  }

  /** The user behind the session. */
  get user(): User {
    return this.session.user;
  }

  /** The command's parameters. */
  get params(): string[] {
    return this.msg.params;
  }

  /** Replies with any message (to the session the command came from). */
  send(out: Outgoing): void {
    // unlabeled and outside any batch, a reply goes straight out (what the buffer would do)
    if (this.#rb === undefined && this.label === undefined) this.session.send(out);
    else this.rb.add(out);
  }

  /**
   * Sends to every session of the command's user: this one's copy is a reply (in the
   * buffer), the user's other sessions get theirs at once.
   */
  toSelf(out: Outgoing): void {
    const user = this.session.user;
    if (user.sessions.length === 1 && user.sessions[0] === this.session) this.send(out);
    else toUser(user, out, this.rb);
  }

  /** Replies with a numeric: `:server CODE nick params...`. */
  numeric(code: string, ...params: string[]): void {
    this.send(new Outgoing(this.server.name, code, [this.user.nick, ...params]));
  }

  /** Replies with a message from the server. */
  reply(command: string, params: string[]): void {
    this.send(new Outgoing(this.server.name, command, params));
  }

  /** Replies with an IRCv3 standard reply: `FAIL <command> <code> [context...] :description`. */
  fail(command: string, code: string, context: string[], description: string): void {
    this.reply("FAIL", [command, code, ...context, description]);
  }
}
