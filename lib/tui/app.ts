/**
 * The full-screen chat application: wires an {@link IrcClient} to the windows, the line
 * editor and the screen. Keys are bound in keymap.ts, local commands live in
 * local_commands.ts, and the real terminal is driven by terminal.ts.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { IrcClient } from "../client/irc_client.ts";
import { commandNames, isSecretLine, parseInput } from "../shared/input_commands.ts";
import { modernCommandNames, parseModernCommand } from "../shared/modern_commands.ts";
import { ACTIVE_WINDOW, type ChatLine, type ClientEvent, STATUS_WINDOW } from "../client/events.ts";
import { SOFTWARE, VERSION } from "../version.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { type KeyAction, keyAction } from "./keymap.ts";
import { type LocalHost, MEMBER_PANE_COLS, runLocal } from "./local_commands.ts";
import { LineEditor } from "./line_editor.ts";
import {
  MARKER_LINE,
  memberPaneWidth,
  type RenderedLine,
  renderLine,
  renderMemberPane,
  renderPrompt,
  renderStatus,
  renderTopic,
} from "./render.ts";
import { Screen } from "./screen.ts";
import { type Window, WindowList } from "./windows.ts";

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

/** Pastes of more lines than this are sent only after a y. */
const PASTE_ASK_LINES = 5;

/** Lines asked for per PgUp at the top of a window. */
const OLDER_PAGE = 50;

