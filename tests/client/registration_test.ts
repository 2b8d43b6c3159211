import assert from "node:assert/strict";
import { parseMessage } from "../../lib/protocol/message.ts";
import { Registration, type RegStep } from "../../lib/client/registration.ts";

function feed(reg: Registration, line: string): RegStep | undefined {
  const msg = parseMessage(line);
  assert.ok(msg, line);
  return reg.handle(msg);
}

Deno.test("Registration.begin() opens with CAP LS 302, NICK and USER", () => {
  const reg = new Registration({ nick: "ann-x", realname: "Ann" });
  assert.deepEqual(reg.begin(false), ["CAP LS 302", "NICK ann-x", "USER annx 0 * Ann"]);
});

Deno.test("Registration asks only for offered caps, across a multi-line CAP LS, then ends CAP on ACK", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  assert.deepEqual(feed(reg, ":srv CAP * LS * :server-time foo")!.send, []);
  const ls = feed(reg, ":srv CAP * LS :batch echo-message=x message-tags")!;
  assert.deepEqual(ls.send, ["CAP REQ :server-time echo-message batch message-tags"]);
  const ack = feed(reg, ":srv CAP * ACK :server-time echo-message batch message-tags")!;
  assert.deepEqual(ack.send, ["CAP END"]);
  assert.deepEqual([...reg.caps], ["server-time", "echo-message", "batch", "message-tags"]);
});

Deno.test("Registration ends CAP at once when nothing wanted is offered, and on NAK", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  assert.deepEqual(feed(reg, ":srv CAP * LS :foo bar")!.send, ["CAP END"]);
  assert.deepEqual(feed(reg, ":srv CAP * NAK :server-time")!.send, ["CAP END"]);
});

Deno.test("Registration logs in with SASL PLAIN before CAP END and keeps the credentials", () => {
  const reg = new Registration({ nick: "ann", sasl: { account: "ann", password: "pw" } });
  reg.begin(false);
  assert.deepEqual(feed(reg, ":srv CAP * LS :sasl=PLAIN,EXTERNAL")!.send, ["CAP REQ sasl"]);
  assert.deepEqual(feed(reg, ":srv CAP * ACK :sasl")!.send, ["AUTHENTICATE PLAIN"]);
  assert.deepEqual(feed(reg, "AUTHENTICATE +")!.send, [
    `AUTHENTICATE ${btoa("\0ann\0pw")}`,
  ]);
  const logged = feed(reg, ":srv 900 ann ann!a@h ann :You are now logged in as ann")!;
  assert.equal(logged.accountChanged, true);
  assert.equal(reg.account, "ann");
  assert.deepEqual(feed(reg, ":srv 903 ann :SASL authentication successful")!.send, ["CAP END"]);
});

Deno.test("Registration says once that SASL failed and still ends CAP", () => {
  const reg = new Registration({ nick: "ann", sasl: { account: "ann", password: "bad" } });
  reg.begin(false);
  feed(reg, ":srv CAP * LS :sasl");
  feed(reg, ":srv CAP * ACK :sasl");
  const fail = feed(reg, ":srv 904 ann :SASL authentication failed")!;
  assert.deepEqual(fail.send, ["CAP END"]);
  assert.deepEqual(fail.notes.map((n) => n.text), [
    "Logging in as ann failed (SASL authentication failed); you are connected without an account.",
  ]);
});

Deno.test("Registration warns when SASL PLAIN is not offered and does not ask for sasl", () => {
  const reg = new Registration({ nick: "ann", sasl: { account: "ann", password: "pw" } });
  reg.begin(false);
  const step = feed(reg, ":srv CAP * LS :sasl=EXTERNAL server-time")!;
  assert.deepEqual(step.send, ["CAP REQ server-time"]);
  assert.equal(step.notes[0].kind, "error");
});

