/**
 * The full-screen chat application: wires an {@link IrcClient} to the windows, the line
 * editor and the screen, decodes keys, and restores the terminal on every way out.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { IrcClient } from "../client/irc_client.ts";
import {
  type Action,
  commandNames,
  helpLines,
  isSecretLine,
  parseInput,
} from "../shared/input_commands.ts";
import { ACTIVE_WINDOW, type ChatLine, type ClientEvent, STATUS_WINDOW } from "../client/events.ts";
import { SOFTWARE, VERSION } from "../version.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineEditor } from "./line_editor.ts";
import {
  memberPaneWidth,
  type RenderedLine,
  renderLine,
  renderMemberPane,
  renderPrompt,
  renderStatus,
  renderTopic,
} from "./render.ts";
import { RESTORE_SEQUENCE, Screen } from "./screen.ts";
import { type Window, WindowList } from "./windows.ts";

/** The narrowest terminal that shows a channel's member pane (it takes up to 21 columns). */
const MEMBER_PANE_COLS = 100;

/**
 * The terminal as the app needs it; the real one and test doubles implement it.
 *
 * @example
 * ```ts
 * import type { TerminalIO } from "./app.ts";
 * const term: TerminalIO = { write: () => {}, size: () => ({ cols: 80, rows: 24 }) };
 * ```
 */
export interface TerminalIO {
  /** Writes escape sequences and text. */
  write(s: string): void;
  /** The size in columns and rows. */
  size(): { cols: number; rows: number };
}

/**
 * Options of {@link TuiApp}.
 *
 * @example
 * ```ts
 * import type { TuiOptions } from "./app.ts";
 * const now: TuiOptions["now"] = () => new Date(2024, 0, 1);
 * ```
 */
export interface TuiOptions {
  /** The client (not yet started). */
  client: IrcClient;
  /** The terminal. */
  term: TerminalIO;
  /** The window to show first (normally the first channel). */
  initialWindow?: string;
  /** The clock (tests may fix it). */
  now?: () => Date;
}

const NETWORK_ACTIONS = new Set([
  "say",
  "action",
  "notice",
  "send",
  "raw",
  "nick",
  "join",
  "register",
  "login",
]);

/**
 * The chat UI. Feed it input with {@link TuiApp.feed}; it draws through the terminal.
 *
 * @example
 * ```ts
 * import { TuiApp } from "./app.ts";
 * import { IrcClient } from "../client/irc_client.ts";
 * const client = new IrcClient({ target: { host: "127.0.0.1", port: 6667, tls: false },
 *   nick: "ann", channels: ["#lobby"] });
 * const app = new TuiApp({ client, term: { write: () => {}, size: () => ({ cols: 80, rows: 24 }) } });
 * // app.start(); app.feed("hello\r"); await app.done;
 * ```
 */
export class TuiApp {
  readonly windows = new WindowList();
  readonly editor = new LineEditor();
  readonly #client: IrcClient;
  readonly #term: TerminalIO;
  readonly #keys = new KeyDecoder();
  readonly #now: () => Date;
  #screen: Screen;
  #cache = new WeakMap<ChatLine, RenderedLine>();
  /** The member pane is wanted (`/members` toggles it); shown in channels on wide screens. */
  #membersShown = true;
  #quitting = false;
  #doneResolve!: (code: number) => void;
  #clock: ReturnType<typeof setInterval> | undefined;
  #escTimer: ReturnType<typeof setTimeout> | undefined;
  #pendingFocus: string | undefined;
  /** A password is being typed (masked) for this account; Enter logs in. */
  #secretFor: string | undefined;
  /** Resolves with the exit code when the user quits. */
  readonly done: Promise<number>;

