/**
 * Who the two sides of a private conversation are, for its history. A nick is not an
 * identity: once its holder leaves, anyone can take it, so history keyed by nicks would hand
 * one person's private messages to the next holder of the nick. A logged-in user is their
 * account (`@name`, the same on every device and after a nick change); a guest is this
 * connection only (`$…`, a random id), so a guest's private history ends with the guest.
 * Neither `@` nor `$` can appear in a nick, so the two kinds never meet.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import { dmKey } from "../store/store.ts";
import type { User } from "./user.ts";

const guests = new WeakMap<User, string>();
// per start of the server, so guest ids never repeat across restarts of one database
const boot = crypto.randomUUID().slice(0, 8);
let nextGuest = 0;

/**
 * The history identity of a user: `@<casefolded account>` when logged in, else an id of
 * this guest that no later user gets.
 *
 * @example
 * ```ts
 * import { historyParty } from "./history_keys.ts";
 * import { User } from "./user.ts";
 * const u = new User("Bob", "bob", "127.0.0.1", "Bob");
 * u.account = "Bob";
 * historyParty(u); // "@bob"
 * ```
 */
export function historyParty(user: User): string {
  if (user.account !== undefined) return "@" + casefold(user.account);
  let id = guests.get(user);
  if (id === undefined) {
    id = `$${boot}.${(nextGuest++).toString(36)}`;
    guests.set(user, id);
  }
  return id;
}

/**
 * The conversation key of two users' private messages.
 *
 * @example
 * ```ts
 * import { privateHistoryKey } from "./history_keys.ts";
 * import { User } from "./user.ts";
 * const a = new User("Ann", "ann", "127.0.0.1", "Ann");
 * const b = new User("Bob", "bob", "127.0.0.1", "Bob");
 * a.account = "ann";
 * b.account = "bob";
 * privateHistoryKey(a, b); // "dm:@ann @bob"
 * ```
 */
export function privateHistoryKey(a: User, b: User): string {
  return dmKey(historyParty(a), historyParty(b));
}

/** What the history lookups need from the server. */
export interface PartyLookup {
  findUser(nick: string): User | undefined;
  /** Whether an account with this casefolded name exists. */
  accountExists(folded: string): Promise<boolean>;
  /** Every connected user (to name a guest in TARGETS). */
  readonly users: { values(): Iterable<User> };
}

/**
 * The history identity a CHATHISTORY target nick stands for: the user online with that nick,
 * else the account of that name; undefined when neither exists (no history to show).
 *
 * @example
 * ```ts ignore
 * await partyOfNick(server, "bob"); // "@bob" while bob is logged in or offline with an account
 * ```
 */
export async function partyOfNick(
  lookup: PartyLookup,
  nick: string,
): Promise<string | undefined> {
  const online = lookup.findUser(nick);
  if (online) return historyParty(online);
  const folded = casefold(nick);
  return (await lookup.accountExists(folded)) ? "@" + folded : undefined;
}

/**
 * The nick to show for the other side of a stored conversation (CHATHISTORY TARGETS): its
 * current nick while connected, else the account name for an account; undefined for a guest
 * who has left (its history cannot be asked for any more).
 *
 * @example
 * ```ts ignore
 * partyNick(server, "@bob"); // "bob", or bob's current nick if he is online under another
 * ```
 */
export function partyNick(lookup: PartyLookup, party: string): string | undefined {
  const account = party.startsWith("@") ? party.slice(1) : undefined;
  // the usual case first: an account online under its own name
  const holder = account !== undefined ? lookup.findUser(account) : undefined;
  if (holder && historyParty(holder) === party) return holder.nick;
  for (const user of lookup.users.values()) {
    if (
      account !== undefined
        ? user.account !== undefined && casefold(user.account) === account
        : guests.get(user) === party
    ) return user.nick;
  }
  return account;
}
