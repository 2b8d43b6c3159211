import assert from "node:assert/strict";
import { formatSpans } from "../../lib/tui/irc_format.ts";

Deno.test("formatSpans() shows bold, italics, underline and strikethrough, and a reset ends them", () => {
  assert.deepEqual(formatSpans("\x02b\x1di\x1fu\x1es\x0f plain"), [
    { text: "b", style: "1" },
    { text: "i", style: "1;3" },
    { text: "u", style: "1;3;4" },
    { text: "s", style: "1;3;4;9" },
    { text: " plain", style: "" },
  ]);
});

Deno.test("formatSpans() maps mIRC colours (base and extended) and hex colours", () => {
  assert.deepEqual(formatSpans("\x0312blue\x03 \x0352ext \x04FF8000hex"), [
    { text: "blue", style: "94" },
    { text: " ", style: "" },
    { text: "ext ", style: "38;5;196" },
    { text: "hex", style: "38;2;255;128;0" },
  ]);
});

Deno.test("formatSpans() never hides text: same colours, reverse video, lone backgrounds", () => {
  // text and background alike: the background is dropped
  assert.deepEqual(formatSpans("\x0301,01secret"), [{ text: "secret", style: "" }]);
  assert.deepEqual(formatSpans("\x0308,09close"), [{ text: "close", style: "93" }]);
  // reverse video is ignored
  assert.deepEqual(formatSpans("\x16rev\x16"), [{ text: "rev", style: "" }]);
  // a background alone gets readable text on it
  assert.deepEqual(formatSpans("\x0399,00on white"), [{ text: "on white", style: "30;107" }]);
  assert.deepEqual(formatSpans("\x0399,01on black"), [{ text: "on black", style: "97;40" }]);
  // black or white text alone uses the terminal's own colour
  assert.deepEqual(formatSpans("\x0301black \x0300white"), [{ text: "black white", style: "" }]);
  // contrasting text and background are kept
  assert.deepEqual(formatSpans("\x0300,02ok"), [{ text: "ok", style: "97;44" }]);
});

Deno.test("formatSpans() adds to the line's own style and sanitises the text", () => {
  assert.deepEqual(formatSpans("hi \x02ann\x1b[2J", "1;33"), [
    { text: "hi ", style: "1;33" },
    { text: "ann^[[2J", style: "1;33;1" },
  ]);
});

Deno.test("formatSpans() treats a colour code without digits as a colour reset", () => {
  assert.deepEqual(formatSpans("\x0304red\x03,5 not a colour"), [
    { text: "red", style: "91" },
    { text: ",5 not a colour", style: "" },
  ]);
});
