/// <reference lib="dom" />
/**
 * Display names and avatars (IRCv3 `draft/metadata-2`, keys `display-name` and `avatar`):
 * what the page's user set in its profile goes to the server on every connect and on save;
 * what others set arrives as METADATA lines (and 761/766 replies), kept here by nick, and is
 * drawn beside the nick in messages and the member list. An avatar is drawn only for an
 * http(s) URL, at a fixed size (no layout shift), without a referrer, and hidden when it
 * does not load. Nothing is asked for unless the server offers the capability.
 *
 * @module
 */

import { casefold as fold } from "../../protocol/casemap.ts";
import type { IrcMessage } from "../../protocol/message.ts";
import { RPL_KEYNOTSET, RPL_KEYVALUE } from "../../protocol/numerics.ts";
import { sourceNick } from "../../shared/message_text.ts";
import { $, el } from "./dom.ts";

/** The capability; the connection asks for it when the server offers it. */
export const METADATA_CAP = "draft/metadata-2";

/** The keys the page shows and subscribes to. */
const KEYS = ["display-name", "avatar"] as const;
const PROFILE_KEY = "deno-chat.profile";
/** The server's default `max-value-bytes`; the form stops there too. */
const MAX_VALUE = 300;

/** What the page's user shows of itself. */
export interface Profile {
  displayName: string;
  avatar: string;
}

/** What is known of one nick. */
interface Person {
  displayName?: string;
  avatar?: string;
}

/** The part of the connection this module uses. */
export interface MetadataConnection {
  readonly registered: boolean;
  has(cap: string): boolean;
  send(command: string, params?: string[]): void;
}

const people = new Map<string, Person>();

/**
 * Whether a URL may be shown as an avatar: http or https only (no `data:`, `javascript:`,
 * `blob:` or relative URLs, which could reach the page's own origin).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isAvatarUrl } from "./metadata.ts";
 * strictEqual(isAvatarUrl("https://example.com/a.png"), true);
 * strictEqual(isAvatarUrl("javascript:alert(1)"), false);
 * strictEqual(isAvatarUrl("/uploads/a.png"), false);
 * ```
 */
export function isAvatarUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

/** The page user's saved profile (empty fields when none). */
function loadProfile(): Profile {
  try {
    const p = JSON.parse(localStorage.getItem(PROFILE_KEY) ?? "{}") as Partial<Profile>;
    return {
      displayName: typeof p.displayName === "string" ? p.displayName : "",
      avatar: typeof p.avatar === "string" ? p.avatar : "",
    };
  } catch {
    return { displayName: "", avatar: "" };
  }
}

function saveProfile(p: Profile): void {
  try {
    localStorage.setItem(PROFILE_KEY, JSON.stringify(p));
  } catch {
    // private mode or full storage: the profile still applies to this connection
  }
}

function sendProfile(conn: MetadataConnection, p: Profile, clearEmpty: boolean): void {
  const values: [string, string][] = [["display-name", p.displayName], ["avatar", p.avatar]];
  for (const [key, value] of values) {
    // a value is sent whole or not at all: the server refuses one too long
    if (value !== "") conn.send("METADATA", ["*", "SET", key, value]);
    else if (clearEmpty) conn.send("METADATA", ["*", "SET", key]);
  }
}

function update(nick: string, key: string, value: string | undefined): boolean {
  const k = fold(nick);
  const person = people.get(k) ?? {};
  const field = key === "display-name" ? "displayName" : key === "avatar" ? "avatar" : undefined;
  if (field === undefined || person[field] === value) return false;
  if (value === undefined || value === "") delete person[field];
  else person[field] = value;
  if (person.displayName === undefined && person.avatar === undefined) people.delete(k);
  else people.set(k, person);
  return true;
}

/**
 * Follows one message from the server; returns whether what is shown of someone changed
 * (the messages must then be drawn again). On `001` it subscribes and sends the profile.
 */
