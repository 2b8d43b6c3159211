/**
 * The input line: a single-line editor over grapheme clusters with cursor movement,
 * word and line deletion, history, Tab completion, and a horizontally scrolled view that
 * measures wide characters correctly.
 *
 * @module
 */

import { graphemes, textWidth } from "./width.ts";

/**
 * Supplies completion candidates for the word before the cursor.
 *
 * @example
 * ```ts
 * import { type CompletionSource, LineEditor } from "./line_editor.ts";
 * const nicks: CompletionSource = () => ["alice", "bob"];
 * const ed = new LineEditor();
 * ed.insert("al");
 * ed.complete(nicks); // ed.text === "alice: "
 * ```
 */
export type CompletionSource = (word: string, atLineStart: boolean) => string[];

interface CompletionState {
  start: number;
  matches: string[];
  index: number;
  insertedLen: number;
}

/**
 * What the input line shows: the visible text and where the cursor is in it.
 *
 * @example
 * ```ts
 * import { type EditorView, LineEditor } from "./line_editor.ts";
 * const v: EditorView = new LineEditor().view(40); // { text: "", cursorCol: 0 }
 * ```
 */
export interface EditorView {
  /** The visible slice of the line. */
  text: string;
  /** The cursor's column within the visible slice (0-based). */
  cursorCol: number;
}

/**
 * A line editor.
 *
 * @example
 * ```ts
 * import { LineEditor } from "./line_editor.ts";
 * const ed = new LineEditor();
 * ed.insert("hello world");
 * ed.deleteWordBack();
 * ed.text; // "hello "
 * ed.submit(); // "hello " (and it is now in the history)
 * ```
 */