  constructor(opts: TuiOptions) {
    this.#client = opts.client;
    this.#term = opts.term;
    this.#now = opts.now ?? (() => new Date());
    const { cols, rows } = opts.term.size();
    this.#screen = new Screen((s) => this.#term.write(s), cols, rows);
    this.#pendingFocus = opts.initialWindow;
    this.done = new Promise((r) => this.#doneResolve = r);
    this.#client.onEvent = (e) => this.#onClientEvent(e);
  }

  /** Enters the full screen, draws, and starts the client. */
  start(): void {
    this.#screen.enter();
    this.#addLine({
      time: this.#now(),
      window: STATUS_WINDOW,
      kind: "info",
      text: `${SOFTWARE} ${VERSION}. Type /help for commands, Ctrl+C or /quit to leave.`,
    });
    this.redraw();
    this.#clock = setInterval(() => this.#drawBars(), 15000);
    this.#client.start();
  }

  /** Leaves the full screen (idempotent). */
  stopScreen(): void {
    if (this.#clock !== undefined) clearInterval(this.#clock);
    if (this.#escTimer !== undefined) clearTimeout(this.#escTimer);
    this.#clock = undefined;
    this.#escTimer = undefined;
    this.#screen.leave();
  }

  /** Handles a new terminal size. */
  resize(): void {
    const { cols, rows } = this.#term.size();
    if (cols === this.#screen.cols && rows === this.#screen.rows) return;
    this.#screen.resize(cols, rows);
    this.redraw();
  }

  /** Feeds decoded terminal input. */
  feed(input: string): void {
    for (const k of this.#keys.feed(input)) this.#onKey(k);
    if (this.#escTimer !== undefined) clearTimeout(this.#escTimer);
    this.#escTimer = undefined;
    if (this.#keys.pending) {
      this.#escTimer = setTimeout(() => {
        this.#escTimer = undefined;
        for (const k of this.#keys.flush()) this.#onKey(k);
      }, 50);
    }
  }

  /** Redraws the whole screen. */
  redraw(): void {
    const w = this.windows.current;
    const members = this.#paneFor(w) ? this.#client.rankedMembers(w.name) : [];
    const paneWidth = members.length > 0 ? memberPaneWidth(members) : 0;
    this.#screen.setPane(paneWidth);
    const { rows, scroll } = this.#screen.visibleRows(w.lines, (l) => this.#render(l), w.scroll);
    w.scroll = scroll;
    const prompt = this.#prompt();
    this.#screen.draw({
      topic: this.#topic(),
      rows,
      status: this.#status(),
      prompt,
      input: this.editor.view(this.#screen.inputWidth(prompt)),
      pane: paneWidth > 0
        ? renderMemberPane(members, paneWidth, this.#screen.msgHeight)
        : undefined,
    });
  }

  /** Quits: sends QUIT, stops the client, resolves {@link done}. */
  async quit(reason?: string): Promise<void> {
    if (this.#quitting) return;
    this.#quitting = true;
    this.#addLine({ time: this.#now(), window: ACTIVE_WINDOW, kind: "info", text: "Leaving…" });
    try {
      await this.#client.quit(reason ?? "Leaving");
    } finally {
      this.stopScreen();
      this.#doneResolve(0);
    }
  }

  // ------------------------------------------------------------------ drawing

  /** Whether a window shows the member pane: channels, when wanted and the screen is wide. */
  #paneFor(w: Window): boolean {
    return w.kind === "channel" && this.#membersShown && this.#screen.cols >= MEMBER_PANE_COLS;
  }

  #render(line: ChatLine): RenderedLine {
    let r = this.#cache.get(line);
    if (!r) {
      r = renderLine(line);
      this.#cache.set(line, r);
    }
    return r;
  }

  #prompt() {
    const label = this.#secretFor !== undefined
      ? `password for ${this.#secretFor}`
      : this.windows.current.name;
    return renderPrompt(label, Math.floor(this.#screen.cols / 3));
  }

  #status() {
    const c = this.#client;
    return renderStatus({
      now: this.#now(),
      nick: c.nick,
      server: c.serverLabel,
      state: c.state,
      lagMs: c.lagMs,
      windowNumber: this.windows.currentNumber,
      windowName: this.windows.current.name,
      activity: this.windows.activity(),
      scrolled: this.windows.current.scroll > 0,
    }, this.#screen.cols);
  }

  #topic() {
    const w = this.windows.current;
    const topic = w.kind === "channel"
      ? this.#client.channels.get(casefold(w.name))?.topic ?? ""
      : w.kind === "query"
      ? "private conversation"
      : `${SOFTWARE} ${VERSION} — ${this.#client.serverLabel}`;
    return renderTopic(w.name, topic, this.#screen.cols);
  }

  #drawBars(): void {
    if (this.#quitting) return;
    const prompt = this.#prompt();
    this.#screen.drawBars(
      this.#status(),
      prompt,
      this.editor.view(this.#screen.inputWidth(prompt)),
      this.#topic(),
    );
  }

  #drawInput(): void {
    const prompt = this.#prompt();
    this.#screen.drawInput(prompt, this.editor.view(this.#screen.inputWidth(prompt)));
  }

  // ------------------------------------------------------------------ events

  #onClientEvent(e: ClientEvent): void {
    switch (e.type) {
      case "line":
        this.#addLine(e.line);
        return;
      case "open": {
        const focus = e.focus ||
          (this.#pendingFocus !== undefined && casefold(this.#pendingFocus) === casefold(e.window));
        if (focus) this.#pendingFocus = undefined;
        const before = this.windows.current;
        this.windows.open(e.window, this.#client.isChannel(e.window) ? "channel" : "query", focus);
        if (this.windows.current !== before) this.redraw();
        else this.#drawBars();
        return;
      }
      case "close": {
        const before = this.windows.current;
        this.windows.close(e.window);
        if (this.windows.current !== before) this.redraw();
        else this.#drawBars();
        return;
      }
      case "rename":
        if (this.windows.rename(e.from, e.to)) this.#drawBars();
        return;
      case "state":
        this.#drawBars();
        return;
    }
  }

  #windowFor(line: ChatLine): Window {
    if (line.window === ACTIVE_WINDOW) return this.windows.current;
    const w = this.windows.find(line.window);
    if (w) return w;
    if (line.kind === "message" || line.kind === "action") {
      return this.windows.open(
        line.window,
        this.#client.isChannel(line.window) ? "channel" : "query",
        false,
      );
    }
    return this.windows.windows[0];
  }

  #addLine(line: ChatLine): void {
    const w = this.#windowFor(line);
    this.windows.add(w, line);
    if (this.#quitting && this.windows.current !== w) return;
    const bell = !!line.highlight || (w.kind === "query" && !line.self &&
      (line.kind === "message" || line.kind === "action"));
    const prompt = this.#prompt();
    const input = this.editor.view(this.#screen.inputWidth(prompt));
    if (w === this.windows.current && w.scroll === 0) {
      if (this.#paneFor(w)) {
        // the member pane must not scroll with the messages (and may have changed)
        this.redraw();
        if (bell) this.#term.write("\x07");
        return;
      }
      const rows = this.#screen.wrap(this.#render(line));
      this.#screen.append(rows, this.#status(), prompt, input, bell);
    } else {
      if (w === this.windows.current) w.scroll += this.#screen.wrap(this.#render(line)).length;
      this.#drawBars();
      if (bell) this.#term.write("\x07");
    }
  }

  #note(kind: "info" | "error", text: string): void {
    this.#addLine({ time: this.#now(), window: ACTIVE_WINDOW, kind, text });
  }

  // ------------------------------------------------------------------ input

  #onKey(k: Key): void {
    const ed = this.editor;
    switch (k.type) {
      case "text":
        ed.insert(k.text);
        this.#drawInput();
        return;
      case "paste":
        this.#paste(k.text);
        return;
      case "alt":
        if (/^[0-9]$/.test(k.char)) this.#focus(k.char === "0" ? 10 : Number(k.char));
        else if (k.char === "b") this.#edit(() => ed.wordLeft());
        else if (k.char === "f") this.#edit(() => ed.wordRight());
        return;
      case "ctrl":
        this.#onCtrl(k.char);
        return;
      case "key":
        break;
    }
    switch (k.name) {
      case "enter":
        this.#submit();
        return;
      case "tab":
        if (ed.complete((word, atStart) => this.#candidates(word, atStart))) this.#drawInput();
        return;
      case "backspace":
        return this.#edit(() => k.alt ? ed.deleteWordBack() : ed.backspace());
      case "delete":
        return this.#edit(() => ed.delete());
      case "left":
        return this.#edit(() => k.ctrl || k.alt ? ed.wordLeft() : ed.left());
      case "right":
        return this.#edit(() => k.ctrl || k.alt ? ed.wordRight() : ed.right());
      case "home":
        return this.#edit(() => ed.home());
      case "end":
        return this.#edit(() => ed.end());
      case "up":
        return this.#edit(() => ed.historyPrev());
      case "down":
        return this.#edit(() => ed.historyNext());
      case "pageup":
        return this.#scroll(+1);
      case "pagedown":
        return this.#scroll(-1);
      default:
        return;
    }
  }

  #onCtrl(c: string): void {
    const ed = this.editor;
    switch (c) {
      case "c":
        this.quit();
        return;
      case "a":
        return this.#edit(() => ed.home());
      case "e":
        return this.#edit(() => ed.end());
      case "b":
        return this.#edit(() => ed.left());
      case "f":
        return this.#edit(() => ed.right());
      case "d":
        return this.#edit(() => ed.delete());
      case "h":
        return this.#edit(() => ed.backspace());
      case "w":
        return this.#edit(() => ed.deleteWordBack());
      case "u":
        return this.#edit(() => ed.deleteToStart());
      case "k":
        return this.#edit(() => ed.deleteToEnd());
      case "l":
        this.redraw();
        return;
      case "n":
        this.windows.next();
        this.redraw();
        return;
      case "p":
        this.windows.prev();
        this.redraw();
        return;
      case "m":
      case "j":
        this.#submit();
        return;
    }
  }

  #edit(f: () => void): void {
    f();
    this.#drawInput();
  }

  #focus(n: number): void {
    if (this.windows.focus(n)) this.redraw();
  }

  #scroll(direction: number): void {
    const w = this.windows.current;
    const step = Math.max(1, Math.floor(this.#screen.msgHeight / 2));
    w.scroll = Math.max(0, w.scroll + direction * step);
    this.redraw();
  }

  #candidates(word: string, atStart: boolean): string[] {
    if (atStart && word.startsWith("/")) return commandNames();
    const w = this.windows.current;
    const nicks = w.kind === "channel" ? this.#client.nicksIn(w.name) : [];
    if (w.kind === "query") nicks.push(w.name);
    // channels are completed too, and our own nick comes last
    const own = this.#client.nick;
    const chans = [...this.#client.channels.values()].map((c) => c.name);
    const list = word.startsWith("#") ? chans : nicks.filter((n) => casefold(n) !== casefold(own));
    return word.startsWith("#") ? list : [...list, own];
  }

  #paste(text: string): void {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length === 1 || this.#secretFor !== undefined) {
      this.editor.insert(lines[0]);
      this.#drawInput();
      return;
    }
    // a multi-line paste is sent line by line, as if each were typed and entered
    for (let i = 0; i < lines.length; i++) {
      const isLast = i === lines.length - 1;
      if (isLast && lines[i] === "") break;
      this.editor.insert(lines[i]);
      if (!this.#submit()) break; // not sent: it stays in the editor
    }
    this.#drawInput();
  }

  #target(): string | undefined {
    const w = this.windows.current;
    return w.kind === "status" ? undefined : w.name;
  }

  /** Runs the input line; returns false when it had to stay in the editor. */
  #submit(): boolean {
    if (this.#secretFor !== undefined) return this.#submitSecret();
    const text = this.editor.text;
    const action = parseInput(text, { target: this.#target() });
    // a line with a password never goes into the input history
    const remember = !isSecretLine(text);
    if (action.kind === "none") {
      this.editor.submit(remember);
      this.#drawInput();
      return true;
    }
    if (NETWORK_ACTIONS.has(action.kind)) {
      if (!this.#client.perform(action)) {
        this.#note(
          "error",
          "Not connected right now: your line was kept. Press Enter again once reconnected.",
        );
        return false;
      }
      this.editor.submit(remember);
      this.#drawInput();
      return true;
    }
    this.editor.submit(remember);
    this.#local(action);
    this.#drawInput();
    return true;
  }

  /** Enter while the masked password prompt is up: log in, or cancel on an empty line. */
  #submitSecret(): boolean {
    const account = this.#secretFor!;
    const password = this.editor.submit(false);
    this.editor.masked = false;
    this.#secretFor = undefined;
    if (password === "") this.#note("info", "Login cancelled.");
    else if (!this.#client.perform({ kind: "login", account, password })) {
      this.#note("error", "Not connected right now; type /login again once reconnected.");
    }
    this.#drawInput();
    return true;
  }

  #local(action: Action): void {
    switch (action.kind) {
      case "loginPrompt":
        this.#secretFor = action.account ?? this.#client.nick;
        this.editor.masked = true;
        this.#note(
          "info",
          `Type the password for ${this.#secretFor} and press Enter (it is not shown; Enter alone cancels).`,
        );
        this.#drawInput();
        return;
      case "error":
        this.#note("error", action.text);
        return;
      case "help":
        for (const l of helpLines(action.topic)) this.#note("info", l);
        if (action.topic === undefined) {
          this.#note(
            "info",
            "Keys: Alt+1..9 or Ctrl+N/Ctrl+P switch windows, PgUp/PgDn scroll, Tab completes, Up/Down history, Ctrl+W/Ctrl+U delete, Ctrl+C quits.",
          );
        }
        return;
      case "members":
        this.#membersShown = !this.#membersShown;
        this.redraw();
        if (this.#membersShown && !this.#screen.hasPane) {
          this.#note(
            "info",
            `The member list shows beside channels when the terminal is ${MEMBER_PANE_COLS} columns or wider.`,
          );
        }
        return;
      case "clear":
        this.windows.current.lines.length = 0;
        this.windows.current.scroll = 0;
        this.redraw();
        return;
      case "window":
        if (action.which === "next") this.windows.next();
        else if (action.which === "prev") this.windows.prev();
        else if (!this.windows.focus(action.which)) {
          this.#note("error", `There is no window ${action.which}.`);
          return;
        }
        this.redraw();
        return;
      case "query": {
        this.windows.open(action.nick, "query", true);
        this.redraw();
        if (action.text !== undefined) {
          if (!this.#client.perform({ kind: "say", target: action.nick, text: action.text })) {
            this.editor.setText(action.text);
            this.#note("error", "Not connected right now: your text was kept.");
          }
        }
        return;
      }
      case "close": {
        const w = this.windows.current;
        if (w.kind === "status") {
          this.#note("error", "The status window cannot be closed.");
        } else if (w.kind === "channel" && this.#client.channels.has(casefold(w.name))) {
          if (
            !this.#client.perform({
              kind: "send",
              messages: [{ tags: {}, command: "PART", params: [w.name] }],
            })
          ) {
            this.windows.close(w.name);
            this.redraw();
          }
        } else {
          this.windows.close(w.name);
          this.redraw();
        }
        return;
      }
      case "quit":
        this.quit(action.reason);
        return;
    }
  }
}

