/// <reference lib="dom" />
/**
 * The browser chat app's controller: the join form, the connection, the effects of what
 * the server says (switching to a joined channel, keeping the nick the server granted,
 * logging in again), navigation between conversations, and the page's buttons and keys.
 * State is {@link Chat} (model.ts), drawing is {@link View} (view.ts), typing is
 * {@link Composer} (input.ts), what is kept is storage.ts.
 *
 * @module
 */

import { casefold as fold } from "../../protocol/casemap.ts";
import { isValidNick } from "../../protocol/validate.ts";
import { DEFAULT_CHANNEL } from "../../shared/client_defaults.ts";
import { filehostUrl, uploadHeaders } from "../../shared/filehost_upload.ts";
import { markreadParam } from "../../shared/markread.ts";
import { searchAttributes } from "../../shared/search_query.ts";
import { $ } from "./dom.ts";
import { Composer, type InputHost } from "./input.ts";
import { IrcConnection } from "./irc_socket.ts";
import { handleMetadataMessage, setUpProfile } from "./metadata.ts";
import { mayRedact } from "./modern_ui.ts";
import {
  type Buffer,
  Chat,
  type Effect,
  isChannel,
  type Line,
  type SearchResult,
  SERVER_KEY,
} from "./model.ts";
import {
  clearSession,
  type Credential,
  loadFriends,
  loadSession,
  loadTheme,
  MAX_NICK,
  type SavedSession,
  saveFriends,
  saveSession,
  saveTheme,
} from "./storage.ts";
import { jumpToLine, View } from "./view.ts";

/** Lines asked for per chathistory request. */
const HISTORY_PAGE = 50;
/** How long the "You left #x. Undo" bar stays. */
const UNDO_MS = 10000;
/** How long "ann is online" stays. */
const FRIEND_NOTICE_MS = 8000;
/** Results asked for per search. */
const SEARCH_LIMIT = 50;

