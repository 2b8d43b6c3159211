/**
 * Decoding terminal input (raw mode) into key presses: printable text, Enter, arrows,
 * Home/End, Ctrl+letter, Alt+key, and bracketed paste. Works with the VT sequences of
 * xterm-like terminals and of Windows 10+ consoles with virtual terminal input.
 *
 * @module
 */

/**
 * Named keys.
 *
 * @example
 * ```ts
 * import type { KeyName } from "./keys.ts";
 * const k: KeyName = "pageup";
 * ```
 */
export type KeyName =
  | "enter"
  | "tab"
  | "backtab"
  | "backspace"
  | "delete"
  | "insert"
  | "left"
  | "right"
  | "up"
  | "down"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "escape";

/**
 * One decoded input event.
 *
 * @example
 * ```ts
 * import { type Key, KeyDecoder } from "./keys.ts";
 * const keys: Key[] = new KeyDecoder().feed("\x1b[A");
 * // [{ type: "key", name: "up" }]
 * ```
 */
export type Key =
  | { type: "text"; text: string }
  | { type: "paste"; text: string }
  | { type: "key"; name: KeyName; ctrl?: boolean; alt?: boolean; shift?: boolean }
  | { type: "ctrl"; char: string }
  | { type: "alt"; char: string };

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

const CSI_LETTERS: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  Z: "backtab",
};

const CSI_TILDE: Record<string, KeyName> = {
  "1": "home",
  "7": "home",
  "4": "end",
  "8": "end",
  "2": "insert",
  "3": "delete",
  "5": "pageup",
  "6": "pagedown",
};

/**
 * A stateful decoder: feed it decoded input text as it arrives; an escape sequence split
 * across reads is held until it completes (or until {@link KeyDecoder.flush}).
 *
 * @example
 * ```ts
 * import { KeyDecoder } from "./keys.ts";
 * const d = new KeyDecoder();
 * d.feed("hi\x1b[D\x17\r");
 * // [{ type: "text", text: "hi" }, { type: "key", name: "left" },
 * //  { type: "ctrl", char: "w" }, { type: "key", name: "enter" }]
 * ```
 */
export class KeyDecoder {
  #pending = "";
  #paste: string | undefined;

  /** Whether an incomplete sequence is held (call flush() after a short pause). */
  get pending(): boolean {
    return this.#pending !== "" && this.#paste === undefined;
  }

  /** Decodes the next piece of input. */
  feed(input: string): Key[] {
    const keys: Key[] = [];
    let s = this.#pending + input;
    this.#pending = "";
    let text = "";
    const flushText = () => {
      if (text !== "") keys.push({ type: "text", text });
      text = "";
    };
    let i = 0;
    while (i < s.length) {
      if (this.#paste !== undefined) {
        const end = s.indexOf(PASTE_END, i);
        if (end === -1) {
          // keep a possible partial end marker for the next read
          let keep = 0;
          for (let k = Math.min(PASTE_END.length - 1, s.length - i); k > 0; k--) {
            if (PASTE_END.startsWith(s.slice(s.length - k))) {
              keep = k;
              break;
            }
          }
          this.#paste += s.slice(i, s.length - keep);
          this.#pending = s.slice(s.length - keep);
          return keys;
        }
        this.#paste += s.slice(i, end);
        keys.push({ type: "paste", text: this.#paste });
        this.#paste = undefined;
        i = end + PASTE_END.length;
        continue;
      }
      const ch = s[i];
      const c = s.charCodeAt(i);
      if (ch === "\x1b") {
        flushText();
        const r = this.#escape(s, i);
        if (r === undefined) {
          this.#pending = s.slice(i);
          return keys;
        }
        if (r.paste) {
          this.#paste = "";
          i = r.next;
          // the rest is handled by the paste branch
          s = s.slice(i);
          i = 0;
          continue;
        }
        if (r.key) keys.push(r.key);
        i = r.next;
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        flushText();
        keys.push({ type: "key", name: "enter" });
        i += ch === "\r" && s[i + 1] === "\n" ? 2 : 1;
        continue;
      }
      if (ch === "\t") {
        flushText();
        keys.push({ type: "key", name: "tab" });
        i++;
        continue;
      }
      if (c === 0x7f || c === 0x08) {
        flushText();
        keys.push({ type: "key", name: "backspace" });
        i++;
        continue;
      }
      if (c >= 1 && c <= 26) {
        flushText();
        keys.push({ type: "ctrl", char: String.fromCharCode(c + 96) });
        i++;
        continue;
      }
      if (c < 32 || (c >= 0x80 && c <= 0x9f)) {
        i++; // other controls: ignored
        continue;
      }
      text += ch;
      i++;
    }
    flushText();
    return keys;
  }

  /** Resolves a held lone ESC as the Escape key (after a pause in the input). */
  flush(): Key[] {
    if (this.#pending === "" || this.#paste !== undefined) return [];
    const p = this.#pending;
    this.#pending = "";
    if (p === "\x1b") return [{ type: "key", name: "escape" }];
    return []; // an incomplete sequence that never completed: dropped
  }

  #escape(
    s: string,
    i: number,
  ): { key?: Key; next: number; paste?: boolean } | undefined {
    if (i + 1 >= s.length) return undefined;
    const n = s[i + 1];
    if (n === "[") {
      let j = i + 2;
      while (j < s.length && /[0-9;:<=>?]/.test(s[j])) j++;
      if (j >= s.length) return undefined;
      const params = s.slice(i + 2, j);
      const final = s[j];
      const next = j + 1;
      if (s.slice(i, next) === PASTE_START) return { next, paste: true };
      const parts = params.split(";");
      const mod = Number(parts[1] ?? "1") - 1;
      const mods = mod > 0
        ? { shift: (mod & 1) !== 0, alt: (mod & 2) !== 0, ctrl: (mod & 4) !== 0 }
        : {};
      if (final === "~") {
        const name = CSI_TILDE[parts[0]];
        return { key: name ? { type: "key", name, ...mods } : undefined, next };
      }
      const name = CSI_LETTERS[final];
      return { key: name ? { type: "key", name, ...mods } : undefined, next };
    }
    if (n === "O") {
      if (i + 2 >= s.length) return undefined;
      const name = CSI_LETTERS[s[i + 2]];
      return { key: name ? { type: "key", name } : undefined, next: i + 3 };
    }
    if (n === "\x1b") return { key: { type: "key", name: "escape" }, next: i + 1 };
    if (n === "\x7f" || n === "\x08") {
      return { key: { type: "key", name: "backspace", alt: true }, next: i + 2 };
    }
    if (n === "\r") return { key: { type: "key", name: "enter", alt: true }, next: i + 2 };
    // Alt+key
    const cp = s.codePointAt(i + 1)!;
    const len = cp > 0xffff ? 2 : 1;
    return { key: { type: "alt", char: s.slice(i + 1, i + 1 + len) }, next: i + 1 + len };
  }
}
