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

/**
 * What brings an always-on user (NickServ SET always-on) back after a restart: who it was and
 * the channels it was in. Kept only while always-on is set.
 */
export interface AlwaysOnState {
  nick: string;
  username: string;
  host: string;
  realname: string;
  /** Channel names as joined. */
  channels: string[];
}

/** An always-on account with its state, for the restore at start. */
export interface AlwaysOnEntry {
  /** The casefolded account name. */
  folded: string;
  /** The account name as registered. */
  name: string;
  state: AlwaysOnState;
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
  /** Ban exceptions (+e); absent in records saved before they existed. */
  exceptions?: { mask: string; setBy: string; setAt: number }[];
  /** Invite exceptions (+I); absent in records saved before they existed. */
  inviteExceptions?: { mask: string; setBy: string; setAt: number }[];
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

/** One stored PRIVMSG or NOTICE, or a TAGMSG that reacts to a message (`+draft/react`). */
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
  command: "PRIVMSG" | "NOTICE" | "TAGMSG";
  /** The text; a multiline message's combined value (its lines joined, see `multiline`). */
  text: string;
  /** Client-only tags (+foo) that came with it, or undefined. */
  tags: Record<string, string> | undefined;
  /**
   * Set for a `draft/multiline` message: the offsets in `text` where a line starts that was
   * joined to the one before without a line feed (`draft/multiline-concat`); `[]` when every
   * line was joined by "\n". Absent for a one-line message. lib/server/multiline.ts turns it
   * back into the lines.
   */
  multiline?: number[];
}

/** A file uploaded through the web port (soju.im/FILEHOST): its metadata; the bytes are a file. */
export interface UploadRecord {
  /** Random, URL-safe: the file's name in the uploads folder and its URL. */
  id: string;
  /** The casefolded account that uploaded it. */
  account: string;
  size: number;
  /** The file name the client gave (cleaned), for Content-Disposition. */
  name: string;
  /** The Content-Type it is served with (sniffed from an allow-list at upload). */
  contentType: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A point in a conversation's history: a time (ms) and, for exactness, a msgid. */
export interface HistoryBound {
  time: number;
  msgid?: string;
}

/**
 * A history search ({@link ChatStore.search}): the conversations it may look in, and what a
 * message must match. Every condition given must hold.
 */
export interface SearchQuery {
  /**
   * Conversations to look in, each with the earliest time that may be shown from it (a
   * channel's history floor; `-Infinity` for none): the caller's channels, or the one
   * conversation of a `in=` search.
   */
  keys: ReadonlyMap<string, number>;
  /** When set, every private conversation this history identity is a side of, too. */
  party?: string;
  /**
   * Words the text must all contain, as whole words, ignoring case and accents. A text with
   * no letters or digits in it matches nothing.
   */
  text?: string;
  /** The casefolded nick the sender had. */
  from?: string;
  /** Inclusive bounds in ms. */
  after?: number;
  before?: number;
  /** The newest this many matches are returned, oldest first. */
  limit: number;
}

/**
 * How many candidate messages one search looks at, at most, newest first, after the index
 * has applied the words, the sender and the conversations (the stores filter only the
 * channel floors and the exact times afterwards). It bounds the work of any one request;
 * a search that runs into it returns what it found, and the client pages back with `before`.
 */
export const SEARCH_SCAN = 5000;

/**
 * The words of a search text, as every store matches them: runs of letters and digits,
 * lowercased, without accents.
 *
 * @example
 * ```ts
 * import { searchWords } from "./store.ts";
 * searchWords("Déjà vu, again!"); // ["deja", "vu", "again"]
 * ```
 */
export function searchWords(text: string): string[] {
  return (text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase().match(/[\p{L}\p{N}]+/gu) ??
    []);
}

/**
 * Whether a row the index matched may be shown: inside the exact time range, and not from
 * before its channel's floor (the stores' indexes narrow by conversation, words and sender).
 *
 * @example
 * ```ts
 * import { searchVisible } from "./store.ts";
 * const q = { keys: new Map([["#a", 100]]), limit: 10 };
 * searchVisible(q, "#a", 99); // false: before the channel's floor
 * searchVisible(q, "#a", 100); // true
 * ```
 */
export function searchVisible(q: SearchQuery, target: string, time: number): boolean {
  if (q.after !== undefined && time < q.after) return false;
  if (q.before !== undefined && time > q.before) return false;
  const floor = q.keys.get(target);
  return floor === undefined || time >= floor;
}

/**
 * The conversations one caller may see, for {@link ChatStore.targets}: `keys` are listed
 * as they are (the caller's channels), and every private conversation `party` is a side of.
 */
export interface TargetScope {
  keys: readonly string[];
  /** The caller's history identity (see {@link dmKey}). */
  party: string;
}

/** A conversation with its latest message time, for CHATHISTORY TARGETS. */
export interface HistoryTarget {
  target: string;
  rawTarget: string;
  latest: number;
}

/** A history floor to record: a casefolded channel name and its time (ms), or undefined to forget it. */
export type HistoryFloor = readonly [folded: string, time: number | undefined];

/**
 * The persistent state behind the server. Every method returns a promise so that a store
 * over the network (PostgreSQL) fits the same interface; SQLite and memory resolve at once.
 * A failure rejects the promise, never throws synchronously.
 */
export interface ChatStore {
  /** What kind of store this is, for logs. */
  readonly kind: "sqlite" | "memory" | "postgres";

