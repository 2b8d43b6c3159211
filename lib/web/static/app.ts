/// <reference lib="dom" />
/**
 * The browser chat app: join screen, conversation list, messages, members, input. Renders
 * from the {@link Chat} model; every piece of remote text goes into the page as a text node
 * (never as HTML), and only http(s) links become anchors.
 *
 * @module
 */

import { IrcConnection } from "./connection.ts";
import { fold, isChannel } from "./irc.ts";
import { type Buffer, Chat, type Effect, type Line, SERVER_KEY } from "./model.ts";
import { completions, linkify, nickColour } from "./text.ts";

/** Lines asked for per chathistory request. */
const HISTORY_PAGE = 50;
/** Minimum gap between two `+typing=active` notices we send. */
const TYPING_RESEND_MS = 3000;
const SESSION_KEY = "deno-chat.session";
const THEME_KEY = "deno-chat.theme";
const NICK_RE = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]{0,29}$/;

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** What survives a reload of the tab (sessionStorage: this tab only, gone with it). */
interface SavedSession {
  nick: string;
  password: string;
  channels: string[];
  queries: string[];
  active: string;
}

function loadSession(): SavedSession | undefined {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as SavedSession;
    return typeof s.nick === "string" && NICK_RE.test(s.nick) ? s : undefined;
  } catch {
    return undefined;
  }
}

