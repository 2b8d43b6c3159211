import { deepStrictEqual as assertEquals, strictEqual } from "node:assert/strict";
import { parseServerArgs } from "../../lib/server/cli.ts";
import { LOCAL_EVENTS } from "../../lib/server/events.ts";
import { loggedEvents, Logger, type LogLevel, logReason } from "../../lib/server/log.ts";

function capture(options: { format?: "text" | "json"; quiet?: boolean } = {}) {
  const lines: [string, LogLevel][] = [];
  const log = new Logger({ ...options, write: (l, level) => lines.push([l, level]) });
  return { log, lines };
}

Deno.test("Logger text lines quote values with spaces, quotes, '=' or control characters (no forged lines)", () => {
  const { log, lines } = capture();
  log.info("disconnect", {
    nick: "amy",
    reason: "Ping timeout: 120 seconds",
    forged: "x\n2020-01-01T00:00:00.000Z oper name=root",
    eq: "a=b",
    empty: "",
    gone: undefined,
    n: 5,
  });
  strictEqual(
    lines[0][0].slice(24),
    ' disconnect nick=amy reason="Ping timeout: 120 seconds"' +
      ' forged="x\\n2020-01-01T00:00:00.000Z oper name=root" eq="a=b" empty="" n=5',
  );
  strictEqual(lines[0][1], "info");
  log.warn("store-slow", { ms: 300 });
  strictEqual(lines[1][0].slice(24), " WARN store-slow ms=300");
  strictEqual(lines[1][1], "warn");
});

Deno.test("Logger JSON lines are one object each: time, level, event, then the fields", () => {
  const { log, lines } = capture({ format: "json" });
  log.info("kick", { channel: '#a"b', nick: "bob", reason: undefined, n: 2, ok: true });
  const o = JSON.parse(lines[0][0]);
  assertEquals(Object.keys(o), ["time", "level", "event", "channel", "nick", "n", "ok"]);
  assertEquals([o.level, o.event, o.channel, o.n, o.ok], ["info", "kick", '#a"b', 2, true]);
  log.notice("listening on 127.0.0.1:6667");
  assertEquals(JSON.parse(lines[1][0]).text, "listening on 127.0.0.1:6667");
});

Deno.test("Logger quiet: no info lines; notices, warnings and errors still", () => {
  const { log, lines } = capture({ quiet: true });
  log.info("connect", { ip: "10.0.0.1" });
  log.notice("listening");
  log.error("session-error", { error: "boom" });
  assertEquals(lines.map(([l, level]) => [l.replace(/^\S+Z /, ""), level]), [
    ["listening", "notice"],
    ["ERROR session-error error=boom", "error"],
  ]);
  strictEqual(loggedEvents(LOCAL_EVENTS, log), LOCAL_EVENTS);
});

Deno.test("logReason() keeps a user's quit message out and the server's reasons in", () => {
  strictEqual(logReason("Quit: my secret"), "Quit");
  strictEqual(logReason("Client Quit"), "Quit");
  strictEqual(logReason("SendQ exceeded"), "SendQ exceeded");
});

Deno.test("parseServerArgs() takes --quiet and --log-format, and refuses an unknown format", () => {
  const r = parseServerArgs(["--quiet", "--log-format", "json"]);
  strictEqual(r.kind === "run" && r.config.quiet && r.config.logFormat, "json");
  const d = parseServerArgs([]);
  strictEqual(d.kind === "run" && !d.config.quiet && d.config.logFormat, "text");
  assertEquals(parseServerArgs(["--log-format", "xml"]), {
    kind: "error",
    message: "--log-format is text or json, got 'xml'",
  });
});