  getAccount(folded: string): Promise<AccountRecord | undefined>;
  /** Creates an account; false if the name is taken. */
  createAccount(account: AccountRecord): Promise<boolean>;
  setAccountPassword(folded: string, passwordHash: string): Promise<void>;
  setAccountOper(folded: string, oper: boolean): Promise<void>;
  countAccounts(): Promise<number>;
  /** An account's always-on state, or undefined when always-on is off (or no such account). */
  getAlwaysOn(folded: string): Promise<AlwaysOnState | undefined>;
  /** Turns always-on on with (or updates) its state, or, undefined, turns it off. */
  setAlwaysOn(folded: string, state: AlwaysOnState | undefined): Promise<void>;
  /** Every always-on account, for the restore at start. */
  listAlwaysOn(): Promise<AlwaysOnEntry[]>;

  getChannel(folded: string): Promise<ChannelRecord | undefined>;
  saveChannel(channel: ChannelRecord): Promise<void>;
  deleteChannel(folded: string): Promise<void>;

  listKlines(): Promise<KlineRecord[]>;
  addKline(kline: KlineRecord): Promise<void>;
  /** Removes a K-line; false if there was none. */
  removeKline(mask: string): Promise<boolean>;

  /**
   * Whether the store answers right now. Always true for SQLite and memory; false while a
   * networked store's database cannot be reached: its requests then fail at once with
   * {@link StoreUnavailableError} until a probe in the background finds it back.
   */
  available(): boolean;

  /**
   * Appends a message; resolves once it is durable. Appends in one event-loop turn share a
   * transaction, so the store never limits throughput. Idempotent by msgid: a message
   * appended again (a retry, or another writer of the same entry) is stored once.
   */
  appendMessage(message: HistoryMessage): Promise<void>;
  /** The newest `limit` messages after `after` (exclusive), oldest first. */
  latest(target: string, limit: number, after?: HistoryBound): Promise<HistoryMessage[]>;
  /** Up to `limit` messages just before `bound`, oldest first. */
  before(target: string, bound: HistoryBound, limit: number): Promise<HistoryMessage[]>;
  /** Up to `limit` messages just after `bound` (or at it, if `inclusive`), oldest first. */
  after(
    target: string,
    bound: HistoryBound,
    limit: number,
    inclusive?: boolean,
  ): Promise<HistoryMessage[]>;
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
  ): Promise<HistoryMessage[]>;
  /**
   * Up to `limit` conversations in `scope` with messages between two times (inclusive, in
   * either order), newest first, each with its latest time in that range. The work is bounded
   * by the caller's own conversations, never by the whole history: at most
   * {@link TARGETS_SCAN} of each kind, one index seek each.
   */
  targets(
    from: number,
    to: number,
    limit: number,
    scope: TargetScope,
  ): Promise<HistoryTarget[]>;
  /** The time of a message by msgid, if stored. */
  findMessage(msgid: string): Promise<HistoryBound | undefined>;
  /**
   * The newest `query.limit` messages matching `query`, oldest first. Looks only in the
   * conversations the query names, and at no more than {@link SEARCH_SCAN} candidates.
   */
  search(query: SearchQuery): Promise<HistoryMessage[]>;

