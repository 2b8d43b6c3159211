/**
 * The key bindings of the chat UI as one table: a key's name ("ctrl+w", "alt+left",
 * "pageup") → what it does. The app carries out the {@link KeyAction}s; changing a binding
 * is a one-line change here.
 *
 * @module
 */

import type { Key } from "./keys.ts";

/**
 * Something a key does.
 *
 * @example
 * ```ts
 * import type { KeyAction } from "./keymap.ts";
 * const a: KeyAction = "submit";
 * ```
 */
export type KeyAction =
  | "submit"
  | "complete"
  | "backspace"
  | "deleteWordBack"
  | "delete"
  | "deleteToStart"
  | "deleteToEnd"
  | "left"
  | "right"
  | "wordLeft"
  | "wordRight"
  | "home"
  | "end"
  | "historyPrev"
  | "historyNext"
  | "scrollUp"
  | "scrollDown"
  | "nextWindow"
  | "prevWindow"
  | "redraw"
  | "cancel"
  | "quit";

/**
 * The bindings. Alt+1…9 and Alt+0 (window 10) are not listed: {@link keyAction} maps them
 * to a window number.
 *
 * @example
 * ```ts
 * import { KEYMAP } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(KEYMAP["ctrl+w"], "deleteWordBack");
 * ```
 */
export const KEYMAP: Readonly<Record<string, KeyAction>> = {
  "enter": "submit",
  "ctrl+m": "submit",
  "ctrl+j": "submit",
  "tab": "complete",
  "backspace": "backspace",
  "ctrl+h": "backspace",
  "alt+backspace": "deleteWordBack",
  "ctrl+w": "deleteWordBack",
  "delete": "delete",
  "ctrl+d": "delete",
  "ctrl+u": "deleteToStart",
  "ctrl+k": "deleteToEnd",
  "left": "left",
  "ctrl+b": "left",
  "right": "right",
  "ctrl+f": "right",
  "ctrl+left": "wordLeft",
  "alt+left": "wordLeft",
  "alt+b": "wordLeft",
  "ctrl+right": "wordRight",
  "alt+right": "wordRight",
  "alt+f": "wordRight",
  "home": "home",
  "ctrl+a": "home",
  "end": "end",
  "ctrl+e": "end",
  "up": "historyPrev",
  "down": "historyNext",
  "pageup": "scrollUp",
  "pagedown": "scrollDown",
  "ctrl+n": "nextWindow",
  "ctrl+p": "prevWindow",
  "ctrl+l": "redraw",
  "escape": "cancel",
  "ctrl+c": "quit",
};

/**
 * The table name of a decoded key ("ctrl+left", "alt+b", "enter"); undefined for text and
 * pastes, which are not bindings.
 *
 * @example
 * ```ts
 * import { keyName } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(keyName({ type: "key", name: "left", ctrl: true }), "ctrl+left");
 * assert.equal(keyName({ type: "ctrl", char: "w" }), "ctrl+w");
 * ```
 */
export function keyName(k: Key): string | undefined {
  switch (k.type) {
    case "ctrl":
      return `ctrl+${k.char}`;
    case "alt":
      return `alt+${k.char}`;
    case "key":
      return `${k.ctrl ? "ctrl+" : ""}${k.alt ? "alt+" : ""}${k.name}`;
    default:
      return undefined;
  }
}

/**
 * What a key does: an action from {@link KEYMAP}, a window number for Alt+digit, or
 * undefined when it is unbound.
 *
 * @example
 * ```ts
 * import { keyAction } from "./keymap.ts";
 * import assert from "node:assert/strict";
 * assert.equal(keyAction({ type: "alt", char: "3" }), 3);
 * assert.equal(keyAction({ type: "alt", char: "0" }), 10);
 * assert.equal(keyAction({ type: "key", name: "pageup" }), "scrollUp");
 * ```
 */
export function keyAction(k: Key): KeyAction | number | undefined {
  if (k.type === "alt" && /^[0-9]$/.test(k.char)) return k.char === "0" ? 10 : Number(k.char);
  const name = keyName(k);
  if (name === undefined) return undefined;
  // a modifier the table does not know falls back to the plain key (ctrl+alt+left = left)
  return KEYMAP[name] ?? (k.type === "key" ? KEYMAP[k.name] : undefined);
}
