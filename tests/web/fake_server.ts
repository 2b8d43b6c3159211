/**
 * A scripted IRC server for the web app's tests of features the real server may not have
 * yet: it serves the app (the real assets, with the real Content-Security-Policy), accepts
 * one WebSocket at `/irc`, does the capability dance and the welcome, answers JOIN and the
 * history requests with empty answers, and otherwise records what the page sends so a test
 * can assert exact lines and reply with exact lines. `/upload` takes soju.im/filehost
 * uploads (held until the test releases them, to see the progress bar) and `/uploads/` serves
 * a tiny PNG.
 *
 * @module
 */

import { loadAssets } from "../../lib/web/assets.ts";
import { CONTENT_SECURITY_POLICY } from "../../lib/web/server.ts";
import { parseMessage } from "../../lib/protocol/message.ts";

/** How long {@link FakeIrc.expect} waits. */
const WAIT_MS = 10000;

/** A 1×1 PNG. */
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** One upload the fake took. */
export interface Upload {
  headers: Headers;
  body: Uint8Array;
}

/** What a test drives. */
export interface FakeIrc {
  port: number;
  /** Sends a line to the page. */
  send(line: string): void;
  /** The next line from the page (after those already expected) that matches. */
  expect(pattern: RegExp): Promise<string>;
  /** Every line the page sent, in order. */
  readonly received: string[];
  readonly uploads: Upload[];
  /** Lets the held uploads answer (201 with a Location under /uploads/). */
  releaseUploads(): void;
  stop(): Promise<void>;
}

/** What the fake offers. */
export interface FakeOptions {
  /** The CAP LS list. */
  caps: string;
  /** ISUPPORT tokens of the 005 line. */
  isupport: string[];
}

/**
 * Starts the fake on 127.0.0.1 and a free port.
 *
 * @example
 * ```ts ignore
 * const irc = await startFake({ caps: "message-tags echo-message", isupport: [] });
 * ```
 */
export async function startFake(options: FakeOptions): Promise<FakeIrc> {
  const assets = await loadAssets();
  const received: string[] = [];
  const uploads: Upload[] = [];
  let next = 0;
  let waiters: (() => void)[] = [];
  let socket: WebSocket | undefined;
  let nick = "";
  let echoSeq = 0;
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  const enabled = new Set<string>();

  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const send = (line: string) => socket?.send(line);

  const onLine = (raw: string) => {
    received.push(raw);
    wake();
    const msg = parseMessage(raw);
    if (!msg) return;
    const p = msg.params;
    switch (msg.command) {
      case "CAP":
        if (p[0] === "LS") send(`:fake CAP * LS :${options.caps}`);
        else if (p[0] === "REQ") {
          for (const c of (p[1] ?? "").split(" ")) enabled.add(c);
          send(`:fake CAP ${nick || "*"} ACK :${p[1] ?? ""}`);
        } else if (p[0] === "END") {
          send(`:fake 001 ${nick} :Welcome to the fake network, ${nick}`);
          send(`:fake 005 ${nick} ${options.isupport.join(" ")} :are supported by this server`);
          send(`:fake 422 ${nick} :MOTD File is missing`);
        }
        break;
      case "NICK":
        nick = p[0] ?? "";
        break;
      case "JOIN":
        for (const c of (p[0] ?? "").split(",")) {
          send(`:${nick}!u@h JOIN ${c}`);
          send(`:fake 353 ${nick} = ${c} :@${nick} bob`);
          send(`:fake 366 ${nick} ${c} :End of /NAMES list.`);
        }
        break;
      case "CHATHISTORY":
        if (p[0] === "LATEST") {
          send(`:fake BATCH +l${++echoSeq} chathistory ${p[1]}`);
          send(`:fake BATCH -l${echoSeq}`);
        } else if (p[0] === "TARGETS") {
          send(`:fake BATCH +t${++echoSeq} draft/chathistory-targets`);
          send(`:fake BATCH -t${echoSeq}`);
        }
        break;
      case "PRIVMSG":
        // echo-message, with a msgid; lines inside a batch are the test's to answer
        if (enabled.has("echo-message") && msg.tags["batch"] === undefined) {
          const reply = msg.tags["+draft/reply"];
          const tags = `@msgid=e${++echoSeq};time=${new Date().toISOString()}` +
            (reply ? `;+draft/reply=${reply}` : "");
          send(`${tags} :${nick}!u@h PRIVMSG ${p[0]} :${p[1] ?? ""}`);
        }
        break;
    }
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
      };
      if (url.pathname === "/irc") {
        const { socket: ws, response } = Deno.upgradeWebSocket(req, { protocol: "text.ircv3.net" });
        socket = ws;
        ws.onmessage = (ev) => typeof ev.data === "string" && onLine(ev.data);
        return response;
      }
      if (url.pathname === "/upload" && req.method === "POST") {
        const body = new Uint8Array(await req.arrayBuffer());
        uploads.push({ headers: req.headers, body });
        wake();
        await released;
        return new Response(null, {
          status: 201,
          headers: { ...headers, location: `/uploads/u${uploads.length}.png` },
        });
      }
      if (url.pathname.startsWith("/uploads/")) {
        return new Response(PNG, { headers: { ...headers, "content-type": "image/png" } });
      }
      const asset = assets.get(url.pathname === "/" ? "/index.html" : url.pathname);
      if (!asset) return new Response("not found\n", { status: 404, headers });
      return new Response(asset.body, {
        headers: { ...headers, "content-type": asset.contentType },
      });
    },
  );

  return {
    port: server.addr.port,
    send,
    received,
    uploads,
    releaseUploads: () => release(),
    async expect(pattern: RegExp): Promise<string> {
      const deadline = Date.now() + WAIT_MS;
      while (true) {
        while (next < received.length) {
          const line = received[next++];
          if (pattern.test(line)) return line;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`no line matched ${pattern}; got:\n${received.join("\n")}`);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          timer = setTimeout(resolve, left);
        });
        clearTimeout(timer);
      }
    },
    async stop() {
      release();
      try {
        socket?.close();
      } catch {
        // already closed
      }
      await server.shutdown();
    },
  };
}