class App {
  chat: Chat = new Chat("");
  conn: IrcConnection | undefined;
  session: SavedSession | undefined;
  /** What is on screen in #messages, to append instead of re-rendering. */
  shown = { key: "", count: 0, lastId: "" };
  history: string[] = [];
  historyPos = 0;
  draft = "";
  tab: { prefix: string; start: number; options: string[]; index: number } | undefined;
  typingSent = { target: "", at: 0 };
  typingTimer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    this.applyTheme(localStorage.getItem(THEME_KEY) ?? "auto");
    $("join-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submitJoin();
    });
    $("input-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submitInput();
    });
    const input = $("input") as HTMLInputElement;
    input.addEventListener("keydown", (ev) => this.inputKey(ev));
    input.addEventListener("input", () => this.typed());
    $("join-channel-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const field = $("join-channel") as HTMLInputElement;
      let name = field.value.trim();
      if (name === "") return;
      if (!isChannel(name, this.chat.chanTypes)) name = "#" + name;
      this.conn?.send("JOIN", [name]);
      field.value = "";
      this.closeOverlays();
    });
    $("theme-button").addEventListener("click", () => {
      const order = ["auto", "light", "dark"];
      const now = localStorage.getItem(THEME_KEY) ?? "auto";
      const next = order[(order.indexOf(now) + 1) % order.length];
      localStorage.setItem(THEME_KEY, next);
      this.applyTheme(next);
    });
    $("menu-button").addEventListener("click", () => {
      $("chat").classList.toggle("show-sidebar");
      $("chat").classList.remove("show-members");
    });
    $("members-button").addEventListener("click", () => {
      const chat = $("chat");
      if (globalThis.matchMedia("(max-width: 760px)").matches) {
        chat.classList.toggle("show-members");
        chat.classList.remove("show-sidebar");
      } else chat.classList.toggle("hide-members");
    });
    $("messages").addEventListener("click", () => this.closeOverlays());
    $("messages").addEventListener("scroll", () => this.maybeLoadOlder());
    $("retry-button").addEventListener("click", () => this.conn?.retryNow());
    $("notify-button").addEventListener("click", async () => {
      await Notification.requestPermission();
      this.updateNotifyButton();
    });
    document.addEventListener("visibilitychange", () => {
      this.chat.visible = !document.hidden;
      if (!document.hidden) {
        this.chat.activate(this.chat.active);
        this.renderBuffers();
      }
    });
    this.typingTimer = setInterval(() => this.renderTyping(), 1000);

    const saved = loadSession();
    if (saved) this.begin(saved);
    else {
      ($("nick") as HTMLInputElement).focus();
    }
  }

  applyTheme(theme: string): void {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    $("theme-button").textContent = `Theme: ${theme}`;
  }

  submitJoin(): void {
    const nick = ($("nick") as HTMLInputElement).value.trim();
    const password = ($("password") as HTMLInputElement).value;
    const channels = ($("channels") as HTMLInputElement).value.split(/[\s,]+/)
      .filter((c) => c !== "")
      .map((c) => (isChannel(c) ? c : "#" + c));
    if (!NICK_RE.test(nick)) {
      $("join-error").textContent =
        "A nickname is 1 to 30 letters, digits or - _ [ ] { } | ^ ` \\, not starting with a digit or -.";
      return;
    }
    $("join-error").textContent = "";
    this.begin({ nick, password, channels, queries: [], active: channels[0] ?? SERVER_KEY });
  }

  begin(session: SavedSession): void {
    this.session = session;
    this.save();
    this.chat = new Chat(session.nick);
    for (const q of session.queries) this.chat.open(q);
    $("join").hidden = true;
    $("chat").hidden = false;
    this.updateNotifyButton();
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/irc`;
    this.conn = new IrcConnection(url, { nick: session.nick, password: session.password }, {
      message: (msg) => {
        const effects = this.chat.handle(msg);
        this.apply(effects);
        this.render();
      },
      status: (state, detail, retryIn) => this.status(state, detail, retryIn),
      registered: (nick) => {
        const chans = this.session?.channels ?? [];
        if (this.session) this.session.nick = nick;
        if (chans.length > 0) this.conn?.send("JOIN", [chans.join(",")]);
        // queries reopened after a reload get their recent history too
        for (const b of this.chat.buffers.values()) {
          if (b.kind === "query") this.loadLatest(b);
        }
      },
    });
    this.conn.connect();
    this.render();
    ($("input") as HTMLInputElement).focus();
  }

  save(): void {
    const s = this.session;
    if (!s) return;
    // before (re)registration the buffers say nothing new about which channels we are in
    if (this.conn?.registered) {
      s.channels = [...this.chat.buffers.values()].filter((b) => b.kind === "channel" && b.joined)
        .map((b) => b.name);
      s.queries = [...this.chat.buffers.values()].filter((b) => b.kind === "query").map((b) =>
        b.name
      );
      s.active = this.chat.buffers.get(this.chat.active)?.name ?? SERVER_KEY;
    }
    try {
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    } catch {
      // storage full or disabled: a reload then shows the join screen, nothing worse
    }
  }

  apply(effects: Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "joined": {
          const wanted = this.session?.active ?? "";
          if (fold(wanted) === e.buffer.key || this.chat.active === SERVER_KEY) {
            this.switchTo(e.buffer.key);
          }
          this.loadLatest(e.buffer);
          this.save();
          break;
        }
        case "history":
          if (e.count < HISTORY_PAGE) e.buffer.history.exhausted = true;
          if (e.buffer.key === this.chat.active) this.shown.key = ""; // full re-render
          break;
        case "mention":
          this.notify(e.buffer, e.line);
          break;
        case "registered":
        case "nick-in-use":
          break;
      }
    }
  }

  loadLatest(b: Buffer): void {
    if (!this.conn?.chathistory || b.history.loading) return;
    b.history.loading = true;
    this.conn.send("CHATHISTORY", ["LATEST", b.name, "*", String(HISTORY_PAGE)]);
  }

  maybeLoadOlder(): void {
    const box = $("messages");
    const b = this.chat.buffers.get(this.chat.active);
    if (!b || b.kind === "server" || box.scrollTop > 40) return;
    if (!this.conn?.chathistory || b.history.loading || b.history.exhausted) return;
    const oldest = b.lines.find((l) => !l.id.startsWith("local-"));
    if (!oldest) return;
    b.history.loading = true;
    this.conn.send("CHATHISTORY", [
      "BEFORE",
      b.name,
      `timestamp=${new Date(oldest.time).toISOString()}`,
      String(HISTORY_PAGE),
    ]);
  }

  status(state: string, detail: string, retryIn?: number): void {
    const banner = $("banner");
    const text = $("banner-text");
    if (state === "connected") {
      banner.hidden = true;
    } else if (state === "waiting") {
      banner.hidden = false;
      text.textContent = `Disconnected (${detail}). Reconnecting in ${
        Math.ceil((retryIn ?? 0) / 1000)
      } s…`;
      $("retry-button").hidden = false;
    } else if (state === "closed") {
      banner.hidden = false;
      text.textContent = "Disconnected.";
      $("retry-button").hidden = true;
    } else {
      banner.hidden = false;
      text.textContent = state === "connecting" ? "Connecting…" : "Signing in…";
      $("retry-button").hidden = true;
    }
    $("chat").dataset.state = state;
  }

  notify(b: Buffer, line: Line): void {
    const focused = !document.hidden && this.chat.active === b.key;
    if (focused || typeof Notification === "undefined" || Notification.permission !== "granted") {
      return;
    }
    const title = b.kind === "query" ? line.nick : `${line.nick} in ${b.name}`;
    const n = new Notification(title, { body: line.text, tag: b.key });
    n.addEventListener("click", () => {
      globalThis.focus();
      this.switchTo(b.key);
      n.close();
    });
  }

  updateNotifyButton(): void {
    const button = $("notify-button");
    button.hidden = typeof Notification === "undefined" || Notification.permission !== "default";
  }

  closeOverlays(): void {
    $("chat").classList.remove("show-sidebar", "show-members");
  }

  switchTo(key: string): void {
    if (!this.chat.buffers.has(key)) return;
    this.chat.activate(key);
    this.save();
    this.closeOverlays();
    this.render();
  }

  // ---------------------------------------------------------------- input

  submitInput(): void {
    const input = $("input") as HTMLInputElement;
    const text = input.value;
    if (text.trim() === "") return;
    input.value = "";
    this.history.push(text);
    if (this.history.length > 100) this.history.shift();
    this.historyPos = this.history.length;
    this.typingSent = { target: "", at: 0 };
    this.run(text);
    this.render();
  }

  run(text: string): void {
    const conn = this.conn;
    const b = this.chat.buffers.get(this.chat.active)!;
    const target = b.kind === "server" ? "" : b.name;
    if (!text.startsWith("/") || text.startsWith("//")) {
      this.say(target, text.startsWith("//") ? text.slice(1) : text);
      return;
    }
    const sp = text.indexOf(" ");
    const cmd = (sp === -1 ? text.slice(1) : text.slice(1, sp)).toLowerCase();
    const rest = sp === -1 ? "" : text.slice(sp + 1).trim();
    const [first = "", ...more] = rest.split(/\s+/);
    const tail = rest.slice(first.length).trim();
    switch (cmd) {
      case "join":
      case "j":
        if (first === "") return this.usage("/join #channel");
        conn?.send("JOIN", [isChannel(first, this.chat.chanTypes) ? first : "#" + first, ...more]);
        return;
      case "part":
      case "leave":
        if (b.kind !== "channel") return this.usage("/part in a channel");
        conn?.send("PART", rest === "" ? [b.name] : [b.name, rest]);
        return;
      case "me":
        if (!target) return this.usage("/me in a channel or conversation");
        this.say(target, rest, true);
        return;
      case "msg":
      case "query": {
        if (first === "") return this.usage(`/${cmd} nick [message]`);
        const q = this.chat.open(first);
        this.switchTo(q.key);
        if (tail !== "") this.say(first, tail);
        else this.loadLatest(q);
        return;
      }
      case "topic":
        if (b.kind !== "channel") return this.usage("/topic in a channel");
        conn?.send("TOPIC", rest === "" ? [b.name] : [b.name, rest]);
        return;
      case "nick":
        if (!NICK_RE.test(first)) return this.usage("/nick newnick");
        conn?.send("NICK", [first]);
        if (this.session) this.session.nick = first;
        this.save();
        return;
      case "close":
        this.closeBuffer(b);
        return;
      case "quit":
        conn?.quit(rest || "Leaving");
        sessionStorage.removeItem(SESSION_KEY);
        location.reload();
        return;
      case "quote":
      case "raw":
        conn?.sendRaw(rest);
        return;
      case "help":
        this.chat.note(
          this.chat.active,
          "info",
          "Commands: /join #chan, /part [reason], /me action, /msg nick text, /query nick, " +
            "/topic text, /nick name, /close, /quit [reason], /quote RAW LINE. Start a line " +
            "with // to send a text beginning with /.",
        );
        return;
      default:
        this.usage("/help lists the commands");
    }
  }

  usage(text: string): void {
    this.chat.note(this.chat.active, "error", `Usage: ${text}`);
  }

  say(target: string, text: string, action = false): void {
    if (!target) {
      this.chat.note(SERVER_KEY, "error", "This is the server window: join a channel to talk.");
      return;
    }
    const conn = this.conn;
    if (!conn?.registered) {
      this.chat.note(this.chat.active, "error", "Not connected: the message was not sent.");
      return;
    }
    // one IRC line is 512 bytes; long text goes out in pieces cut on character boundaries
    for (const part of splitText(text, 400)) {
      const body = action ? `\x01ACTION ${part}\x01` : part;
      conn.send("PRIVMSG", [target, body]);
      if (!conn.has("echo-message")) {
        this.chat.note(fold(target), action ? "action" : "message", part, conn.nick, true);
      }
    }
  }

  closeBuffer(b: Buffer): void {
    if (b.kind === "server") return;
    if (b.kind === "channel" && b.joined) this.conn?.send("PART", [b.name]);
    this.chat.close(b.key);
    this.save();
    this.render();
  }

  inputKey(ev: KeyboardEvent): void {
    const input = ev.target as HTMLInputElement;
    if (ev.key !== "Tab") this.tab = undefined;
    if (ev.key === "ArrowUp" && !ev.shiftKey) {
      if (this.historyPos === 0) return;
      if (this.historyPos === this.history.length) this.draft = input.value;
      this.historyPos--;
      input.value = this.history[this.historyPos];
      ev.preventDefault();
    } else if (ev.key === "ArrowDown" && !ev.shiftKey) {
      if (this.historyPos >= this.history.length) return;
      this.historyPos++;
      input.value = this.historyPos === this.history.length
        ? this.draft
        : this.history[this.historyPos];
      ev.preventDefault();
    } else if (ev.key === "Tab" && !ev.ctrlKey && !ev.altKey) {
      ev.preventDefault();
      this.complete(input);
    } else if (ev.key === "Escape") {
      this.closeOverlays();
    }
  }

  complete(input: HTMLInputElement): void {
    const b = this.chat.buffers.get(this.chat.active);
    if (!b) return;
    if (!this.tab) {
      const caret = input.selectionStart ?? input.value.length;
      const before = input.value.slice(0, caret);
      const start = before.search(/\S*$/);
      const prefix = before.slice(start);
      if (prefix === "") return;
      const nicks = b.kind === "query" ? [b.name] : [...b.members.values()].map((m) => m.nick);
      const options = completions(prefix, nicks.filter((n) => fold(n) !== fold(this.chat.me)));
      if (options.length === 0) return;
      this.tab = { prefix, start, options, index: -1 };
    }
    const t = this.tab;
    t.index = (t.index + 1) % t.options.length;
    const suffix = t.start === 0 ? ": " : " ";
    const after = input.value.slice(input.selectionStart ?? input.value.length);
    const head = input.value.slice(0, t.start) + t.options[t.index] + suffix;
    input.value = head + after.replace(/^(: | )/, "");
    input.setSelectionRange(head.length, head.length);
  }

  /** Sends `+typing` notices: `active` at most every 3 s while typing, `done` when cleared. */
  typed(): void {
    const conn = this.conn;
    const b = this.chat.buffers.get(this.chat.active);
    if (!conn?.registered || !conn.has("message-tags") || !b || b.kind === "server") return;
    const value = ($("input") as HTMLInputElement).value;
    const now = Date.now();
    if (value === "" || value.startsWith("/")) {
      if (this.typingSent.target === b.name) {
        conn.send("TAGMSG", [b.name], { "+typing": "done" });
        this.typingSent = { target: "", at: 0 };
      }
      return;
    }
    if (this.typingSent.target === b.name && now - this.typingSent.at < TYPING_RESEND_MS) return;
    conn.send("TAGMSG", [b.name], { "+typing": "active" });
    this.typingSent = { target: b.name, at: now };
  }

  // ---------------------------------------------------------------- rendering

  render(): void {
    this.renderBuffers();
    this.renderHeader();
    this.renderMessages();
    this.renderMembers();
    this.renderTyping();
    $("me").textContent = this.conn ? `You are ${this.chat.me}` : "";
  }

  renderBuffers(): void {
    const list = $("buffer-list");
    list.replaceChildren();
    let total = 0;
    for (const b of this.chat.buffers.values()) {
      const li = el("li");
      li.dataset.key = b.key;
      if (b.key === this.chat.active) li.classList.add("active");
      if (b.unread > 0) li.classList.add("unread");
      if (b.kind === "channel" && !b.joined) li.classList.add("parted");
      const open = el("button", "open");
      open.type = "button";
      open.append(el("span", "name", b.kind === "server" ? "Server" : b.name));
      if (b.mentions > 0) open.append(el("span", "badge mention", String(b.mentions)));
      // a private chat's lines are all mentions: one red badge says it all
      if (b.unread > b.mentions) open.append(el("span", "badge unread", String(b.unread)));
      open.addEventListener("click", () => this.switchTo(b.key));
      li.append(open);
      if (b.kind !== "server") {
        const close = el("button", "close", "×");
        close.type = "button";
        close.title = b.kind === "channel" ? `Leave ${b.name}` : "Close";
        close.addEventListener("click", () => this.closeBuffer(b));
        li.append(close);
      }
      list.append(li);
      total += b.mentions;
    }
    document.title = total > 0 ? `(${total}) deno-chat` : "deno-chat";
  }

  renderHeader(): void {
    const b = this.chat.buffers.get(this.chat.active)!;
    $("title").textContent = b.kind === "server" ? "Server" : b.name;
    const topic = $("topic");
    topic.replaceChildren(...segmentNodes(b.kind === "channel" ? b.topic : ""));
    topic.title = b.topic;
    $("members-button").hidden = b.kind !== "channel";
    ($("input") as HTMLInputElement).placeholder = b.kind === "server"
      ? "Type /join #channel"
      : `Message ${b.name}`;
  }

  renderMessages(): void {
    const box = $("messages");
    const b = this.chat.buffers.get(this.chat.active)!;
    const lines = b.lines;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const s = this.shown;
    const canAppend = s.key === b.key && s.count <= lines.length &&
      (s.count === 0 || lines[s.count - 1]?.id === s.lastId);
    if (canAppend) {
      for (let i = s.count; i < lines.length; i++) {
        box.append(...lineNodes(lines[i], lines[i - 1]));
      }
    } else {
      const sameBuffer = s.key === b.key;
      const fromBottom = box.scrollHeight - box.scrollTop;
      box.replaceChildren();
      if (b.history.exhausted && b.kind !== "server") {
        box.append(el("div", "history-note", "Start of the conversation"));
      }
      for (let i = 0; i < lines.length; i++) box.append(...lineNodes(lines[i], lines[i - 1]));
      // older lines came in above: keep what the reader was looking at in place
      if (sameBuffer && !atBottom) box.scrollTop = box.scrollHeight - fromBottom;
    }
    this.shown = { key: b.key, count: lines.length, lastId: lines.at(-1)?.id ?? "" };
    if (atBottom || !canAppend && s.key !== b.key) box.scrollTop = box.scrollHeight;
  }

  renderMembers(): void {
    const b = this.chat.buffers.get(this.chat.active)!;
    const list = $("member-list");
    list.replaceChildren();
    if (b.kind !== "channel") {
      $("member-count").textContent = "";
      return;
    }
    const members = this.chat.sortedMembers(b);
    $("member-count").textContent = `${members.length} ${
      members.length === 1 ? "member" : "members"
    }`;
    for (const m of members) {
      const li = el("li");
      const button = el("button");
      button.type = "button";
      button.title = `Talk privately with ${m.nick}`;
      button.append(el("span", "prefix", m.prefix.slice(0, 1)));
      button.append(el("span", `nick nc${nickColour(m.nick)}`, m.nick));
      button.addEventListener("click", () => {
        if (fold(m.nick) === fold(this.chat.me)) return;
        const q = this.chat.open(m.nick);
        this.switchTo(q.key);
        this.loadLatest(q);
      });
      li.append(button);
      list.append(li);
    }
  }

  renderTyping(): void {
    const b = this.chat.buffers.get(this.chat.active);
    const nicks = b ? this.chat.typingIn(b) : [];
    const text = nicks.length === 0
      ? ""
      : nicks.length === 1
      ? `${nicks[0]} is typing…`
      : nicks.length <= 3
      ? `${nicks.slice(0, -1).join(", ")} and ${nicks.at(-1)} are typing…`
      : "Several people are typing…";
    const box = $("typing");
    if (box.textContent !== text) box.textContent = text;
  }
}

/** Text and safe links as DOM nodes. */
function segmentNodes(text: string): Node[] {
  return linkify(text).map((seg) => {
    if (seg.kind === "text") return document.createTextNode(seg.text);
    const a = el("a", "", seg.text);
    a.href = seg.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  });
}

function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() &&
    x.getDate() === y.getDate();
}

const EVENT_TYPES = new Set(["join", "part", "quit", "kick", "nick", "topic", "mode"]);

function lineNodes(line: Line, prev: Line | undefined): Node[] {
  const out: Node[] = [];
  if (!prev || !sameDay(prev.time, line.time)) {
    out.push(el(
      "div",
      "day",
      new Date(line.time).toLocaleDateString(undefined, {
        weekday: "long",
        year: "numeric",
        month: "long",
        day: "numeric",
      }),
    ));
  }
  const event = EVENT_TYPES.has(line.type);
  const div = el("div", `line ${event ? "event" : line.type}`);
  div.dataset.id = line.id;
  div.dataset.type = line.type;
  if (line.self) div.classList.add("self");
  if (line.mention) div.classList.add("mention");
  const d = new Date(line.time);
  const time = el(
    "time",
    "",
    d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }),
  );
  time.dateTime = d.toISOString();
  time.title = d.toLocaleString();
  div.append(time);
  const text = el("span", "text");
  if (line.type === "message" || line.type === "notice") {
    div.append(el("span", `nick nc${nickColour(line.nick)}`, line.nick));
  } else if (line.type === "action" || event) {
    text.append(event ? "→ " : "* ");
    text.append(el("span", `nick nc${nickColour(line.nick)}`, line.nick), " ");
  }
  text.append(...segmentNodes(line.text));
  div.append(text);
  out.push(div);
  return out;
}

/**
 * Cuts text into pieces of at most `maxBytes` UTF-8 bytes, preferring spaces.
 *
 * @example
 * ```ts ignore
 * splitText("a b c", 3); // ["a b", "c"]
 * ```
 */
export function splitText(text: string, maxBytes: number): string[] {
  const enc = new TextEncoder();
  const out: string[] = [];
  let rest = text.replace(/[\r\n]+/g, " ");
  while (enc.encode(rest).length > maxBytes) {
    let cut = 0;
    let bytes = 0;
    for (const ch of rest) {
      const n = enc.encode(ch).length;
      if (bytes + n > maxBytes) break;
      bytes += n;
      cut += ch.length;
    }
    const space = rest.lastIndexOf(" ", cut);
    const at = space > cut / 2 ? space : cut;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^ /, "");
  }
  if (rest !== "") out.push(rest);
  return out;
}

if (typeof document !== "undefined") new App().start();
