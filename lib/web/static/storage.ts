/// <reference lib="dom" />
/**
 * What the browser keeps: the tab's session (sessionStorage: this tab only, gone when it
 * closes) and the theme (localStorage, every tab). Reading tolerates anything: a value from
 * an older version or a hand-edited one gives the join screen, never an error.
 *
 * @module
 */

import { isValidNick } from "../../protocol/validate.ts";

const SESSION_KEY = "deno-chat.session";
const THEME_KEY = "deno-chat.theme";

/** An account to log in to with SASL on every (re)connect. */
export interface Credential {
  account: string;
  password: string;
}

/** What survives a reload of the tab. */
export interface SavedSession {
  /** The nick the server last granted this tab (the typed one until the first grant). */
  nick: string;
  /** The server password (PASS), "" for none. */
  serverPassword: string;
  /** The account to log in to, once a login or registration succeeded (or typed on the form). */
  credential?: Credential;
  channels: string[];
  queries: string[];
  active: string;
}

/** Longest nick the app accepts on the form (the server may allow fewer). */
export const MAX_NICK = 30;

function isCredential(c: unknown): c is Credential {
  const x = c as Credential;
  return typeof x === "object" && x !== null && typeof x.account === "string" &&
    typeof x.password === "string";
}

/**
 * The tab's saved session, if there is a valid one.
 *
 * @example
 * ```ts ignore
 * const s = loadSession(); // undefined on a first visit
 * ```
 */
export function loadSession(): SavedSession | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<SavedSession>;
    if (typeof s.nick !== "string" || !isValidNick(s.nick, MAX_NICK)) return undefined;
    const list = (v: unknown) =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    return {
      nick: s.nick,
      serverPassword: typeof s.serverPassword === "string" ? s.serverPassword : "",
      credential: isCredential(s.credential) ? s.credential : undefined,
      channels: list(s.channels),
      queries: list(s.queries),
      active: typeof s.active === "string" ? s.active : "",
    };
  } catch {
    return undefined;
  }
}

/**
 * Saves the tab's session.
 *
 * @example
 * ```ts ignore
 * saveSession({ nick: "ann", serverPassword: "", channels: ["#lobby"], queries: [], active: "#lobby" });
 * ```
 */
export function saveSession(s: SavedSession): void {
  try {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  } catch {
    // storage full or disabled: a reload then shows the join screen, nothing worse
  }
}

/** Forgets the tab's session (after /quit). */
export function clearSession(): void {
  try {
    sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // nothing was stored
  }
}

/** The chosen theme: "auto", "light" or "dark". */
export function loadTheme(): string {
  try {
    return localStorage.getItem(THEME_KEY) ?? "auto";
  } catch {
    return "auto";
  }
}

/** Saves the chosen theme. */
export function saveTheme(theme: string): void {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // not kept: the theme still applies to this page
  }
}

const FRIENDS_KEY = "deno-chat.friends";
/** Most friends kept (the server's MONITOR limit is usually lower). */
const MAX_FRIENDS = 200;

/** The friends list (nicks), per browser; anything unreadable counts as empty. */
export function loadFriends(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(FRIENDS_KEY) ?? "[]");
    if (!Array.isArray(v)) return [];
    return v.filter((n): n is string => typeof n === "string" && isValidNick(n, MAX_NICK))
      .slice(0, MAX_FRIENDS);
  } catch {
    return [];
  }
}

/** Saves the friends list. */
export function saveFriends(nicks: string[]): void {
  try {
    localStorage.setItem(FRIENDS_KEY, JSON.stringify(nicks.slice(0, MAX_FRIENDS)));
  } catch {
    // not kept: the list still works on this page
  }
}