class App implements InputHost {
  chat: Chat = new Chat("");
  conn: IrcConnection | undefined;
  session: SavedSession | undefined;
  view: View;
  composer: Composer;
  /** Whether the chat screen is up (false while the form waits for the first sign-in). */
  shown = false;
  /** Channels asked for at sign-in and not answered yet: still saved, so a reload keeps them. */
  #rejoining = new Map<string, string>();
  /** Channels the user just asked to join: the app switches to them once joined. */
  #switchOnJoin = new Set<string>();
  /** A login or registration on its way; kept for the session once the server confirms. */
  #pendingCredential: Credential | undefined;
  /** The last text sent privately to each nick, given back if that nick is offline. */
  #lastSent = new Map<string, string>();
  #notice: { key: string; action: () => void } | undefined;
  /** A search result to show once its conversation's history around it has come. */
  #jumpTo: { key: string; msgid: string } | undefined;
  #uploading = 0;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.view = new View(() => this.chat, {
      switchTo: (key) => this.switchTo(key),
      closeBuffer: (b) => this.closeBuffer(b),
      openQuery: (nick) => this.switchTo(this.openQuery(nick).key),
      join: (channel) => this.join([channel]),
      loggedIn: () => this.session?.credential !== undefined,
      can: (what, b, line) => this.can(what, b, line),
      reply: (b, line) =>
        this.composer.replyTo({
          target: b.name,
          msgid: line.id,
          label: `${line.nick}: ${line.text.split("\n")[0].slice(0, 60)}`,
        }),
      react: (b, line, emoji) => this.react(b, line, emoji),
      redact: (b, line) => {
        this.conn?.send("REDACT", [b.name, line.id]);
      },
      uploadUrl: () => this.uploadUrl(),
      removeFriend: (nick) => this.setFriend(nick, false),
    });
    this.composer = new Composer(this);
  }

  start(): void {
    this.applyTheme(loadTheme());
    setUpProfile(() => this.conn);
    $("join-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submitJoin();
    });
    $("join-channel-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const field = $("join-channel") as HTMLInputElement;
      const name = field.value.trim();
      if (name === "") return;
      this.join([isChannel(name, this.chat.chanTypes) ? name : "#" + name]);
      field.value = "";
      this.closeOverlays();
    });
    $("theme-button").addEventListener("click", () => {
      const order = ["auto", "light", "dark"];
      const next = order[(order.indexOf(loadTheme()) + 1) % order.length];
      saveTheme(next);
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
    $("members-close").addEventListener("click", () => {
      const chat = $("chat");
      if (chat.classList.contains("show-members")) chat.classList.remove("show-members");
      else chat.classList.add("hide-members");
    });
    $("messages").addEventListener("click", () => this.closeOverlays());
    $("messages").addEventListener("scroll", () => this.maybeLoadOlder());
    $("retry-button").addEventListener("click", () => this.conn?.retryNow());
    $("notice-action").addEventListener("click", () => {
      const n = this.#notice;
      this.#hideNotice();
      n?.action();
    });
    $("notify-button").addEventListener("click", async () => {
      await Notification.requestPermission();
      this.updateNotifyButton();
    });
    this.#setUpDialogs();
    this.#setUpModern();
    document.addEventListener("keydown", (ev) => this.globalKey(ev));
    document.addEventListener("visibilitychange", () => {
      this.chat.visible = !document.hidden;
      if (!document.hidden) {
        this.chat.activate(this.chat.active);
        // render() also sends the read marker of what is now in view
        if (this.shown) this.render();
      }
    });
    setInterval(() => this.view.renderTyping(), 1000);

    const saved = loadSession();
    if (saved) this.begin(saved, false);
    else {
      ($("channels") as HTMLInputElement).value = DEFAULT_CHANNEL;
      ($("nick") as HTMLInputElement).focus();
    }
  }

  applyTheme(theme: string): void {
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
    $("theme-button").textContent = `Theme: ${theme}`;
  }

  // ---------------------------------------------------------------- signing in

  submitJoin(): void {
    const nick = ($("nick") as HTMLInputElement).value.trim();
    const password = ($("password") as HTMLInputElement).value;
    const serverPassword = ($("server-password") as HTMLInputElement).value;
    const channels = ($("channels") as HTMLInputElement).value.split(/[\s,]+/)
      .filter((c) => c !== "")
      .map((c) => (isChannel(c) ? c : "#" + c));
    if (!isValidNick(nick, MAX_NICK)) {
      this.formError(
        "A nickname is 1 to 30 letters, digits or - _ [ ] { } | ^ ` \\, not starting with a digit or -.",
      );
      return;
    }
    this.formError("Connecting…", false);
    ($("join-button") as HTMLButtonElement).disabled = true;
    this.begin({
      nick,
      serverPassword,
      credential: password === "" ? undefined : { account: nick, password },
      channels: channels.length > 0 ? channels : [DEFAULT_CHANNEL],
      queries: [],
      active: channels[0] ?? DEFAULT_CHANNEL,
    }, true);
  }

  formError(text: string, isError = true): void {
    const e = $("join-error");
    e.textContent = text;
    e.classList.toggle("error", isError);
  }

  /** Back to the form (a wrong password), saying why; nothing typed there is lost. */
  showForm(why: string, field: "password" | "server-password" | "nick"): void {
    this.conn?.quit();
    this.conn = undefined;
    this.shown = false;
    clearSession();
    $("chat").hidden = true;
    $("join").hidden = false;
    ($("join-button") as HTMLButtonElement).disabled = false;
    if (this.session) ($("nick") as HTMLInputElement).value = this.session.nick;
    if (field === "server-password") ($("server-password-box") as HTMLDetailsElement).open = true;
    this.formError(why);
    ($(field) as HTMLInputElement).focus();
    ($(field) as HTMLInputElement).select();
  }

  /**
   * Connects as the session says. From the form, the form stays until the server has let
   * us in (a wrong password keeps it, with the reason); after a reload the chat shows at once.
   */
  begin(session: SavedSession, fromForm: boolean): void {
    this.session = session;
    this.chat = new Chat(session.nick);
    for (const f of loadFriends()) this.chat.addFriend(f);
    for (const q of session.queries) this.chat.open(q);
    // at sign-in, the conversation to show is the one that was on screen (or the first)
    const first = session.active !== "" ? session.active : session.channels[0];
    if (first !== undefined) this.#switchOnJoin.add(fold(first));
    if (!fromForm) this.showChat();
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/irc`;
    this.conn = new IrcConnection(url, {
      nick: session.nick,
      serverPassword: session.serverPassword,
      credential: session.credential,
    }, {
      message: (msg) => {
        const effects = this.chat.handle(msg);
        this.apply(effects);
        // display names and avatars: drawn beside nicks, so every line is drawn again
        if (this.conn && handleMetadataMessage(msg, this.conn)) this.view.invalidate();
        // the end of the welcome burst: ISUPPORT has said whether MONITOR is there
        if (msg.command === "376" || msg.command === "422") this.#watchFriends();
        if (this.shown) this.render();
      },
      status: (state, detail, retryIn) => this.status(state, detail, retryIn),
      registered: (nick) => this.registered(nick),
    });
    this.conn.connect();
  }

  showChat(): void {
    if (this.shown) return;
    this.shown = true;
    $("join").hidden = true;
    $("chat").hidden = false;
    this.updateNotifyButton();
    this.render();
    this.composer.focus();
  }

  registered(nick: string): void {
    const s = this.session;
    if (!s || !this.conn) return;
    // what to rejoin, read before anything saves the (still empty) channel list
    const chans = [...s.channels];
    this.#rejoining = new Map(chans.map((c) => [fold(c), c]));
    this.showChat();
    this.#granted(nick);
    if (chans.length > 0) this.conn.send("JOIN", [chans.join(",")]);
    // queries reopened after a reload get their recent history too
    for (const b of this.chat.buffers.values()) if (b.kind === "query") this.loadLatest(b);
    // private chats someone else started are found from the server's list of conversations
    if (this.conn.chathistory) {
      this.conn.send("CHATHISTORY", [
        "TARGETS",
        `timestamp=${new Date(Date.now() + 60000).toISOString()}`,
        "timestamp=1970-01-01T00:00:00.000Z",
        String(HISTORY_PAGE),
      ]);
    }
    this.save();
  }

  /** The server granted this nick: reconnects and reloads ask for it, never the typed one. */
  #granted(nick: string): void {
    if (this.session) this.session.nick = nick;
    if (this.conn) this.conn.identity.nick = nick;
    this.save();
  }

  save(): void {
    const s = this.session;
    if (!s || !this.shown) return;
    // before (re)registration the buffers say nothing new about which channels we are in
    if (this.conn?.registered) {
      const joined = [...this.chat.buffers.values()].filter((b) =>
        b.kind === "channel" && b.joined && !this.#rejoining.has(b.key)
      ).map((b) => b.name);
      s.channels = [...this.#rejoining.values(), ...joined];
      s.queries = [...this.chat.buffers.values()].filter((b) => b.kind === "query").map((b) =>
        b.name
      );
      s.active = this.chat.buffers.get(this.chat.active)?.name ?? "";
    }
    saveSession(s);
  }

  apply(effects: Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case "joined": {
          this.#rejoining.delete(e.buffer.key);
          if (this.#switchOnJoin.delete(e.buffer.key) || this.chat.active === SERVER_KEY) {
            this.switchTo(e.buffer.key);
          }
          this.loadLatest(e.buffer);
          this.save();
          break;
        }
        case "join-failed":
          this.#rejoining.delete(fold(e.channel));
          this.#switchOnJoin.delete(fold(e.channel));
          break;
        case "history":
          if (e.count < HISTORY_PAGE && !this.#jumpTo) e.buffer.history.exhausted = true;
          if (e.buffer.key === this.chat.active) this.view.invalidate();
          if (this.#jumpTo?.key === e.buffer.key) {
            const id = this.#jumpTo.msgid;
            this.#jumpTo = undefined;
            queueMicrotask(() => jumpToLine(id));
          }
          break;
        case "mention":
          this.notify(e.buffer, e.line);
          break;
        case "nick":
          this.#granted(e.nick);
          break;
        case "kicked":
          this.save();
          break;
        case "logged-in": {
          const pending = this.#pendingCredential;
          if (pending && this.session) {
            this.session.credential = {
              account: e.account || pending.account,
              password: pending.password,
            };
            if (this.conn) this.conn.identity.credential = this.session.credential;
          }
          this.#pendingCredential = undefined;
          this.save();
          break;
        }
        case "login-failed":
          this.#pendingCredential = undefined;
          if (!this.shown) {
            this.showForm(`${e.text} Check it, or leave it empty to chat as a guest.`, "password");
          } else if (this.session?.credential && !this.conn?.registered) {
            // the saved login no longer works: go on as a guest, and say so where it shows
            this.session.credential = undefined;
            if (this.conn) this.conn.identity.credential = undefined;
            this.save();
          }
          break;
        case "bad-server-password":
          this.showForm(
            "Wrong server password: ask whoever runs the server for it.",
            "server-password",
          );
          break;
        case "no-such-nick": {
          const text = this.#lastSent.get(fold(e.nick));
          this.#lastSent.delete(fold(e.nick));
          if (text !== undefined && this.composer.text === "") {
            this.composer.text = text;
            this.chat.note(
              this.chat.buffer(e.nick)?.key ?? this.chat.active,
              "info",
              `${e.nick} is not online, so your message was not delivered; it is back in the box.`,
            );
          }
          break;
        }
        case "targets":
          for (const name of e.names) {
            if (isChannel(name, this.chat.chanTypes) || this.chat.buffer(name)) continue;
            if (fold(name) === fold(this.chat.me)) continue;
            this.loadLatest(this.chat.open(name));
          }
          this.save();
          break;
        case "new-query":
          this.save();
          break;
        case "changed":
          if (e.buffer.key === this.chat.active) this.view.invalidate();
          break;
        case "read":
          if (e.buffer.key === this.chat.active) this.view.invalidate();
          break;
        case "friend-online":
          this.showNotice(
            `${e.nick} is online.`,
            "Message",
            () => this.switchTo(this.openQuery(e.nick).key),
            FRIEND_NOTICE_MS,
          );
          break;
        case "search":
          this.showResults(e.results);
          break;
        case "registered":
        case "nick-in-use":
          break;
      }
    }
  }

  // ---------------------------------------------------------------- history

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

  // ---------------------------------------------------------------- InputHost

  openQuery(nick: string): Buffer {
    const existed = this.chat.buffer(nick) !== undefined;
    const q = this.chat.open(nick);
    if (!existed) this.loadLatest(q);
    return q;
  }

  join(channels: string[], keys?: string): void {
    const conn = this.conn;
    if (!conn?.registered) return;
    const toJoin: string[] = [];
    for (const c of channels) {
      const b = this.chat.buffer(c);
      if (b?.kind === "channel" && b.joined) this.switchTo(b.key); // already in: just go there
      else {
        toJoin.push(c);
        this.#switchOnJoin.add(fold(c));
      }
    }
    if (toJoin.length > 0) conn.send("JOIN", keys ? [toJoin.join(","), keys] : [toJoin.join(",")]);
  }

  loginPrompt(account: string): void {
    $("login-account").textContent = account;
    const field = $("login-password") as HTMLInputElement;
    field.value = "";
    const dialog = $("login-dialog") as HTMLDialogElement;
    dialog.dataset.account = account;
    dialog.showModal();
    field.focus();
  }

  #setUpDialogs(): void {
    const login = $("login-dialog") as HTMLDialogElement;
    $("login-form").addEventListener("submit", () => {
      const account = login.dataset.account ?? "";
      const password = ($("login-password") as HTMLInputElement).value;
      ($("login-password") as HTMLInputElement).value = "";
      if (password === "" || !this.conn?.registered) return;
      this.#pendingCredential = { account, password };
      this.conn.send("PRIVMSG", ["NickServ", `IDENTIFY ${account} ${password}`]);
      this.chat.note(this.chat.active, "info", `Logging in as ${account}…`);
      this.render();
    });
    $("login-cancel").addEventListener("click", () => login.close());
    login.addEventListener("close", () => this.composer.focus());
    const switcher = $("switcher-dialog") as HTMLDialogElement;
    $("switcher-form").addEventListener("submit", () => {
      const want = ($("switcher-input") as HTMLInputElement).value.trim().toLowerCase();
      if (want === "") return;
      const names = [...this.chat.buffers.values()];
      const b = names.find((x) => x.name.toLowerCase() === want) ??
        names.find((x) => x.name.toLowerCase().startsWith(want)) ??
        names.find((x) => x.name.toLowerCase().includes(want));
      if (b) this.switchTo(b.key);
    });
    switcher.addEventListener("close", () => this.composer.focus());
  }

  openSwitcher(): void {
    const list = $("switcher-list");
    list.replaceChildren(
      ...[...this.chat.buffers.values()].filter((b) => b.kind !== "server").map((b) => {
        const o = document.createElement("option");
        o.value = b.name;
        return o;
      }),
    );
    ($("switcher-input") as HTMLInputElement).value = "";
    ($("switcher-dialog") as HTMLDialogElement).showModal();
  }

  register(password: string, email?: string): void {
    const conn = this.conn!;
    this.#pendingCredential = { account: this.chat.me, password };
    if (conn.available.has("draft/account-registration")) {
      conn.send("REGISTER", ["*", email ?? "*", password]);
    } else {
      conn.send("PRIVMSG", ["NickServ", `REGISTER ${password}${email ? ` ${email}` : ""}`]);
    }
    this.chat.note(this.chat.active, "info", `Registering the account ${this.chat.me}…`);
  }

  setIgnored(nick: string, on: boolean): void {
    if (on) this.chat.ignored.add(fold(nick));
    else this.chat.ignored.delete(fold(nick));
  }

  ignoredList(): string[] {
    return [...this.chat.ignored];
  }

  sentTo(nick: string, text: string): void {
    this.#lastSent.set(fold(nick), text);
  }

  quit(reason?: string): void {
    this.conn?.quit(reason ?? "Leaving");
    clearSession();
    location.reload();
  }

  // ---------------------------------------------------------------- modern features

  #setUpModern(): void {
    $("friend-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const field = $("friend-nick") as HTMLInputElement;
      const nick = field.value.trim();
      if (!isValidNick(nick, MAX_NICK)) return;
      this.setFriend(nick, true);
      field.value = "";
    });
    $("search-button").addEventListener("click", () => {
      const panel = $("search-panel");
      panel.hidden = !panel.hidden;
      if (!panel.hidden) ($("search-input") as HTMLInputElement).focus();
    });
    $("search-close").addEventListener("click", () => {
      $("search-panel").hidden = true;
      this.composer.focus();
    });
    $("search-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = ($("search-input") as HTMLInputElement).value.trim();
      const all = ($("search-all") as HTMLInputElement).checked;
      const b = this.chat.buffers.get(this.chat.active)!;
      if (text === "" || !this.conn?.has("soju.im/search")) return;
      const where = all || b.kind === "server" ? undefined : b.name;
      this.conn.send("SEARCH", [searchAttributes({ text, in: where, limit: SEARCH_LIMIT })]);
      $("search-status").textContent = `Searching ${where ?? "all conversations"}…`;
      $("search-results").replaceChildren();
    });
    $("attach-button").addEventListener(
      "click",
      () => ($("attach-input") as HTMLInputElement).click(),
    );
    $("attach-input").addEventListener("change", () => {
      const input = $("attach-input") as HTMLInputElement;
      for (const f of [...(input.files ?? [])]) this.upload(f);
      input.value = "";
    });
    const main = document.querySelector("#chat .main") as HTMLElement;
    main.addEventListener("dragover", (ev) => {
      if (this.uploadUrl() === "" || !ev.dataTransfer?.types.includes("Files")) return;
      ev.preventDefault();
      $("chat").classList.add("dropping");
    });
    main.addEventListener("dragleave", () => $("chat").classList.remove("dropping"));
    main.addEventListener("drop", (ev) => {
      $("chat").classList.remove("dropping");
      const files = [...(ev.dataTransfer?.files ?? [])];
      if (files.length === 0) return;
      ev.preventDefault();
      for (const f of files) this.upload(f);
    });
  }

  can(what: "reply" | "react" | "redact", b: Buffer, line: Line): boolean {
    const conn = this.conn;
    if (!conn?.registered || b.kind === "server") return false;
    if (b.kind === "channel" && !b.joined) return false;
    if (what === "redact") {
      return conn.has("draft/message-redaction") &&
        mayRedact(line.self, b.kind === "channel" ? this.chat.myPrefix(b) : "");
    }
    return conn.has("message-tags");
  }

  react(b: Buffer, line: Line, emoji: string): void {
    const conn = this.conn;
    if (!conn || !this.can("react", b, line)) return;
    if (line.reactions?.get(emoji)?.some((n) => fold(n) === fold(this.chat.me))) return;
    conn.send("TAGMSG", [b.name], { "+draft/react": emoji, "+draft/reply": line.id });
    // without echo-message the server does not send our own reaction back
    if (!conn.has("echo-message")) {
      this.chat.react(b, line.id, emoji, this.chat.me);
      this.view.invalidate();
      this.render();
    }
  }

  /** Adds or removes a friend: kept in this browser, watched with MONITOR. */
  setFriend(nick: string, on: boolean): void {
    if (on) this.chat.addFriend(nick);
    else this.chat.removeFriend(nick);
    saveFriends([...this.chat.friends.values()].map((f) => f.nick));
    if (this.conn?.registered && this.chat.monitorLimit > 0) {
      this.conn.send("MONITOR", [on ? "+" : "-", nick]);
    }
    this.render();
  }

  #watchFriends(): void {
    const nicks = [...this.chat.friends.values()].map((f) => f.nick);
    if (this.chat.monitorLimit === 0 || nicks.length === 0 || !this.conn) return;
    this.conn.send("MONITOR", ["+", nicks.slice(0, this.chat.monitorLimit).join(",")]);
  }

  showResults(results: SearchResult[]): void {
    $("search-status").textContent = results.length === 0
      ? "Nothing found."
      : `${results.length} ${results.length === 1 ? "message" : "messages"} found.`;
    const list = $("search-results");
    list.replaceChildren();
    for (const r of [...results].reverse()) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = r.target;
      const time = document.createElement("time");
      const d = new Date(r.line.time);
      time.dateTime = d.toISOString();
      time.textContent = d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
      const nick = document.createElement("b");
      nick.textContent = `${r.line.nick}: `;
      button.append(where, time, nick, r.line.text);
      button.addEventListener("click", () => this.jumpTo(r));
      li.append(button);
      list.append(li);
    }
  }

  /** Opens a result's conversation at the message (fetching the history around it). */
  jumpTo(r: SearchResult): void {
    const b = isChannel(r.target, this.chat.chanTypes)
      ? this.chat.open(r.target)
      : this.openQuery(r.target);
    this.switchTo(b.key);
    if (jumpToLine(r.line.id)) return;
    if (!this.conn?.chathistory) return;
    this.#jumpTo = { key: b.key, msgid: r.line.id };
    b.history.loading = true;
    this.conn.send("CHATHISTORY", ["AROUND", b.name, `msgid=${r.line.id}`, String(HISTORY_PAGE)]);
  }

  /** The upload address, "" for none usable (plain http is refused on an https page). */
  uploadUrl(): string {
    const url = filehostUrl(this.chat.filehost, location.protocol === "https:", location.href);
    return typeof url === "string" ? url : "";
  }

  /**
   * Uploads a file to the server's file host (soju.im/filehost) with a progress bar, then
   * posts its link in the open conversation. XMLHttpRequest, because fetch has no upload
   * progress in every browser.
   */
  upload(file: File): void {
    const url = this.uploadUrl();
    const b = this.chat.buffers.get(this.chat.active)!;
    if (url === "" || b.kind === "server") {
      this.chat.note(b.key, "error", "This server does not take uploads here.");
      this.render();
      return;
    }
    const target = b.name;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    const headers = uploadHeaders(file.name || "pasted.png", file.type, this.session?.credential);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    const bar = $("upload-bar");
    const progress = $("upload-progress") as HTMLProgressElement;
    this.#uploading++;
    bar.hidden = false;
    $("upload-text").textContent = `Uploading ${file.name || "the pasted image"}…`;
    progress.value = 0;
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable) progress.value = ev.loaded / ev.total;
    });
    const done = (error?: string) => {
      if (--this.#uploading === 0) bar.hidden = true;
      if (error !== undefined) {
        this.chat.note(this.chat.buffer(target)?.key ?? this.chat.active, "error", error);
        this.render();
      }
    };
    xhr.addEventListener("load", () => {
      const location = xhr.getResponseHeader("Location");
      if ((xhr.status === 201 || xhr.status === 200) && location) {
        done();
        this.composer.say(target, new URL(location, url).href);
        this.render();
        return;
      }
      const why = xhr.status === 401 || xhr.status === 403
        ? "log in to an account to upload files"
        : xhr.status === 413
        ? "the file is too large"
        : (xhr.responseText.trim().split("\n")[0] || `error ${xhr.status}`).slice(0, 200);
      done(`The upload of ${file.name || "the image"} failed: ${why}.`);
    });
    xhr.addEventListener("error", () => done(`The upload of ${file.name} failed: no connection.`));
    xhr.send(file);
  }

  // ---------------------------------------------------------------- navigation

  switchTo(key: string): void {
    if (!this.chat.buffers.has(key)) return;
    // a reply belongs to the conversation it was started in
    if (key !== this.chat.active) this.composer.replyTo(undefined);
    this.chat.activate(key);
    this.save();
    this.closeOverlays();
    this.render();
  }

  /**
   * × or /close: a joined channel is left (with an Undo that rejoins it), anything else is
   * closed; the neighbour in the list is shown next.
   */
  closeBuffer(b: Buffer): void {
    if (b.kind === "server") return;
    if (b.kind === "channel" && b.joined && this.conn?.registered) {
      const name = b.name;
      this.conn.send("PART", [name]);
      this.showNotice(`You left ${name}.`, "Undo", () => this.join([name]), UNDO_MS);
    }
    this.chat.close(b.key);
    this.save();
    this.render();
  }

  globalKey(ev: KeyboardEvent): void {
    if (!this.shown) return;
    if (ev.altKey && !ev.ctrlKey && (ev.key === "ArrowUp" || ev.key === "ArrowDown")) {
      ev.preventDefault();
      const keys = this.chat.keys();
      const i = keys.indexOf(this.chat.active);
      const step = ev.key === "ArrowUp" ? -1 : 1;
      this.switchTo(keys[(i + step + keys.length) % keys.length]);
    } else if (ev.altKey && !ev.ctrlKey && /^Digit[1-9]$/.test(ev.code)) {
      ev.preventDefault();
      const key = this.chat.keys()[Number(ev.code.slice(5)) - 1];
      if (key !== undefined) this.switchTo(key);
    } else if (ev.ctrlKey && !ev.altKey && (ev.key === "k" || ev.key === "K")) {
      ev.preventDefault();
      this.openSwitcher();
    } else if (ev.key === "Escape") {
      this.closeOverlays();
      this.composer.replyTo(undefined);
    }
  }

  // ---------------------------------------------------------------- page furniture

  showNotice(text: string, button: string, action: () => void, ms?: number): void {
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = undefined;
    this.#notice = { key: this.chat.active, action };
    $("notice-text").textContent = text;
    $("notice-action").textContent = button;
    $("notice-bar").classList.remove("error");
    $("notice-bar").hidden = false;
    if (ms !== undefined) {
      this.#noticeTimer = setTimeout(() => {
        this.#hideNotice();
        this.render();
      }, ms);
    }
  }

  #hideNotice(): void {
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = undefined;
    this.#notice = undefined;
    $("notice-bar").hidden = true;
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
    if (!this.shown && state === "waiting") {
      this.formError(`Cannot reach the server (${detail}); trying again…`);
    }
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

  render(): void {
    this.view.render(this.conn ? `You are ${this.chat.me}` : "");
    const b = this.chat.buffers.get(this.chat.active)!;
    const conn = this.conn;
    // what is on screen is read, on every device of the account
    if (conn?.registered && conn.has("draft/read-marker") && !document.hidden) {
      const ts = this.chat.readMarkerToSend(b);
      if (ts !== undefined) conn.send("MARKREAD", [b.name, markreadParam(new Date(ts))]);
    }
    $("search-button").hidden = !conn?.has("soju.im/search");
    $("attach-button").hidden = this.uploadUrl() === "";
    // a channel we were kicked from: the box is off and the bar offers to rejoin
    const out = b.kind === "channel" && !b.joined;
    if (this.#noticeTimer === undefined) {
      if (out && this.#notice?.key !== b.key) {
        const name = b.name;
        this.showNotice(
          b.kicked ? `You were removed from ${name}.` : `You are not in ${name}.`,
          "Rejoin",
          () => this.join([name]),
        );
        $("notice-bar").classList.toggle("error", b.kicked);
      } else if (!out && this.#notice !== undefined) this.#hideNotice();
    }
    this.composer.setEnabled(
      !(out && b.kicked),
      out && b.kicked
        ? `You were removed from ${b.name}`
        : b.kind === "server"
        ? "Type /join #channel"
        : `Message ${b.name}`,
    );
  }
}

if (typeof document !== "undefined") new App().start();
