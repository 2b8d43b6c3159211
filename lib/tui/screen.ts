/**
 * The full-screen layout and the escape sequences that draw it:
 *
 * ```
 * row 1        topic bar
 * rows 2..R-2  messages (a scroll region: new lines scroll only this part)
 * row R-1      status bar
 * row R        input line
 * ```
 *
 * A channel window on a wide terminal also shows its members in a pane on the right of the
 * message rows; while it is shown, new lines redraw the message area instead of scrolling
 * it (a scroll region would drag the pane along).
 *
 * Every update is built as one string and written at once, and always ends with the
 * cursor back in the input line, so incoming text never lands in what the user types.
 *
 * @module
 */

import { type EditorView } from "./line_editor.ts";
import { type Span, spansToAnsi, textWidth, wrapSpans } from "./width.ts";
import type { RenderedLine } from "./render.ts";

const ESC = "\x1b";
const CSI = ESC + "[";

/**
 * Escape sequences that put the terminal back as it was (used on every exit path).
 *
 * @example
 * ```ts
 * import { RESTORE_SEQUENCE } from "./screen.ts";
 * Deno.stdout.writeSync(new TextEncoder().encode(RESTORE_SEQUENCE));
 * ```
 */
export const RESTORE_SEQUENCE = `${CSI}r${CSI}0m${CSI}?2004l${CSI}?25h${CSI}?1049l`;

/** Moves the cursor to row `r`, column `c` (1-based). */
function cup(r: number, c: number): string {
  return `${CSI}${r};${c}H`;
}

/**
 * Geometry of the screen and the sequences to draw its parts.
 *
 * @example
 * ```ts
 * import { Screen } from "./screen.ts";
 * const out: string[] = [];
 * const screen = new Screen((s) => out.push(s), 80, 24);
 * screen.enter();
 * screen.leave();
 * ```
 */
export class Screen {
  #write: (s: string) => void;
  #cols: number;
  #rows: number;
  /** Columns of the member pane (0 = none), not counting its separator. */
  #pane = 0;

  constructor(write: (s: string) => void, cols: number, rows: number) {
    this.#write = write;
    this.#cols = Math.max(10, cols);
    this.#rows = Math.max(4, rows);
  }

  /** Columns. */
  get cols(): number {
    return this.#cols;
  }
  /** Rows. */
  get rows(): number {
    return this.#rows;
  }
  /** First row of the message area. */
  get msgTop(): number {
    return this.#rows >= 6 ? 2 : 1;
  }
  /** Last row of the message area. */
  get msgBottom(): number {
    return this.#rows - 2;
  }
  /** Rows in the message area. */
  get msgHeight(): number {
    return this.msgBottom - this.msgTop + 1;
  }
  /** Columns for messages: the screen less the member pane and its separator. */
  get msgWidth(): number {
    return this.#pane > 0 ? this.#cols - this.#pane - 1 : this.#cols;
  }
  /** Whether a member pane is shown. */
  get hasPane(): boolean {
    return this.#pane > 0;
  }

  /** Shows a member pane of `width` columns beside the messages (0 hides it). */
  setPane(width: number): void {
    this.#pane = width > 0 && width < this.#cols - 1 ? width : 0;
  }

  /** Whether a topic bar is shown (not on tiny terminals). */
  get hasTopic(): boolean {
    return this.msgTop === 2;
  }

  /** Switches to the alternate screen, enables bracketed paste, sets the scroll region. */
  enter(): void {
    this.#write(`${CSI}?1049h${CSI}?2004h${CSI}H${CSI}2J${this.#region()}`);
  }

  /** Restores the terminal: scroll region, colours, paste mode, cursor, main screen. */
  leave(): void {
    this.#write(RESTORE_SEQUENCE);
  }

  /** Adopts a new terminal size (call {@link draw} afterwards). */
  resize(cols: number, rows: number): void {
    this.#cols = Math.max(10, cols);
    this.#rows = Math.max(4, rows);
    this.#write(`${CSI}2J${this.#region()}`);
  }

