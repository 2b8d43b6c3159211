/**
 * How lines, the status bar and the topic bar look: timestamps in grey, each nick in a
 * stable colour, mentions highlighted, quiet lines for joins/parts/quits/nick changes,
 * errors in red, IRC formatting of messages shown (irc_format.ts). Everything from the
 * network is sanitised here.
 *
 * @module
 */

import { casefold } from "../protocol/casemap.ts";
import type { ChatLine } from "../client/events.ts";
import { isQuietKind, STATUS_WINDOW } from "../client/events.ts";
import { lineStamp, timestamp } from "../client/format.ts";
import { formatSpans } from "./irc_format.ts";
import { sanitize } from "./sanitize.ts";
import { padToWidth, type Span, spansText, textWidth, truncateToWidth } from "./width.ts";

const NICK_COLOURS = ["31", "32", "33", "34", "35", "36", "91", "92", "93", "94", "95", "96"];

/**
 * The SGR colour of a nick: the same nick always gets the same colour.
 *
 * @example
 * ```ts
 * import { nickColour } from "./render.ts";
 * nickColour("alice") === nickColour("Alice"); // true
 * ```
 */
export function nickColour(nick: string): string {
  let h = 5381;
  const key = casefold(nick);
  for (let i = 0; i < key.length; i++) h = ((h * 33) ^ key.charCodeAt(i)) >>> 0;
  return NICK_COLOURS[h % NICK_COLOURS.length];
}

/**
 * A line ready for wrapping: its spans and the hanging indent of its continuation rows.
 *
 * @example
 * ```ts
 * import { renderLine, type RenderedLine } from "./render.ts";
 * const r: RenderedLine = renderLine({ time: new Date(), window: "#a", kind: "info", text: "x" });
 * ```
 */
export interface RenderedLine {
  /** The styled text. */
  spans: Span[];
  /** Columns to indent continuation rows by. */
  indent: number;
  /** One row shown above it: a reply's `↪ nick: start of original…`. */
  above?: Span[];
}

/**
 * The line drawn where the unread part of a window begins (a fixed object: the app puts it
 * among the lines it draws).
 *
 * @example
 * ```ts
 * import { MARKER_LINE } from "./render.ts";
 * MARKER_LINE.text; // "── new ──"
 * ```
 */
export const MARKER_LINE: ChatLine = {
  time: new Date(0),
  window: "",
  kind: "info",
  text: "── new ──",
};

/** How much of an original message a reply quotes. */
const QUOTE_COLUMNS = 48;

/**
 * The `↪ nick: start of original…` row of a reply; `parent` undefined when the original is
 * not in the window.
 *
 * @example
 * ```ts
 * import { replyQuote } from "./render.ts";
 * import { spansText } from "./width.ts";
 * spansText(replyQuote({ time: new Date(), window: "#a", kind: "message", nick: "bob",
 *   text: "line one\nline two" }, 4)); // "    ↪ bob: line one line two"
 * ```
 */
export function replyQuote(parent: ChatLine | undefined, indent: number): Span[] {
  const pad = { text: " ".repeat(indent), style: "" };
  if (!parent) return [pad, { text: "↪ (an earlier message not shown here)", style: "90" }];
  const body = parent.redacted ? "(message deleted)" : sanitize(parent.text.replace(/\s+/g, " "));
  const cut = truncateToWidth(body, QUOTE_COLUMNS);
  return [
    pad,
    { text: "↪ ", style: "90" },
    { text: sanitize(parent.nick ?? ""), style: "2;" + nickColour(parent.nick ?? "") },
    { text: ": " + cut + (cut.length < body.length ? "…" : ""), style: "90" },
  ];
}

/** The reactions of a line, compactly: ` [👍 2] [🎉 1]`. */
function reactionSpans(line: ChatLine): Span[] {
  if (!line.reactions || line.reactions.length === 0) return [];
  const shown = line.reactions.filter((r) => r.nicks.length > 0);
  return shown.map((r) => ({
    text: ` [${sanitize(r.reaction)} ${r.nicks.length}]`,
    style: "36",
  }));
}

/** A message's text: formatted, each of its lines (multiline) on a row of its own. */
function messageSpans(line: ChatLine, base: string): Span[] {
  if (line.redacted) return [{ text: "(message deleted)", style: "2;3" }];
  const out: Span[] = [];
  line.text.split("\n").forEach((piece, i) => {
    if (i > 0) out.push({ text: "\n", style: "" });
    out.push(...formatSpans(piece, base));
  });
  return out;
}

/**
 * Renders a chat line as styled spans.
 *
 * @example
 * ```ts
 * import { renderLine } from "./render.ts";
 * import { spansText } from "./width.ts";
 * const r = renderLine({ time: new Date(2024, 0, 1, 12, 1), window: "#a", kind: "message",
 *   nick: "alice", text: "hi" });
 * spansText(r.spans); // "[12:01] <alice> hi"
 * ```
 */