/** How long a request for older lines may stay unanswered before PgUp asks again. */
const OLDER_PATIENCE_MS = 10_000;

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
  /** A long paste waiting for y/n before it is sent. */
  #pendingPaste: string[] | undefined;
  /** The pending paste goes as this many multiline messages (undefined: line by line). */
  #pendingBatches: number | undefined;
  /** An upload in progress, as the status bar shows it. */
  #upload: string | undefined;
  /** Resolves with the exit code when the user quits. */
  readonly done: Promise<number>;
  readonly #local: LocalHost = this.#localHost();

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
    const { rows, scroll } = this.#screen.visibleRows(
      this.#linesOf(w),
      (l) => this.#render(l),
      w.scroll,
    );
    w.scroll = scroll;
    this.#markSeen(w);
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
      const w = line.replyTo !== undefined
        ? (this.windows.find(line.window) ?? this.windows.current)
        : undefined;
      r = renderLine(line, w && this.windows.byMsgid(w, line.replyTo!));
      this.#cache.set(line, r);
    }
    return r;
  }

  /** A window's lines as drawn: with the "new" marker line above the first unread one. */
  #linesOf(w: Window): readonly ChatLine[] {
    const at = w.markerShown ? this.windows.markerIndex(w) : -1;
    if (at === -1) return w.lines;
    return [...w.lines.slice(0, at), MARKER_LINE, ...w.lines.slice(at)];
  }

  /** The user sees the newest lines of a window: tell the server (draft/read-marker). */
  #markSeen(w: Window): void {
    if (w !== this.windows.current || w.scroll > 0 || this.#quitting) return;
    if (w.kind !== "channel" && w.kind !== "query") return;
    const newest = this.windows.newestStamped(w);
    if (newest) this.#client.markRead(w.name, newest.time);
  }

  /** A line changed in place (deleted, reacted to): draw it again if it shows. */
  #changed(w: Window, line: ChatLine | undefined): void {
    if (!line) return;
    this.#cache.delete(line);
    // replies quoting it are drawn again too
    for (const l of w.lines) {
      if (l.replyTo !== undefined && l.replyTo === line.msgid) this.#cache.delete(l);
    }
    if (w === this.windows.current) this.redraw();
  }

  #prompt() {
    const cols = Math.floor(this.#screen.cols / 3);
    if (this.#pendingPaste !== undefined) {
      // a question must be read whole, even on a narrow terminal
      const ask = this.#pendingBatches !== undefined
        ? `send ${this.#pendingPaste.length} lines as ${this.#pendingBatches} messages? y/n`
        : `send ${this.#pendingPaste.length} lines? y/n`;
      return renderPrompt(ask, Math.max(cols, ask.length + 3));
    }
    const label = this.#secretFor !== undefined
      ? `password for ${this.#secretFor}`
      : this.windows.current.name;
    return renderPrompt(label, cols);
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
      online: c.notifyList.filter((e) => e.online).map((e) => e.nick),
      upload: this.#upload,
    }, this.#screen.cols);
  }

  #topic() {
    const w = this.windows.current;
    const topic = w.kind === "channel"
      ? this.#client.channels.get(casefold(w.name))?.topic ?? ""
      : w.kind === "query"
      ? "private conversation"
      : w.kind === "search"
      ? "search results (/search words)"
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
        const isChannel = this.#client.isChannel(e.window);
        const known = this.windows.find(e.window) !== undefined;
        this.windows.open(e.window, isChannel ? "channel" : "query", focus);
        // channels get their read marker on join; a private conversation asks
        if (!known && !isChannel) this.#client.askMarkRead(e.window);
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
        // a member's status (away, op) shows in the pane
        if (this.#paneFor(this.windows.current)) this.redraw();
        else this.#drawBars();
        return;
      case "older":
        this.#onOlder(e.window, e.lines);
        return;
      case "redact": {
        const w = this.windows.find(e.window);
        if (w) this.#changed(w, this.windows.redact(w, e.msgid));
        return;
      }
      case "react": {
        const w = this.windows.find(e.window);
        if (w) this.#changed(w, this.windows.react(w, e.msgid, e.nick, e.reaction, e.id));
        return;
      }
      case "markread": {
        const w = this.windows.find(e.window);
        if (!w) return;
        this.windows.setReadMarker(w, e.time);
        if (w === this.windows.current) this.redraw();
        else this.#drawBars();
        return;
      }
      case "search":
        this.#onSearch(e.query, e.lines);
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
    // a line the server replays after a reconnect is already on screen
    if (!this.windows.add(w, line)) return;
    if (this.#quitting && this.windows.current !== w) return;
    const bell = !!line.highlight || (w.kind === "query" && !line.self &&
      (line.kind === "message" || line.kind === "action"));
    const prompt = this.#prompt();
    const input = this.editor.view(this.#screen.inputWidth(prompt));
    if (w === this.windows.current && w.scroll === 0) {
      // the first unread line: the marker goes above it, which appending cannot draw
      const first = w.markerShown && this.windows.markerIndex(w) === w.lines.length - 1;
      if (this.#paneFor(w) || first) {
        // the member pane must not scroll with the messages (and may have changed)
        this.redraw();
        if (bell) this.#term.write("\x07");
        return;
      }
      const rows = this.#screen.wrap(this.#render(line));
      this.#screen.append(rows, this.#status(), prompt, input, bell);
      this.#markSeen(w);
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
    if (this.#pendingPaste !== undefined) {
      this.#confirmPaste(k.type === "text" && k.text.toLowerCase() === "y");
      return;
    }
    if (k.type === "text") {
      this.editor.insert(k.text);
      this.#drawInput();
      return;
    }
    if (k.type === "paste") {
      this.#paste(k.text);
      return;
    }
    const action = keyAction(k);
    if (typeof action === "number") this.#focus(action);
    else if (action !== undefined) this.#keyActions[action]();
  }

  /** What each {@link KeyAction} does. */
  readonly #keyActions: Record<KeyAction, () => void> = {
    submit: () => {
      this.#submit();
    },
    complete: () => {
      const ed = this.editor;
      if (ed.complete((word, atStart) => this.#candidates(word, atStart))) this.#drawInput();
    },
    backspace: () => this.#edit(() => this.editor.backspace()),
    deleteWordBack: () => this.#edit(() => this.editor.deleteWordBack()),
    delete: () => this.#edit(() => this.editor.delete()),
    deleteToStart: () => this.#edit(() => this.editor.deleteToStart()),
    deleteToEnd: () => this.#edit(() => this.editor.deleteToEnd()),
    left: () => this.#edit(() => this.editor.left()),
    right: () => this.#edit(() => this.editor.right()),
    wordLeft: () => this.#edit(() => this.editor.wordLeft()),
    wordRight: () => this.#edit(() => this.editor.wordRight()),
    home: () => this.#edit(() => this.editor.home()),
    end: () => this.#edit(() => this.editor.end()),
    historyPrev: () => this.#edit(() => this.editor.historyPrev()),
    historyNext: () => this.#edit(() => this.editor.historyNext()),
    scrollUp: () => this.#scroll(+1),
    scrollDown: () => this.#scroll(-1),
    nextWindow: () => {
      this.windows.next();
      this.redraw();
    },
    prevWindow: () => {
      this.windows.prev();
      this.redraw();
    },
    redraw: () => this.redraw(),
    cancel: () => {},
    quit: () => {
      this.quit();
    },
  };

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
    const wanted = Math.max(0, w.scroll + direction * step);
    w.scroll = wanted;
    this.redraw();
    // PgUp with nothing more above: ask the server for what came before
    if (direction > 0 && w.scroll < wanted) this.#fetchOlder(w);
  }

  /** Asks for the lines before the oldest one a window shows (CHATHISTORY BEFORE). */
  #fetchOlder(w: Window): void {
    if (w.kind === "status" || w.historyExhausted) return;
    // one request at a time, unless the last one went unanswered
    if (Date.now() - w.loadingOlder < OLDER_PATIENCE_MS) return;
    if (!this.#client.hasHistory) return;
    // the oldest line the server sent (local notes carry our clock, not the server's)
    const oldest = w.lines.find((l) => l.msgid !== undefined) ??
      w.lines.find((l) => l.nick !== undefined && !l.self) ?? w.lines[0];
    if (!this.#client.fetchOlder(w.name, oldest, OLDER_PAGE)) return;
    w.loadingOlder = Date.now();
    this.#drawBars();
  }

  /** Older lines arrived: put them above, and move the view up onto them as PgUp would. */
  #onOlder(window: string, lines: ChatLine[]): void {
    const w = this.windows.find(window);
    if (!w) return;
    w.loadingOlder = 0;
    let fresh = this.windows.prepend(w, lines);
    // replies shown before their original was fetched can quote it now
    const ids = new Set(fresh.map((l) => l.msgid).filter((id) => id !== undefined));
    for (const l of w.lines) {
      if (l.replyTo !== undefined && ids.has(l.replyTo)) this.#cache.delete(l);
    }
    if (fresh.length === 0) {
      // said at the top, where the user is looking
      w.historyExhausted = true;
      fresh = this.windows.prepend(w, [{
        time: w.lines[0]?.time ?? this.#now(),
        window: w.name,
        kind: "info",
        text: `No older messages in ${w.name}.`,
      }]);
    }
    if (w !== this.windows.current) return;
    if (w.scroll > 0) {
      const rows = fresh.reduce((n, l) => n + this.#screen.wrap(this.#render(l)).length, 0);
      w.scroll += Math.min(rows, Math.max(1, Math.floor(this.#screen.msgHeight / 2)));
    }
    this.redraw();
  }

  /** Search results: shown in the "search" window, which comes to the front. */
  #onSearch(query: string, lines: ChatLine[]): void {
    const w = this.windows.open("search", "search", true);
    w.lines.length = 0;
    w.seen.clear();
    w.scroll = 0;
    const head = lines.length === 0
      ? `Nothing found for “${query}”.`
      : `${lines.length} message${lines.length === 1 ? "" : "s"} found for “${query}”:`;
    this.windows.add(w, { time: this.#now(), window: w.name, kind: "info", text: head });
    for (const l of lines) this.windows.add(w, { ...l, window: w.name });
    this.redraw();
  }

  #candidates(word: string, atStart: boolean): string[] {
    if (atStart && word.startsWith("/")) return [...commandNames(), ...modernCommandNames()];
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
    if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop(); // the final newline
    if (lines.length === 1 || this.#secretFor !== undefined) {
      this.editor.insert(lines[0]);
      this.#drawInput();
      return;
    }
    const target = this.#target();
    if (target !== undefined && this.#client.multiline !== undefined) {
      // the server takes several lines as one message (draft/multiline)
      const batches = this.#client.messagesFor(target, lines.join("\n"));
      if (batches <= 1) {
        this.#sendMultiline(target, lines);
        return;
      }
      this.#pendingPaste = lines;
      this.#pendingBatches = batches;
      this.#note(
        "info",
        `You pasted ${lines.length} lines, more than ${target} takes in one message: send them as ${batches} messages? Press y to send, any other key to cancel.`,
      );
      this.#drawInput();
      return;
    }
    if (lines.length > PASTE_ASK_LINES) {
      // as irssi and WeeChat do: a long paste may be a mistake, and cannot be taken back
      this.#pendingPaste = lines;
      this.#pendingBatches = undefined;
      this.#note(
        "info",
        `You pasted ${lines.length} lines. Send them to ${this.windows.current.name}? Press y to send, any other key to cancel.`,
      );
      this.#drawInput();
      return;
    }
    this.#sendPaste(lines);
  }

  #confirmPaste(yes: boolean): void {
    const lines = this.#pendingPaste!;
    const batches = this.#pendingBatches;
    this.#pendingPaste = undefined;
    this.#pendingBatches = undefined;
    const target = this.#target();
    if (yes && batches !== undefined && target !== undefined) this.#sendMultiline(target, lines);
    else if (yes) this.#sendPaste(lines);
    else {
      this.#note("info", `The ${lines.length} pasted lines were not sent.`);
      this.#drawInput();
    }
  }

  /** Sends pasted lines as one message (or as few as the server's limits allow). */
  #sendMultiline(target: string, lines: string[]): void {
    if (!this.#client.perform({ kind: "say", target, text: lines.join("\n") })) {
      this.#note("error", "Not connected right now: the paste was not sent.");
    }
    this.#drawInput();
  }

  /** Sends pasted lines one by one, as if each were typed and entered. */
  #sendPaste(lines: string[]): void {
    const target = this.#target();
    for (const line of lines) {
      if (line.trim() === "" && target !== undefined) {
        // IRC has no empty message: a blank line of a paste goes as a space, so the
        // paragraphs of what was pasted stay apart
        if (!this.#client.perform({ kind: "say", target, text: " " })) {
          this.#note("error", "Not connected right now: the rest of the paste was not sent.");
          break;
        }
        continue;
      }
      this.editor.insert(line);
      if (!this.#submit()) break; // not sent: it stays in the editor
    }
    this.#drawInput();
  }

  #target(): string | undefined {
    const w = this.windows.current;
    return w.kind === "channel" || w.kind === "query" ? w.name : undefined;
  }

  /** Runs the input line; returns false when it had to stay in the editor. */
  #submit(): boolean {
    if (this.#secretFor !== undefined) return this.#submitSecret();
    const text = this.editor.text;
    const ctx = { target: this.#target() };
    const action = parseModernCommand(text, ctx) ?? parseInput(text, ctx);
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
    runLocal(this.#local, action);
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

  /** The local commands' view of the app. */
  #localHost(): LocalHost {
    // deno-lint-ignore no-this-alias
    const app = this;
    return {
      get client() {
        return app.#client;
      },
      windows: this.windows,
      editor: this.editor,
      get paneShown() {
        return app.#screen.hasPane;
      },
      get membersWanted() {
        return app.#membersShown;
      },
      set membersWanted(v: boolean) {
        app.#membersShown = v;
      },
      note: (kind, text) => this.#note(kind, text),
      setUpload: (text) => {
        this.#upload = text;
        this.#drawBars();
      },
      redraw: () => this.redraw(),
      drawInput: () => this.#drawInput(),
      askSecret: (account) => {
        this.#secretFor = account;
        this.editor.masked = true;
        this.#note(
          "info",
          `Type the password for ${account} and press Enter (it is not shown; Enter alone cancels).`,
        );
        this.#drawInput();
      },
      quit: (reason) => {
        this.quit(reason);
      },
    };
  }
}
