import assert from "node:assert/strict";
import { commandNames, helpLines, parseInput } from "../../lib/shared/input_commands.ts";

const chan = { target: "#lobby" };

Deno.test("parseInput() says plain text to the current window", () => {
  assert.deepEqual(parseInput("hello", chan), { kind: "say", target: "#lobby", text: "hello" });
});

Deno.test("parseInput() sends a double slash as literal text", () => {
  assert.deepEqual(parseInput("//not a command", chan), {
    kind: "say",
    target: "#lobby",
    text: "/not a command",
  });
});

Deno.test("parseInput() refuses to say text in the status window", () => {
  assert.equal(parseInput("hi", {}).kind, "error");
});

Deno.test("parseInput() gives a hint for an unknown command and sends nothing", () => {
  assert.deepEqual(parseInput("/frob x", chan), {
    kind: "error",
    text: "Unknown command /frob. Type /help for a list.",
  });
});

Deno.test("parseInput() reads /join with several channels and a key", () => {
  assert.deepEqual(parseInput("/join #a,b secret", chan), {
    kind: "join",
    channels: ["#a", "#b"],
    keys: "secret",
  });
});

Deno.test("parseInput() parts the current channel or a named one", () => {
  assert.deepEqual(parseInput("/part", chan), {
    kind: "send",
    messages: [{ tags: {}, source: undefined, command: "PART", params: ["#lobby"] }],
  });
  const named = parseInput("/part #x gone home", chan);
  assert.equal(named.kind, "send");
  if (named.kind === "send") assert.deepEqual(named.messages[0].params, ["#x", "gone home"]);
});

Deno.test("parseInput() reads /msg, /query and /me", () => {
  assert.deepEqual(parseInput("/msg bob hi there", chan), {
    kind: "say",
    target: "bob",
    text: "hi there",
  });
  assert.deepEqual(parseInput("/query bob", chan), { kind: "query", nick: "bob", text: undefined });
  assert.deepEqual(parseInput("/me waves", chan), {
    kind: "action",
    target: "#lobby",
    text: "waves",
  });
});

Deno.test("parseInput() shows usage when a command lacks its argument", () => {
  assert.deepEqual(parseInput("/msg bob", chan), {
    kind: "error",
    text: "Usage: /msg nick|#channel text",
  });
  assert.equal(parseInput("/nick", chan).kind, "error");
});

Deno.test("parseInput() builds TOPIC, KICK, MODE and INVITE for the current channel", () => {
  const params = (line: string) => {
    const a = parseInput(line, chan);
    assert.equal(a.kind, "send");
    return a.kind === "send" ? [a.messages[0].command, ...a.messages[0].params] : [];
  };
  assert.deepEqual(params("/topic new topic here"), ["TOPIC", "#lobby", "new topic here"]);
  assert.deepEqual(params("/topic"), ["TOPIC", "#lobby"]);
  assert.deepEqual(params("/kick bob spam"), ["KICK", "#lobby", "bob", "spam"]);
  assert.deepEqual(params("/kick #x bob"), ["KICK", "#x", "bob"]);
  assert.deepEqual(params("/mode +o bob"), ["MODE", "#lobby", "+o", "bob"]);
  assert.deepEqual(params("/invite bob"), ["INVITE", "bob", "#lobby"]);
  assert.deepEqual(params("/names"), ["NAMES", "#lobby"]);
  assert.deepEqual(params("/whois bob"), ["WHOIS", "bob"]);
  assert.deepEqual(params("/who #lobby"), ["WHO", "#lobby"]);
  assert.deepEqual(params("/list"), ["LIST"]);
  assert.deepEqual(params("/away lunch"), ["AWAY", "lunch"]);
  assert.deepEqual(params("/back"), ["AWAY"]);
});

Deno.test("parseInput() asks for a channel name when channel commands run outside a channel", () => {
  assert.equal(parseInput("/topic", { target: "bob" }).kind, "error");
  assert.equal(parseInput("/kick bob", {}).kind, "error");
});

Deno.test("parseInput() reads /quote, /win, /clear, /help and /quit", () => {
  assert.deepEqual(parseInput("/quote PRIVMSG #a :raw", chan), {
    kind: "raw",
    line: "PRIVMSG #a :raw",
  });
  assert.deepEqual(parseInput("/win 3", chan), { kind: "window", which: 3 });
  assert.deepEqual(parseInput("/clear", chan), { kind: "clear" });
  assert.deepEqual(parseInput("/help join", chan), { kind: "help", topic: "join" });
  assert.deepEqual(parseInput("/quit see you", chan), { kind: "quit", reason: "see you" });
  assert.deepEqual(parseInput("/QUIT", chan), { kind: "quit", reason: undefined });
});

Deno.test("helpLines() lists every command, and one command's usage on request", () => {
  const all = helpLines().join("\n");
  for (const name of commandNames()) assert.ok(all.includes(name), name);
  assert.deepEqual(helpLines("j"), ["/join #channel[,#other] [key]  join channels"]);
  assert.match(helpLines("nope")[0], /no command/);
});

Deno.test("parseInput() turns /ban into MODE +b, a bare nick into nick!*@*", () => {
  assert.deepEqual(parseInput("/ban bob", chan), {
    kind: "send",
    messages: [{
      tags: {},
      source: undefined,
      command: "MODE",
      params: ["#lobby", "+b", "bob!*@*"],
    }],
  });
  assert.deepEqual(parseInput("/ban #x *!*@bad.host", {}), {
    kind: "send",
    messages: [{
      tags: {},
      source: undefined,
      command: "MODE",
      params: ["#x", "+b", "*!*@bad.host"],
    }],
  });
  assert.equal(parseInput("/ban bob", {}).kind, "error");
});

Deno.test("parseInput() reads /ignore and /unignore", () => {
  assert.deepEqual(parseInput("/ignore spammer", chan), { kind: "ignore", nick: "spammer" });
  assert.deepEqual(parseInput("/ignore", chan), { kind: "ignore", nick: undefined });
  assert.deepEqual(parseInput("/unignore spammer", chan), { kind: "unignore", nick: "spammer" });
  assert.equal(parseInput("/unignore", chan).kind, "error");
});