export function renderLine(line: ChatLine, parent?: ChatLine): RenderedLine {
  if (line === MARKER_LINE) {
    return { spans: [{ text: "──────── new ────────", style: "1;31" }], indent: 0 };
  }
  const r = renderLineSpans(line);
  if (line.replyTo !== undefined && (line.kind === "message" || line.kind === "action")) {
    r.above = replyQuote(parent, textWidth(lineStamp(line)) + 1);
  }
  if (!line.history) return r;
  // replayed history: every span faint, so it reads as the past, not as new messages
  return {
    spans: r.spans.map((s) => ({ ...s, style: s.style ? `2;${s.style}` : "2" })),
    indent: r.indent,
    ...(r.above ? { above: r.above } : {}),
  };
}

function renderLineSpans(line: ChatLine): RenderedLine {
  const ts: Span = { text: lineStamp(line) + " ", style: "90" };
  const text = sanitize(line.text);
  const nick = sanitize(line.nick ?? "");
  const spans: Span[] = [ts];
  let tsWidth = textWidth(ts.text);
  if (line.origin !== undefined) {
    // a search result: where it was said
    const where = sanitize(line.origin) + " ";
    spans.push({ text: where, style: "1" });
    tsWidth += textWidth(where);
  }
  switch (line.kind) {
    case "message": {
      const nickStyle = line.self
        ? "1"
        : line.highlight
        ? "1;7;" + nickColour(nick)
        : nickColour(nick);
      spans.push({ text: "<", style: "90" }, { text: nick, style: nickStyle }, {
        text: "> ",
        style: "90",
      });
      spans.push(...messageSpans(line, line.highlight ? "1;33" : ""), ...reactionSpans(line));
      return { spans, indent: tsWidth + textWidth(nick) + 3 };
    }
    case "action":
      spans.push(
        { text: "* ", style: "1" },
        { text: nick, style: line.self ? "1" : nickColour(nick) },
        { text: " ", style: "" },
        ...messageSpans(line, line.highlight ? "1;33" : ""),
        ...reactionSpans(line),
      );
      return { spans, indent: tsWidth + 2 };
    case "notice":
      spans.push(
        { text: "-", style: "35" },
        { text: nick === "" ? "!" : nick, style: "1;35" },
        { text: "- ", style: "35" },
        ...messageSpans(line, ""),
      );
      return { spans, indent: tsWidth + textWidth(nick) + 3 };
    case "error":
      spans.push({ text: "!! ", style: "1;31" }, { text, style: "31" });
      return { spans, indent: tsWidth + 3 };
    default: {
      const quiet = isQuietKind(line.kind);
      spans.push({ text: "-- ", style: "90" }, { text, style: quiet ? "90" : "" });
      return { spans, indent: tsWidth + 3 };
    }
  }
}

/**
 * What the status bar shows.
 *
 * @example
 * ```ts
 * import type { StatusInfo } from "./render.ts";
 * const s: StatusInfo = { now: new Date(), nick: "ann", server: "h:1", state: "connected",
 *   windowNumber: 1, windowName: "#a", activity: [], scrolled: false };
 * ```
 */
export interface StatusInfo {
  /** The time now. */
  now: Date;
  /** Our nick. */
  nick: string;
  /** "host:port". */
  server: string;
  /** "connected", "connecting", ... */
  state: string;
  /** Lag in ms, if known. */
  lagMs?: number;
  /** The shown window's number and name. */
  windowNumber: number;
  /** The shown window's name. */
  windowName: string;
  /** Other windows with news. */
  activity: { number: number; unread: number; highlight: boolean }[];
  /** The view is scrolled back. */
  scrolled: boolean;
  /** Nicks of the notify list that are online. */
  online?: string[];
  /** An upload in progress: what and how far ("cat.png 40%"). */
  upload?: string;
}

/**
 * Renders the status bar, padded to `width` columns, in reverse video.
 *
 * @example
 * ```ts
 * import { renderStatus } from "./render.ts";
 * import { spansText } from "./width.ts";
 * const s = renderStatus({ now: new Date(2024, 0, 1, 9, 0), nick: "ann", server: "h:1",
 *   state: "connected", lagMs: 5, windowNumber: 2, windowName: "#a", activity: [],
 *   scrolled: false }, 60);
 * spansText(s).trimEnd(); // "[09:00] [ann] [2:#a] [lag 5ms] [h:1]"
 * ```
 */