/**
 * Options of {@link runTui}.
 *
 * @example
 * ```ts
 * import type { RunTuiOptions } from "./app.ts";
 * const window: RunTuiOptions["initialWindow"] = "#lobby";
 * ```
 */
export interface RunTuiOptions {
  /** The client, not yet started. */
  client: IrcClient;
  /** The window to show first. */
  initialWindow?: string;
}

/**
 * Runs the TUI on the real terminal (raw mode, resize handling) until the user quits;
 * the terminal is restored on every way out, errors included.
 *
 * @example
 * ```ts
 * import { runTui } from "./app.ts";
 * import { IrcClient } from "../client/irc_client.ts";
 * const client = new IrcClient({ target: { host: "127.0.0.1", port: 6667, tls: false },
 *   nick: "ann", channels: ["#lobby"] });
 * // Deno.exit(await runTui({ client, initialWindow: "#lobby" }));
 * ```
 */
export async function runTui(opts: RunTuiOptions): Promise<number> {
  const enc = new TextEncoder();
  const writeAll = (s: string) => {
    const bytes = enc.encode(s);
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  };
  const size = () => {
    try {
      const { columns, rows } = Deno.consoleSize();
      return { cols: columns || 80, rows: rows || 24 };
    } catch {
      return { cols: 80, rows: 24 };
    }
  };
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      writeAll(RESTORE_SEQUENCE);
    } catch {
      // the terminal is gone
    }
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // not a terminal any more
    }
  };
  const onError = (e: Event) => {
    restore();
    const reason = (e as ErrorEvent).error ?? (e as PromiseRejectionEvent).reason;
    console.error("chat-client: unexpected error:", reason);
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onError);

  const app = new TuiApp({ ...opts, term: { write: writeAll, size } });
  const signals: [Deno.Signal, () => void][] = [];
  const isWindows = Deno.build.os === "windows";
  let sizePoll: ReturnType<typeof setInterval> | undefined;
  try {
    Deno.stdin.setRaw(true);
    app.start();
    if (!isWindows) {
      const onWinch = () => app.resize();
      const onTerm = () => app.quit("Terminated");
      for (
        const [sig, f] of [["SIGWINCH", onWinch], ["SIGTERM", onTerm], ["SIGHUP", onTerm]] as [
          Deno.Signal,
          () => void,
        ][]
      ) {
        Deno.addSignalListener(sig, f);
        signals.push([sig, f]);
      }
    } else {
      // no SIGWINCH on Windows: look at the console size now and then
      sizePoll = setInterval(() => app.resize(), 500);
    }
    const reader = (async () => {
      const decoder = new TextDecoder();
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await Deno.stdin.read(buf);
        if (n === null) break;
        app.feed(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
      await app.quit("End of input");
    })();
    reader.catch(() => app.quit());
    return await app.done;
  } finally {
    if (sizePoll !== undefined) clearInterval(sizePoll);
    for (const [sig, f] of signals) Deno.removeSignalListener(sig, f);
    app.stopScreen();
    restore();
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onError);
  }
}
