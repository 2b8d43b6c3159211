/**
 * The one narrow interface between the server and its persistent state: accounts,
 * registered channels, server bans, and message history. SQLite implements it for real use
 * (`sqlite.ts`); memory implements it for `--store memory` and tests (`memory.ts`); both
 * pass the same conformance tests.
 *
 * @module
 */

/** A user account. Names are compared casefolded (`folded`). */
export interface AccountRecord {
  name: string;
  folded: string;
  /** The scrypt hash string from lib/auth/password.ts; never the password. */
  passwordHash: string;
  email: string | undefined;
  /** Seconds since the epoch. */
  createdAt: number;
  /** Whether the account may use OPER with its own password. */
  oper: boolean;
}

/** A registered channel's lasting state. */
export interface ChannelRecord {
  name: string;
  folded: string;
  /** The account that registered it. */
  founder: string;
  registeredAt: number;
  topic: { text: string; setBy: string; setAt: number } | undefined;
  /** Boolean modes that are on, e.g. "nt". */
  modes: string;
  key: string | undefined;
  limit: number | undefined;
  /** Casefolded account names that get +o on join. */
  ops: string[];
  bans: { mask: string; setBy: string; setAt: number }[];
}

/** A server-wide ban on `user@host` masks (a K-line). */
export interface KlineRecord {
  mask: string;
  reason: string;
  setBy: string;
  setAt: number;
  /** Seconds since the epoch, or undefined for permanent. */
  expiresAt: number | undefined;
}

/** One stored PRIVMSG or NOTICE. */
export interface HistoryMessage {
  msgid: string;
  /** Milliseconds since the epoch (the server-time of the message). */
  time: number;
  /** The conversation key: a casefolded channel name, or a {@link dmKey}. */
  target: string;
  /** The target as the sender wrote it (channel name or nick), for replay. */
  rawTarget: string;
  /** The sender's `nick!user@host`. */
  source: string;
  account: string | undefined;
  command: "PRIVMSG" | "NOTICE";
  text: string;
  /** Client-only tags (+foo) that came with it, or undefined. */
  tags: Record<string, string> | undefined;
}

/** A point in a conversation's history: a time (ms) and, for exactness, a msgid. */
export interface HistoryBound {
  time: number;
  msgid?: string;
}

/** A conversation with its latest message time, for CHATHISTORY TARGETS. */
export interface HistoryTarget {
  target: string;
  rawTarget: string;
  latest: number;
}

/** The persistent state behind the server. */
export interface ChatStore {
  /** What kind of store this is, for logs. */
  readonly kind: "sqlite" | "memory";

  getAccount(folded: string): AccountRecord | undefined;
  /** Creates an account; false if the name is taken. */
  createAccount(account: AccountRecord): boolean;
  setAccountPassword(folded: string, passwordHash: string): void;
  setAccountOper(folded: string, oper: boolean): void;
  countAccounts(): number;

  getChannel(folded: string): ChannelRecord | undefined;
  saveChannel(channel: ChannelRecord): void;
  deleteChannel(folded: string): void;

  listKlines(): KlineRecord[];
  addKline(kline: KlineRecord): void;
  /** Removes a K-line; false if there was none. */
  removeKline(mask: string): boolean;

  /**
   * Appends a message; resolves once it is durable. Appends in one event-loop turn share a
   * transaction, so the store never limits throughput.
   */
  appendMessage(message: HistoryMessage): Promise<void>;
  /** The newest `limit` messages after `after` (exclusive), oldest first. */
  latest(target: string, limit: number, after?: HistoryBound): HistoryMessage[];
  /** Up to `limit` messages just before `bound`, oldest first. */
  before(target: string, bound: HistoryBound, limit: number): HistoryMessage[];
  /** Up to `limit` messages just after `bound` (or at it, if `inclusive`), oldest first. */
  after(target: string, bound: HistoryBound, limit: number, inclusive?: boolean): HistoryMessage[];
  /**
   * Up to `limit` messages strictly between `low` and `high`, oldest first; taken from the
   * `low` end, or from the `high` end when `fromHigh` is set.
   */
  between(
    target: string,
    low: HistoryBound,
    high: HistoryBound,
    limit: number,
    fromHigh: boolean,
  ): HistoryMessage[];
  /** Conversations with messages between two times, newest first, for the given keys. */
  targets(from: number, to: number, limit: number, keys: (key: string) => boolean): HistoryTarget[];
  /** The time of a message by msgid, if stored. */
  findMessage(msgid: string): HistoryBound | undefined;
  /** Drops messages older than `maxAgeMs` and beyond `maxPerTarget` per conversation. */
  prune(maxAgeMs: number, maxPerTarget: number): void;

  /** Commits what is pending and closes. */
  close(): void;
}

/**
 * The conversation key of a private conversation between two parties, whichever speaks.
 * The server passes history identities (`@account` or a guest id, see
 * lib/server/history_keys.ts), never bare nicks: a nick can change hands.
 *
 * @example
 * ```ts
 * import { dmKey } from "./store.ts";
 * dmKey("bob", "alice") === dmKey("alice", "bob"); // true
 * ```
 */
export function dmKey(a: string, b: string): string {
  return a < b ? `dm:${a} ${b}` : `dm:${b} ${a}`;
}