  #region(): string {
    return `${CSI}${this.msgTop};${this.msgBottom}r`;
  }

  /** Wraps rendered lines to the screen width. */
  wrap(line: RenderedLine): Span[][] {
    const rows = wrapSpans(line.spans, this.msgWidth, line.indent);
    // a reply's quote of its original: one row above, cut to the width
    if (line.above) rows.unshift(wrapSpans(line.above, this.msgWidth)[0] ?? []);
    return rows;
  }

  /**
   * The rows that fill the message area for a window's lines, scrolled back by `scroll`
   * rows; returns the rows and the scroll actually possible. Only the lines that show are
   * rendered.
   */
  visibleRows<T>(
    lines: readonly T[],
    render: (line: T) => RenderedLine,
    scroll: number,
  ): { rows: Span[][]; scroll: number } {
    const need = this.msgHeight + Math.max(0, scroll);
    const rows: Span[][] = [];
    for (let i = lines.length - 1; i >= 0 && rows.length < need; i--) {
      rows.unshift(...this.wrap(render(lines[i])));
    }
    const maxScroll = Math.max(0, rows.length - this.msgHeight);
    const s = Math.min(Math.max(0, scroll), maxScroll);
    const end = rows.length - s;
    return { rows: rows.slice(Math.max(0, end - this.msgHeight), end), scroll: s };
  }

  /** Draws everything. */
  draw(parts: {
    topic: Span[];
    rows: Span[][];
    status: Span[];
    prompt: Span[];
    input: EditorView;
    /** Rows of the member pane, each exactly its width (when a pane is set). */
    pane?: Span[][];
  }): void {
    let out = `${CSI}?25l${this.#region()}`;
    if (this.hasTopic) out += cup(1, 1) + CSI + "2K" + spansToAnsi(parts.topic);
    const pad = this.msgHeight - parts.rows.length;
    const sep = this.msgWidth + 1;
    for (let i = 0; i < this.msgHeight; i++) {
      out += cup(this.msgTop + i, 1) + CSI + "2K";
      if (i >= pad) out += spansToAnsi(parts.rows[i - pad]);
      if (this.#pane > 0) {
        out += cup(this.msgTop + i, sep) + `${CSI}0;2m│${CSI}0m`;
        const row = parts.pane?.[i];
        if (row) out += spansToAnsi(row);
      }
    }
    out += this.#statusSeq(parts.status) + this.#inputSeq(parts.prompt, parts.input);
    this.#write(out + `${CSI}?25h`);
  }

  /**
   * Appends rows at the bottom of the message area, scrolling only that area, then puts
   * the status bar and the input line back (with an optional bell).
   */
  append(rows: Span[][], status: Span[], prompt: Span[], input: EditorView, bell = false): void {
    let out = `${CSI}?25l` + cup(this.msgBottom, 1);
    for (const row of rows) out += "\r\n" + CSI + "2K" + spansToAnsi(row);
    out += this.#statusSeq(status) + this.#inputSeq(prompt, input);
    this.#write(out + `${CSI}?25h` + (bell ? "\x07" : ""));
  }

  /** Redraws the status bar and the input line only. */
  drawBars(status: Span[], prompt: Span[], input: EditorView, topic?: Span[]): void {
    let out = `${CSI}?25l`;
    if (topic && this.hasTopic) out += cup(1, 1) + CSI + "2K" + spansToAnsi(topic);
    this.#write(out + this.#statusSeq(status) + this.#inputSeq(prompt, input) + `${CSI}?25h`);
  }

  /** Redraws the input line only. */
  drawInput(prompt: Span[], input: EditorView): void {
    this.#write(this.#inputSeq(prompt, input));
  }

  /** The columns left for the editor after the prompt. */
  inputWidth(prompt: Span[]): number {
    return Math.max(2, this.#cols - promptWidth(prompt) - 1);
  }

  #statusSeq(status: Span[]): string {
    return cup(this.#rows - 1, 1) + CSI + "2K" + spansToAnsi(status);
  }

  #inputSeq(prompt: Span[], input: EditorView): string {
    const pw = promptWidth(prompt);
    return cup(this.#rows, 1) + CSI + "2K" + spansToAnsi(prompt) + input.text +
      cup(this.#rows, pw + input.cursorCol + 1);
  }
}

function promptWidth(prompt: Span[]): number {
  return prompt.reduce((n, s) => n + textWidth(s.text), 0);
}