  /** Records an uploaded file (already in place in the uploads folder). */
  addUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  /** Bytes of uploads an account (casefolded) keeps, for its quota. */
  uploadBytes(account: string): Promise<number>;

  /** A stored message by msgid, whole (to check who may redact it), if stored. */
  getMessage(msgid: string): Promise<HistoryMessage | undefined>;
  /**
   * Removes a message from history for good (a redaction, IRCv3 `draft/message-redaction`:
   * it is left out of every later replay); false when there was none by that msgid.
   */
  deleteMessage(msgid: string): Promise<boolean>;

  /**
   * Where an account stopped reading a conversation (IRCv3 `draft/read-marker`): the time
   * (ms) of the last message read, or undefined when it never said. `account` is casefolded;
   * `target` a casefolded channel name or the other side's history identity (`@account`).
   */
  getReadMarker(account: string, target: string): Promise<number | undefined>;
  /**
   * Moves an account's read marker for a conversation forward to `time`, never back, in one
   * step (two devices racing leave the later time). Resolves to the marker stored after it.
   */
  setReadMarker(account: string, target: string, time: number): Promise<number>;
  /**
   * The metadata (IRCv3 `draft/metadata-2`) kept for an owner, key → value: `owner` is
   * `@account` or a channel name, casefolded. Empty when none is kept.
   */
  getMetadata(owner: string): Promise<Record<string, string>>;
  /** Sets one key of an owner's metadata, or removes it (`value` undefined). */
  setMetadata(owner: string, key: string, value: string | undefined): Promise<void>;
  /** Removes all of an owner's metadata. */
  clearMetadata(owner: string): Promise<void>;
  /**
   * Drops messages older than `maxAgeMs` and beyond `maxPerTarget` per conversation, and the
   * history floors of channels with no history left (they would show nothing anyway).
   */
  prune(maxAgeMs: number, maxPerTarget: number): Promise<void>;

  /**
   * Where the history of an unregistered channel starts (ms) when it is made again: handed on
   * from the last channel of the name, which emptied (or was open at shutdown) while public.
   * Undefined: none was handed on, the channel starts afresh.
   */
  getHistoryFloor(folded: string): Promise<number | undefined>;
  /**
   * Records history floors by casefolded channel name (a time in ms) or takes them back
   * (undefined), all in one transaction; a name given twice keeps its last value.
   */
  setHistoryFloors(floors: readonly HistoryFloor[]): Promise<void>;

  /** Commits what is pending and closes. */
  close(): Promise<void>;
}

/**
 * A request the store could not do because its database cannot be reached right now (not a
 * bad request): nothing was changed; the same request may succeed later.
 *
 * @example
 * ```ts
 * import { StoreUnavailableError } from "./store.ts";
 * new StoreUnavailableError().message; // "the database is unavailable right now"
 * ```
 */
export class StoreUnavailableError extends Error {
  constructor(message = "the database is unavailable right now") {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

/** How many channels and how many private conversations one TARGETS request reads, at most. */
export const TARGETS_SCAN = 2000;

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

/**
 * The two parties of a private conversation key, or undefined for a channel's key.
 *
 * @example
 * ```ts
 * import { dmKey, dmParties } from "./store.ts";
 * dmParties(dmKey("@bob", "@ann")); // ["@ann", "@bob"]
 * dmParties("#lobby"); // undefined
 * ```
 */
export function dmParties(key: string): [string, string] | undefined {
  if (!key.startsWith("dm:")) return undefined;
  const space = key.indexOf(" ");
  return space < 0 ? undefined : [key.slice(3, space), key.slice(space + 1)];
}
