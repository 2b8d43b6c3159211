/// <reference lib="dom" />
/**
 * Rendering: the conversation list, the header, the messages (appended, not re-rendered,
 * while the same conversation is open), the members and the typing line, all from the
 * {@link Chat} model. Remote text becomes text nodes; formatting becomes class names from a
 * fixed palette; only http(s) links become anchors.
 *
 * @module
 */

import { casefold as fold } from "../../protocol/casemap.ts";
import { formatRuns, nearestBaseColour } from "../../shared/formatting.ts";
import { $, el } from "./dom.ts";
import { withIdentity } from "./metadata.ts";
import { isInlineImage, QUICK_REACTIONS } from "./modern_ui.ts";
import { type Buffer, type Chat, type Line } from "./model.ts";
import { linkify, nickColour } from "./view_text.ts";

/** What the view asks the app to do when the user clicks. */
export interface ViewActions {
  switchTo(key: string): void;
  closeBuffer(b: Buffer): void;
  openQuery(nick: string): void;
  join(channel: string): void;
  /** Whether we are logged in to an account (a guest's private history ends with it). */
  loggedIn(): boolean;
  /** What the server lets us do with a message (by the capabilities it enabled). */
  can(what: "reply" | "react" | "redact", b: Buffer, line: Line): boolean;
  reply(b: Buffer, line: Line): void;
  react(b: Buffer, line: Line, emoji: string): void;
  redact(b: Buffer, line: Line): void;
  /** The server's upload URL, for inline images ("" for none). */
  uploadUrl(): string;
  removeFriend(nick: string): void;
}

/** mIRC colours that are unreadable without a backdrop on a light page (white, yellow...). */
const LIGHT_COLOURS = new Set([0, 8, 9, 11, 15]);
/** ... and on a dark page (black, navy, maroon...). */
const DARK_COLOURS = new Set([1, 2, 5, 6, 12, 14]);

const EVENT_TYPES = new Set(["join", "part", "quit", "kick", "nick", "topic", "mode"]);

/** Draws the chat; keeps what is on screen to append instead of redrawing. */
export class View {
  #shown = { key: "", count: 0, lastId: "", marker: "" };
  #chat: () => Chat;
  #actions: ViewActions;

  constructor(chat: () => Chat, actions: ViewActions) {
    this.#chat = chat;
    this.#actions = actions;
  }

  /** Forces a full redraw of the messages next time (history came in above). */
  invalidate(): void {
    this.#shown.key = "";
  }

  render(meText: string): void {
    this.renderBuffers();
    this.renderHeader();
    this.renderMessages();
    this.renderMembers();
    this.renderFriends();
    this.renderTyping();
    $("me").textContent = meText;
  }