export function renderStatus(info: StatusInfo, width: number): Span[] {
  const base = "7";
  const spans: Span[] = [];
  const add = (text: string, style = base) => spans.push({ text, style });
  add(`${timestamp(info.now)} [${sanitize(info.nick)}] [${info.windowNumber}:`);
  add(sanitize(displayName(info.windowName)), base + ";1");
  add("]");
  if (info.activity.length > 0) {
    add(" [Act: ");
    info.activity.forEach((a, i) => {
      if (i > 0) add(",");
      add(a.highlight ? `${a.number}!` : String(a.number), a.highlight ? base + ";1;33" : base);
    });
    add("]");
  }
  if (info.scrolled) add(" [more below: PgDn]", base + ";1");
  if (info.upload !== undefined) add(` [upload ${sanitize(info.upload)}]`, base + ";1");
  if (info.online && info.online.length > 0) {
    add(` [online: ${info.online.map(sanitize).join(",")}]`);
  }
  if (info.state !== "connected") add(` [${info.state}]`, base + ";31");
  else if (info.lagMs !== undefined) add(` [lag ${formatLag(info.lagMs)}]`);
  add(` [${info.server}]`);
  return fitSpans(spans, width, base);
}

/**
 * Renders the top bar: the channel topic, or the server for the status window.
 *
 * @example
 * ```ts
 * import { renderTopic } from "./render.ts";
 * import { spansText } from "./width.ts";
 * spansText(renderTopic("#a", "hello", 20)).trimEnd(); // "#a: hello"
 * ```
 */
export function renderTopic(windowName: string, topic: string, width: number): Span[] {
  const text = windowName === STATUS_WINDOW
    ? topic
    : `${sanitize(windowName)}${topic === "" ? "" : ": " + sanitize(topic)}`;
  return fitSpans([{ text, style: "7" }], width, "7");
}

/**
 * The name shown for a window ("status" for the status window).
 *
 * @example
 * ```ts
 * import { displayName } from "./render.ts";
 * displayName("#lobby"); // "#lobby"
 * ```
 */
export function displayName(name: string): string {
  return name === STATUS_WINDOW ? "status" : name;
}

/**
 * Lag as "12ms" or "1.2s".
 *
 * @example
 * ```ts
 * import { formatLag } from "./render.ts";
 * formatLag(1234); // "1.2s"
 * ```
 */
export function formatLag(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** Cuts spans to `width` columns and pads with `padStyle` to exactly `width`. */
function fitSpans(spans: Span[], width: number, padStyle: string): Span[] {
  const out: Span[] = [];
  let used = 0;
  for (const s of spans) {
    if (used >= width) break;
    const t = truncateToWidth(s.text, width - used);
    out.push({ text: t, style: s.style });
    used += textWidth(t);
  }
  if (used < width) out.push({ text: padToWidth("", width - used), style: padStyle });
  return out;
}

/**
 * The prompt before the input line: `[#lobby] `.
 *
 * @example
 * ```ts
 * import { renderPrompt } from "./render.ts";
 * import { spansText } from "./width.ts";
 * spansText(renderPrompt("#lobby", 80)); // "[#lobby] "
 * ```
 */
export function renderPrompt(windowName: string, maxWidth: number): Span[] {
  const name = truncateToWidth(sanitize(displayName(windowName)), Math.max(1, maxWidth - 3));
  const spans = [{ text: `[${name}] `, style: "1" }];
  return spansText(spans).length > 0 ? spans : [];
}

/**
 * The member list pane of a channel window: one row per member (status symbol, nick in its
 * colour, dim when away), `height` rows at most, the last saying how many more there are
 * when they do not fit; each row exactly `width` columns.
 *
 * @example
 * ```ts
 * import { renderMemberPane } from "./render.ts";
 * import { spansText } from "./width.ts";
 * const rows = renderMemberPane([{ nick: "ann", prefixes: "@" }, { nick: "bob", prefixes: "" }], 8, 5);
 * rows.map(spansText); // ["@ann    ", " bob    "]
 * ```
 */
export function renderMemberPane(
  members: readonly { nick: string; prefixes: string; away?: boolean }[],
  width: number,
  height: number,
): Span[][] {
  const rows: Span[][] = [];
  const fits = members.length <= height ? members.length : height - 1;
  for (let i = 0; i < fits; i++) {
    const m = members[i];
    rows.push(fitSpans(
      [
        { text: m.prefixes[0] ?? " ", style: "1" },
        // away members dimmed, as most clients show them
        { text: sanitize(m.nick), style: m.away ? `2;${nickColour(m.nick)}` : nickColour(m.nick) },
      ],
      width,
      "",
    ));
  }
  if (fits < members.length) {
    rows.push(fitSpans([{ text: `+${members.length - fits} more`, style: "2" }], width, ""));
  }
  return rows;
}

/**
 * The width of the member pane for these members: room for a status symbol and the longest
 * nick, between 8 and 20 columns.
 *
 * @example
 * ```ts
 * import { memberPaneWidth } from "./render.ts";
 * memberPaneWidth([{ nick: "ann", prefixes: "@" }]); // 8
 * ```
 */
export function memberPaneWidth(members: readonly { nick: string; prefixes: string }[]): number {
  let widest = 0;
  for (const m of members) widest = Math.max(widest, textWidth(sanitize(m.nick)));
  return Math.min(20, Math.max(8, widest + 1));
}