export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  #history: string[] = [];
  #histPos = 0;
  #draft = "";
  #scroll = 0;
  #completion: CompletionState | undefined;
  readonly #maxHistory: number;
  /**
   * Secret input (a password): shown as `*`, never completed, never kept in the history,
   * and the history is not browsed into it.
   */
  masked = false;

  constructor(maxHistory = 500) {
    this.#maxHistory = maxHistory;
  }

  /** The whole line. */
  get text(): string {
    return this.#chars.join("");
  }
  /** The cursor position in grapheme clusters from the start. */
  get cursor(): number {
    return this.#cursor;
  }
  /** Past lines, oldest first. */
  get history(): readonly string[] {
    return this.#history;
  }

  /** Replaces the line and puts the cursor at its end. */
  setText(text: string): void {
    this.#chars = graphemes(text);
    this.#cursor = this.#chars.length;
    this.#completion = undefined;
  }

  /** Inserts text at the cursor (newlines and tabs become spaces). */
  insert(text: string): void {
    const clean = text.replace(/[\r\n\t]/g, " ");
    // re-segment around the cursor so combining marks join their base character
    const before = this.#chars.slice(0, this.#cursor).join("") + clean;
    const after = this.#chars.slice(this.#cursor).join("");
    const beforeCount = graphemes(before).length;
    this.#chars = graphemes(before + after);
    this.#cursor = Math.min(this.#chars.length, beforeCount);
    this.#completion = undefined;
  }

  /** Moves one character left. */
  left(): void {
    if (this.#cursor > 0) this.#cursor--;
    this.#completion = undefined;
  }
  /** Moves one character right. */
  right(): void {
    if (this.#cursor < this.#chars.length) this.#cursor++;
    this.#completion = undefined;
  }
  /** Moves to the start of the line. */
  home(): void {
    this.#cursor = 0;
    this.#completion = undefined;
  }
  /** Moves to the end of the line. */
  end(): void {
    this.#cursor = this.#chars.length;
    this.#completion = undefined;
  }
  /** Moves to the start of the previous word. */
  wordLeft(): void {
    this.#cursor = this.#wordStart(this.#cursor);
    this.#completion = undefined;
  }
  /** Moves past the end of the next word. */
  wordRight(): void {
    let i = this.#cursor;
    while (i < this.#chars.length && this.#chars[i] === " ") i++;
    while (i < this.#chars.length && this.#chars[i] !== " ") i++;
    this.#cursor = i;
    this.#completion = undefined;
  }
  /** Deletes the character before the cursor. */
  backspace(): void {
    if (this.#cursor === 0) return;
    this.#chars.splice(this.#cursor - 1, 1);
    this.#cursor--;
    this.#completion = undefined;
  }
  /** Deletes the character under the cursor. */
  delete(): void {
    if (this.#cursor >= this.#chars.length) return;
    this.#chars.splice(this.#cursor, 1);
    this.#completion = undefined;
  }
  /** Deletes the word before the cursor and the spaces after it (Ctrl+W). */
  deleteWordBack(): void {
    const start = this.#wordStart(this.#cursor);
    this.#chars.splice(start, this.#cursor - start);
    this.#cursor = start;
    this.#completion = undefined;
  }
  /** Deletes from the start of the line to the cursor (Ctrl+U). */
  deleteToStart(): void {
    this.#chars.splice(0, this.#cursor);
    this.#cursor = 0;
    this.#completion = undefined;
  }
  /** Deletes from the cursor to the end of the line (Ctrl+K). */
  deleteToEnd(): void {
    this.#chars.splice(this.#cursor);
    this.#completion = undefined;
  }

  #wordStart(from: number): number {
    let i = from;
    while (i > 0 && this.#chars[i - 1] === " ") i--;
    while (i > 0 && this.#chars[i - 1] !== " ") i--;
    return i;
  }

  /** Shows the previous history entry (Up); the unfinished line is kept as a draft. */
  historyPrev(): void {
    if (this.masked || this.#histPos === 0) return;
    if (this.#histPos === this.#history.length) this.#draft = this.text;
    this.#histPos--;
    this.setText(this.#history[this.#histPos]);
  }
  /** Shows the next history entry, or the draft after the newest (Down). */
  historyNext(): void {
    if (this.masked || this.#histPos >= this.#history.length) return;
    this.#histPos++;
    this.setText(
      this.#histPos === this.#history.length ? this.#draft : this.#history[this.#histPos],
    );
  }

  /**
   * Returns the line, adds it to the history (unless `remember` is false or the editor is
   * masked) and clears the editor.
   */
  submit(remember = true): string {
    const text = this.text;
    if (
      remember && !this.masked && text.trim() !== "" &&
      this.#history[this.#history.length - 1] !== text
    ) {
      this.#history.push(text);
      if (this.#history.length > this.#maxHistory) this.#history.shift();
    }
    this.#histPos = this.#history.length;
    this.#draft = "";
    this.#chars = [];
    this.#cursor = 0;
    this.#scroll = 0;
    this.#completion = undefined;
    return text;
  }

  /**
   * Completes the word before the cursor (Tab). Pressing it again cycles through the
   * matches. A nick completed at the start of the line gets ": " after it, anything else a
   * space. Returns false when nothing matched.
   */
  complete(source: CompletionSource): boolean {
    if (this.masked) return false;
    let st = this.#completion;
    if (st === undefined) {
      const start = this.#wordStartNoSpaces(this.#cursor);
      const word = this.#chars.slice(start, this.#cursor).join("");
      const atStart = start === 0;
      const lower = word.toLowerCase();
      const matches = source(word, atStart).filter((c) => c.toLowerCase().startsWith(lower));
      if (matches.length === 0) return false;
      const suffix = atStart && !word.startsWith("/") ? ": " : " ";
      st = {
        start,
        matches: matches.map((m) => m + suffix),
        index: 0,
        insertedLen: this.#cursor - start,
      };
    } else {
      st.index = (st.index + 1) % st.matches.length;
    }
    const ins = graphemes(st.matches[st.index]);
    this.#chars.splice(st.start, st.insertedLen, ...ins);
    this.#cursor = st.start + ins.length;
    st.insertedLen = ins.length;
    this.#completion = st;
    return true;
  }

  #wordStartNoSpaces(from: number): number {
    let i = from;
    while (i > 0 && this.#chars[i - 1] !== " ") i--;
    return i;
  }

  /**
   * The part of the line that fits in `width` columns, scrolled so the cursor is visible,
   * and the cursor's column in it.
   */
  view(width: number): EditorView {
    const w = Math.max(2, width);
    const widths = this.#chars.map((g) => this.masked ? 1 : textWidth(g));
    if (this.#cursor < this.#scroll) this.#scroll = this.#cursor;
    const span = (a: number, b: number) => {
      let s = 0;
      for (let i = a; i < b; i++) s += widths[i];
      return s;
    };
    // keep one column free for the cursor at the end
    while (this.#scroll < this.#cursor && span(this.#scroll, this.#cursor) > w - 1) this.#scroll++;
    // scroll back when the line got shorter and more of it would fit
    while (this.#scroll > 0 && span(this.#scroll - 1, this.#chars.length) <= w - 1) this.#scroll--;
    let text = "";
    let used = 0;
    for (let i = this.#scroll; i < this.#chars.length; i++) {
      if (used + widths[i] > w) break;
      text += this.masked ? "*" : this.#chars[i];
      used += widths[i];
    }
    return { text, cursorCol: span(this.#scroll, this.#cursor) };
  }
}