Deno.test("Registration tries nick_ when taken, and says at welcome which nick we got", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  const taken = feed(reg, ":srv 433 * ann :Nickname is already in use")!;
  assert.deepEqual(taken.send, ["NICK ann_"]);
  assert.equal(reg.nick, "ann_");
  const welcome = feed(reg, ":srv 001 ann_ :Welcome")!;
  assert.equal(welcome.welcome, true);
  assert.equal(welcome.consumed, false);
  assert.equal(reg.registered, true);
  assert.match(welcome.notes[0].text, /ann was taken, so you are ann_/);
  // after registration a 433 is the user's /nick failing: not registration's business
  assert.equal(feed(reg, ":srv 433 ann_ bob :Nickname is already in use"), undefined);
});

Deno.test("Registration falls back to a guest nick after too many tries", () => {
  const reg = new Registration({ nick: "ann", random: () => 0 });
  reg.begin(false);
  let last: RegStep | undefined;
  for (let i = 0; i < 9; i++) last = feed(reg, `:srv 433 * ${reg.nick} :in use`);
  assert.deepEqual(last!.send, ["NICK guest10000"]);
});

Deno.test("Registration asks for the nick the server last granted after a reconnect", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  feed(reg, ":srv 001 ann :Welcome");
  reg.renamed("anna");
  reg.end();
  assert.equal(reg.begin(false)[1], "NICK anna");
});

Deno.test("Registration leaves a plain connection for TLS when sts has a port, records it over TLS", () => {
  const plain = new Registration({ nick: "ann" });
  plain.begin(false);
  const up = feed(plain, ":srv CAP * LS :sts=port=6697,duration=60 server-time")!;
  assert.equal(up.stsUpgrade, 6697);
  assert.deepEqual(up.send, []);
  const tls = new Registration({ nick: "ann" });
  tls.begin(true);
  const rec = feed(tls, ":srv CAP * LS :sts=port=6697,duration=60 server-time")!;
  assert.equal(rec.stsDuration, 60);
  assert.deepEqual(rec.send, ["CAP REQ server-time"]);
});

Deno.test("Registration.login() uses NickServ once registered, SASL only while registering", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  assert.equal(reg.login({ account: "ann", password: "pw" }), undefined);
  feed(reg, ":srv 001 ann :Welcome");
  assert.deepEqual(reg.login({ account: "ann", password: "pw" })!.send, [
    "PRIVMSG NickServ :IDENTIFY ann pw",
  ]);
});

Deno.test("Registration ignores a 421 for CAP from a server without capabilities", () => {
  const reg = new Registration({ nick: "ann" });
  reg.begin(false);
  assert.deepEqual(feed(reg, ":srv 421 ann CAP :Unknown command")!.send, []);
  assert.equal(feed(reg, ":srv 421 ann FOO :Unknown command"), undefined);
});

Deno.test("Registration shortens a refused long nick and says so in one line at welcome", () => {
  const reg = new Registration({ nick: "a".repeat(42) });
  reg.begin(false);
  const first = feed(reg, `:srv 432 * ${"a".repeat(42)} :Erroneous nickname`)!;
  assert.deepEqual(first.send, [`NICK ${"a".repeat(30)}`]);
  assert.deepEqual(first.notes, []);
  const second = feed(reg, `:srv 432 * ${"a".repeat(30)} :Erroneous nickname`)!;
  assert.deepEqual(second.send, [`NICK ${"a".repeat(16)}`]);
  assert.deepEqual(second.notes, []);
  const welcome = feed(reg, `:srv 001 ${"a".repeat(16)} :Welcome`)!;
  assert.deepEqual(welcome.notes.map((n) => n.text), [
    `The nickname ${"a".repeat(42)} is not allowed here (too long, or a character this server ` +
    `refuses), so you are ${"a".repeat(16)}. Use /nick to pick another.`,
  ]);
});

Deno.test("Registration gives a short refused nick a guest name", () => {
  const reg = new Registration({ nick: "9lives", random: () => 0 });
  reg.begin(false);
  assert.deepEqual(feed(reg, ":srv 432 * 9lives :Erroneous nickname")!.send, ["NICK guest10000"]);
});