  renderBuffers(): void {
    const chat = this.#chat();
    const list = $("buffer-list");
    list.replaceChildren();
    let total = 0;
    for (const b of chat.buffers.values()) {
      const li = el("li");
      li.dataset.key = b.key;
      if (b.key === chat.active) li.classList.add("active");
      if (b.unread > 0) li.classList.add("unread");
      if (b.kind === "channel" && !b.joined) li.classList.add("parted");
      const open = el("button", "open");
      open.type = "button";
      open.append(el("span", "name", b.kind === "server" ? "Server" : b.name));
      if (b.mentions > 0) open.append(el("span", "badge mention", String(b.mentions)));
      // a private chat's lines are all mentions: one red badge says it all
      if (b.unread > b.mentions) open.append(el("span", "badge unread", String(b.unread)));
      open.addEventListener("click", () => this.#actions.switchTo(b.key));
      li.append(open);
      if (b.kind !== "server") {
        const close = el("button", "close", "×");
        close.type = "button";
        close.title = b.kind === "channel" && b.joined ? `Leave ${b.name}` : "Close";
        close.addEventListener("click", () => this.#actions.closeBuffer(b));
        li.append(close);
      }
      list.append(li);
      total += b.mentions;
    }
    document.title = total > 0 ? `(${total}) deno-chat` : "deno-chat";
  }

  renderHeader(): void {
    const chat = this.#chat();
    const b = chat.buffers.get(chat.active)!;
    $("title").textContent = b.kind === "server" ? "Server" : b.name;
    const topic = $("topic");
    topic.replaceChildren(...textNodes(b.kind === "channel" ? b.topic : ""));
    topic.title = b.topic;
    $("members-button").hidden = b.kind !== "channel";
  }

  renderMessages(): void {
    const chat = this.#chat();
    const box = $("messages");
    const b = chat.buffers.get(chat.active)!;
    const lines = b.lines;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const s = this.#shown;
    const canAppend = s.key === b.key && s.count <= lines.length && s.marker === b.markerAfter &&
      (s.count === 0 || lines[s.count - 1]?.id === s.lastId);
    const marker = b.markerAfter !== "" && b.markerAfter !== lines.at(-1)?.id ? b.markerAfter : "";
    if (canAppend) {
      for (let i = s.count; i < lines.length; i++) {
        box.append(...lineNodes(b, lines[i], lines[i - 1], this.#actions));
      }
    } else {
      const sameBuffer = s.key === b.key;
      const fromBottom = box.scrollHeight - box.scrollTop;
      box.replaceChildren();
      if (b.history.exhausted && b.kind !== "server") {
        box.append(el("div", "history-note", "Start of the conversation"));
      }
      if (b.kind === "query" && !this.#actions.loggedIn()) {
        box.append(el(
          "div",
          "history-note guest-note",
          "You are not logged in: this private conversation is kept only while you are connected (/register keeps it).",
        ));
      }
      for (let i = 0; i < lines.length; i++) {
        box.append(...lineNodes(b, lines[i], lines[i - 1], this.#actions));
        if (marker !== "" && lines[i].id === marker) {
          box.append(el("div", "unread-marker", "New since you last looked"));
        }
      }
      // older lines came in above: keep what the reader was looking at in place
      if (sameBuffer && !atBottom) box.scrollTop = box.scrollHeight - fromBottom;
    }
    this.#shown = {
      key: b.key,
      count: lines.length,
      lastId: lines.at(-1)?.id ?? "",
      marker: b.markerAfter,
    };
    if (atBottom || !canAppend && s.key !== b.key) box.scrollTop = box.scrollHeight;
  }

  renderMembers(): void {
    const chat = this.#chat();
    const b = chat.buffers.get(chat.active)!;
    const list = $("member-list");
    list.replaceChildren();
    if (b.kind !== "channel") {
      $("member-count").textContent = "";
      return;
    }
    const members = chat.sortedMembers(b);
    $("member-count").textContent = `${members.length} ${
      members.length === 1 ? "member" : "members"
    }`;
    for (const m of members) {
      const li = el("li");
      const button = el("button");
      button.type = "button";
      const away = chat.away.get(fold(m.nick));
      button.title = away === undefined
        ? `Talk privately with ${m.nick}`
        : `${m.nick} is away: ${away}`;
      if (away !== undefined) li.classList.add("away");
      button.append(el("span", "prefix", m.prefix.slice(0, 1)));
      button.append(...withIdentity(m.nick, el("span", `nick nc${nickColour(m.nick)}`, m.nick)));
      button.addEventListener("click", () => {
        if (fold(m.nick) !== fold(chat.me)) this.#actions.openQuery(m.nick);
      });
      li.append(button);
      list.append(li);
    }
  }

  /** The friends list (MONITOR): who is online first. */
  renderFriends(): void {
    const chat = this.#chat();
    const box = $("friends");
    box.hidden = chat.monitorLimit === 0;
    const list = $("friend-list");
    list.replaceChildren();
    const friends = [...chat.friends.values()].sort((x, y) =>
      Number(y.online === true) - Number(x.online === true) ||
      x.nick.toLowerCase().localeCompare(y.nick.toLowerCase())
    );
    for (const f of friends) {
      const li = el("li");
      const state = f.online === true
        ? (chat.away.has(fold(f.nick)) ? "away" : "online")
        : f.online === false
        ? "offline"
        : "unknown";
      li.classList.add(state);
      li.dataset.nick = f.nick;
      const open = el("button", "open");
      open.type = "button";
      open.title = state === "online"
        ? `${f.nick} is online: talk privately`
        : state === "away"
        ? `${f.nick} is away: ${chat.away.get(fold(f.nick))}`
        : `${f.nick} is offline`;
      open.append(el("span", "dot"), el("span", "name", f.nick));
      open.addEventListener("click", () => this.#actions.openQuery(f.nick));
      const remove = el("button", "close", "×");
      remove.type = "button";
      remove.title = `Remove ${f.nick} from friends`;
      remove.addEventListener("click", () => this.#actions.removeFriend(f.nick));
      li.append(open, remove);
      list.append(li);
    }
  }

  renderTyping(): void {
    const chat = this.#chat();
    const b = chat.buffers.get(chat.active);
    const nicks = b ? chat.typingIn(b) : [];
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

/** Plain text with safe links, as DOM nodes; control characters (which show as boxes) go. */
export function textNodes(raw: string): Node[] {
  // deno-lint-ignore no-control-regex -- these are exactly what is removed
  const text = raw.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "").replace(/\t/g, " ");
  return linkify(text).map((seg) => {
    if (seg.kind === "text") return document.createTextNode(seg.text);
    const a = el("a", "", seg.text);
    a.href = seg.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  });
}

/**
 * Formatted text as DOM nodes: each styled run a span with classes from the fixed palette
 * (links found inside runs as in plain text).
 */
function formattedNodes(raw: string): Node[] {
  const out: Node[] = [];
  for (const run of formatRuns(raw)) {
    const st = run.style;
    const classes: string[] = [];
    if (st.bold) classes.push("f-b");
    if (st.italic) classes.push("f-i");
    if (st.underline) classes.push("f-u");
    if (st.strike) classes.push("f-s");
    if (st.mono) classes.push("f-m");
    // the 16 base colours (extended and hex ones as the nearest of them); reverse video is
    // ignored, and a background equal to the text's goes: nothing can be hidden
    const fg = nearestBaseColour(st.fg);
    let bg = nearestBaseColour(st.bg);
    if (bg === fg) bg = undefined;
    if (fg !== undefined) classes.push(`fg${fg}`);
    if (bg !== undefined) classes.push(`bg${bg}`);
    else if (fg !== undefined) {
      if (LIGHT_COLOURS.has(fg)) classes.push("fg-light");
      if (DARK_COLOURS.has(fg)) classes.push("fg-dark");
    }
    if (classes.length === 0) out.push(...textNodes(run.text));
    else {
      const span = el("span", classes.join(" "));
      span.append(...textNodes(run.text));
      out.push(span);
    }
  }
  return out;
}

function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() &&
    x.getDate() === y.getDate();
}

function lineNodes(b: Buffer, line: Line, prev: Line | undefined, actions: ViewActions): Node[] {
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
    div.append(
      ...withIdentity(line.nick, el("span", `nick nc${nickColour(line.nick)}`, line.nick)),
    );
  } else if (line.type === "action" || event) {
    text.append(event ? "→ " : "* ");
    text.append(el("span", `nick nc${nickColour(line.nick)}`, line.nick), " ");
  }
  if (line.replyTo !== undefined && !line.redacted) text.append(replyQuote(b, line.replyTo));
  if (line.redacted) text.append(el("span", "redacted", "message deleted"));
  else {
    text.append(
      ...(line.formatted !== undefined ? formattedNodes(line.formatted) : textNodes(line.text)),
    );
  }
  if (!line.redacted) {
    const up = actions.uploadUrl();
    for (const seg of up === "" ? [] : linkify(line.text)) {
      if (seg.kind !== "link" || !isInlineImage(seg.href, up, location.origin)) continue;
      const a = el("a", "preview");
      a.href = seg.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      const img = el("img");
      img.src = seg.href;
      img.alt = "";
      img.loading = "lazy";
      img.addEventListener("error", () => a.remove());
      a.append(img);
      text.append(a);
    }
  }
  if (line.reactions && line.reactions.size > 0) {
    const row = el("div", "reactions");
    for (const [emoji, nicks] of line.reactions) {
      const chip = el("button", "reaction", `${emoji} ${nicks.length}`);
      chip.type = "button";
      chip.title = `${nicks.join(", ")} reacted with ${emoji}`;
      chip.dataset.emoji = emoji;
      chip.disabled = !actions.can("react", b, line);
      chip.addEventListener("click", () => actions.react(b, line, emoji));
      row.append(chip);
    }
    text.append(row);
  }
  if (line.invite !== undefined) {
    const channel = line.invite;
    const join = el("button", "invite-join", `Join ${channel}`);
    join.type = "button";
    join.addEventListener("click", () => actions.join(channel));
    text.append(" ", join);
  }
  div.append(text);
  const tools = lineActions(b, line, actions);
  if (tools) div.append(tools);
  out.push(div);
  return out;
}

/** The quoted start of the message replied to; a click jumps to it. */
function replyQuote(b: Buffer, id: string): HTMLElement {
  const original = b.lines.find((l) => l.id === id);
  const quote = el("button", "reply-quote");
  quote.type = "button";
  quote.dataset.replyTo = id;
  if (!original) {
    quote.textContent = "↪ an earlier message";
    quote.disabled = true;
    return quote;
  }
  const start = original.redacted ? "message deleted" : original.text.split("\n")[0];
  quote.append("↪ ", el("span", `nick nc${nickColour(original.nick)}`, original.nick), " ");
  quote.append(start.length > 80 ? start.slice(0, 80) + "…" : start);
  quote.title = "Go to the message";
  quote.addEventListener("click", () => jumpToLine(id));
  return quote;
}

/** Scrolls to a line of the open conversation and flashes it; false if it is not shown. */
export function jumpToLine(id: string): boolean {
  const target = [...document.querySelectorAll<HTMLElement>("#messages .line")].find((x) =>
    x.dataset.id === id
  );
  if (!target) return false;
  target.scrollIntoView({ block: "center" });
  target.classList.remove("flash");
  void target.offsetWidth; // restart the animation
  target.classList.add("flash");
  return true;
}

/** Reply, react and delete, shown on hover (and focus) for a message the server gave an id. */
function lineActions(b: Buffer, line: Line, actions: ViewActions): HTMLElement | undefined {
  const says = line.type === "message" || line.type === "action" || line.type === "notice";
  if (!says || line.redacted || line.id.startsWith("local-")) return undefined;
  const box = el("div", "line-actions");
  const button = (label: string, cls: string, title: string, fn: () => void) => {
    const x = el("button", cls, label);
    x.type = "button";
    x.title = title;
    x.setAttribute("aria-label", title);
    x.addEventListener("click", (ev) => {
      ev.stopPropagation();
      fn();
    });
    box.append(x);
    return x;
  };
  if (actions.can("reply", b, line)) {
    button("↪", "act-reply", "Reply", () => actions.reply(b, line));
  }
  if (actions.can("react", b, line)) {
    const picker = el("div", "picker");
    picker.hidden = true;
    for (const emoji of QUICK_REACTIONS) {
      const x = el("button", "pick", emoji);
      x.type = "button";
      x.title = `React with ${emoji}`;
      x.addEventListener("click", (ev) => {
        ev.stopPropagation();
        picker.hidden = true;
        actions.react(b, line, emoji);
      });
      picker.append(x);
    }
    button("☺", "act-react", "React", () => {
      picker.hidden = !picker.hidden;
    });
    box.append(picker);
  }
  if (actions.can("redact", b, line)) {
    button("🗑", "act-delete", "Delete", () => actions.redact(b, line));
  }
  return box.childElementCount > 0 ? box : undefined;
}
