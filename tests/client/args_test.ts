import assert from "node:assert/strict";
import { defaultNick, parseChannels, parseClientArgs, parseServer } from "../../lib/client/args.ts";

Deno.test("parseClientArgs() uses localhost:6667 and #lobby by default", () => {
  const a = parseClientArgs([]);
  assert.deepEqual(a.target, { host: "localhost", port: 6667, tls: false });
  assert.deepEqual(a.channels, ["#lobby"]);
  assert.equal(a.bare, true);
});

Deno.test("parseClientArgs() reads --server, --nick and --join", () => {
  const a = parseClientArgs(["--server", "127.0.0.1:7000", "--nick", "ann", "--join", "#a,b"]);
  assert.deepEqual(a.target, { host: "127.0.0.1", port: 7000, tls: false });
  assert.equal(a.nick, "ann");
  assert.deepEqual(a.channels, ["#a", "#b"]);
  assert.equal(a.bare, false);
});

Deno.test("parseClientArgs() rejects an unknown option and an invalid nick", () => {
  assert.throws(() => parseClientArgs(["--frob"]));
  assert.throws(() => parseClientArgs(["--nick", "9lives"]), /not a valid nickname/);
});

Deno.test("parseServer() accepts irc:// and ircs:// URLs, with TLS defaulting to 6697", () => {
  assert.deepEqual(parseServer("irc://example.org:7000"), {
    host: "example.org",
    port: 7000,
    tls: false,
  });
  assert.deepEqual(parseServer("ircs://example.org"), {
    host: "example.org",
    port: 6697,
    tls: true,
  });
  assert.deepEqual(parseServer("example.org", true), {
    host: "example.org",
    port: 6697,
    tls: true,
  });
});

Deno.test("parseServer() understands bracketed IPv6 addresses", () => {
  assert.deepEqual(parseServer("[::1]:6668"), { host: "::1", port: 6668, tls: false });
});

Deno.test("parseServer() explains a bad port or scheme", () => {
  assert.throws(() => parseServer("host:99999"), /bad port/);
  assert.throws(() => parseServer("http://host"), /unknown scheme/);
});

Deno.test("parseChannels() adds a missing # and drops empty names", () => {
  assert.deepEqual(parseChannels("a,,#b, c"), ["#a", "#b", "#c"]);
});

Deno.test("defaultNick() derives a valid nick from USER or USERNAME, else a guest name", () => {
  assert.equal(defaultNick({ USER: "jo.smith" }), "josmith");
  assert.equal(defaultNick({ USERNAME: "Ann Lee" }), "AnnLee");
  assert.equal(defaultNick({}, () => 0), "guest1000");
});

Deno.test("parseClientArgs() takes several servers, comma-separated, tried in turn", () => {
  const a = parseClientArgs(["--server", "a:7000,b,ircs://c:7001"]);
  assert.deepEqual(a.target, { host: "a", port: 7000, tls: false });
  assert.deepEqual(a.alternates, [
    { host: "b", port: 6667, tls: false },
    { host: "c", port: 7001, tls: true },
  ]);
  assert.equal(parseClientArgs(["--server", "a"]).alternates, undefined);
  assert.throws(() => parseClientArgs(["--server", "a,b:99999"]), /bad port "99999" in "b:99999"/);
});

Deno.test("parseClientArgs() takes the '--' that `deno task client -- …` passes on", () => {
  assert.equal(parseClientArgs(["--", "--nick", "ann"]).nick, "ann");
});