export function handleMetadataMessage(msg: IrcMessage, conn: MetadataConnection): boolean {
  const p = msg.params;
  switch (msg.command) {
    case "001":
      people.clear();
      if (!conn.has(METADATA_CAP)) return true;
      conn.send("METADATA", ["*", "SUB", ...KEYS]);
      sendProfile(conn, loadProfile(), false);
      return true;
    case "METADATA":
      // METADATA <target> <key> <visibility> [value]
      if (p.length < 3 || /^[#&]/.test(p[0])) return false;
      return update(p[0], p[1], p[3]);
    case RPL_KEYVALUE:
      // 761 <me> <target> <key> <visibility> [value]
      if (p.length < 4 || /^[#&]/.test(p[1])) return false;
      return update(p[1] === "*" ? p[0] : p[1], p[2], p[4]);
    case RPL_KEYNOTSET:
      if (p.length < 3 || /^[#&]/.test(p[1])) return false;
      return update(p[1] === "*" ? p[0] : p[1], p[2], undefined);
    case "NICK": {
      const old = fold(sourceNick(msg.source ?? ""));
      const person = people.get(old);
      if (!person || p[0] === undefined) return false;
      people.delete(old);
      people.set(fold(p[0]), person);
      return true;
    }
    case "QUIT":
      // the nick may be someone else's next: what this one showed goes with it
      return people.delete(fold(sourceNick(msg.source ?? "")));
  }
  return false;
}

/**
 * A nick's element with the person's avatar before it and display name after it, as the
 * view draws them (the element alone when nothing is known).
 */
export function withIdentity(nick: string, nickElement: HTMLElement): Node[] {
  const person = people.get(fold(nick));
  if (!person) return [nickElement];
  const out: Node[] = [];
  if (person.avatar !== undefined && isAvatarUrl(person.avatar)) {
    const img = el("img", "avatar");
    img.alt = "";
    img.width = 20;
    img.height = 20;
    img.loading = "lazy";
    img.decoding = "async";
    img.referrerPolicy = "no-referrer";
    img.addEventListener("error", () => img.classList.add("broken"));
    img.src = person.avatar;
    out.push(img);
  }
  out.push(nickElement);
  if (person.displayName !== undefined && person.displayName !== nick) {
    const name = el("span", "display-name", person.displayName);
    name.title = `${nick}'s display name`;
    out.push(name);
  }
  return out;
}

/**
 * Wires the profile dialog (display name, avatar URL): it shows the saved profile, and
 * saving keeps it in this browser and sends it to the server at once (an emptied field
 * removes the key there).
 */
export function setUpProfile(conn: () => MetadataConnection | undefined): void {
  const dialog = $("profile-dialog") as HTMLDialogElement;
  const nameInput = $("profile-display-name") as HTMLInputElement;
  const avatarInput = $("profile-avatar") as HTMLInputElement;
  const error = $("profile-error");
  nameInput.maxLength = MAX_VALUE;
  avatarInput.maxLength = MAX_VALUE;
  $("profile-button").addEventListener("click", () => {
    const p = loadProfile();
    nameInput.value = p.displayName;
    avatarInput.value = p.avatar;
    error.textContent = "";
    dialog.showModal();
  });
  $("profile-cancel").addEventListener("click", () => dialog.close());
  $("profile-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = { displayName: nameInput.value.trim(), avatar: avatarInput.value.trim() };
    if (p.avatar !== "" && !isAvatarUrl(p.avatar)) {
      error.textContent = "The avatar must be a web address starting with https://";
      return;
    }
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    if (bytes(p.displayName) > MAX_VALUE || bytes(p.avatar) > MAX_VALUE) {
      error.textContent = `At most ${MAX_VALUE} bytes each`;
      return;
    }
    saveProfile(p);
    const c = conn();
    if (c?.registered && c.has(METADATA_CAP)) sendProfile(c, p, true);
    dialog.close();
  });
}
