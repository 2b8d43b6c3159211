import assert from "node:assert/strict";
import { KeyDecoder } from "../../lib/tui/keys.ts";

Deno.test("KeyDecoder groups typed characters into one text event", () => {
  assert.deepEqual(new KeyDecoder().feed("héllo 日本"), [{ type: "text", text: "héllo 日本" }]);
});

Deno.test("KeyDecoder decodes arrows, Home/End and Delete in CSI and SS3 forms", () => {
  const keys = new KeyDecoder().feed(
    "\x1b[A\x1b[B\x1b[C\x1b[D\x1bOH\x1b[F\x1b[1~\x1b[4~\x1b[3~\x1b[5~\x1b[6~",
  );
  assert.deepEqual(keys.map((k) => k.type === "key" ? k.name : "?"), [
    "up",
    "down",
    "right",
    "left",
    "home",
    "end",
    "home",
    "end",
    "delete",
    "pageup",
    "pagedown",
  ]);
});

Deno.test("KeyDecoder decodes Ctrl+letters, Enter, Tab and both Backspace codes", () => {
  assert.deepEqual(new KeyDecoder().feed("\x17\x15\r\t\x7f\x08\x03"), [
    { type: "ctrl", char: "w" },
    { type: "ctrl", char: "u" },
    { type: "key", name: "enter" },
    { type: "key", name: "tab" },
    { type: "key", name: "backspace" },
    { type: "key", name: "backspace" },
    { type: "ctrl", char: "c" },
  ]);
});

Deno.test("KeyDecoder decodes Alt+digit as ESC followed by the digit", () => {
  assert.deepEqual(new KeyDecoder().feed("\x1b2"), [{ type: "alt", char: "2" }]);
});

Deno.test("KeyDecoder decodes Ctrl+Right with its modifier parameter", () => {
  assert.deepEqual(new KeyDecoder().feed("\x1b[1;5C"), [{
    type: "key",
    name: "right",
    shift: false,
    alt: false,
    ctrl: true,
  }]);
});

Deno.test("KeyDecoder holds a sequence split across reads until it completes", () => {
  const d = new KeyDecoder();
  assert.deepEqual(d.feed("a\x1b["), [{ type: "text", text: "a" }]);
  assert.equal(d.pending, true);
  assert.deepEqual(d.feed("D"), [{ type: "key", name: "left" }]);
});

Deno.test("KeyDecoder turns a lone ESC into Escape only on flush", () => {
  const d = new KeyDecoder();
  assert.deepEqual(d.feed("\x1b"), []);
  assert.deepEqual(d.flush(), [{ type: "key", name: "escape" }]);
});

Deno.test("KeyDecoder returns a bracketed paste as one event, even split across reads", () => {
  const d = new KeyDecoder();
  assert.deepEqual(d.feed("x\x1b[200~line one\nline"), [{ type: "text", text: "x" }]);
  assert.deepEqual(d.feed(" two\x1b[20"), []);
  assert.deepEqual(d.feed("1~y"), [
    { type: "paste", text: "line one\nline two" },
    { type: "text", text: "y" },
  ]);
});

Deno.test("KeyDecoder ignores unknown escape sequences", () => {
  assert.deepEqual(new KeyDecoder().feed("\x1b[99zok"), [{ type: "text", text: "ok" }]);
});
