/**
 * Drives a terminal program in a private tmux server: start it, type into it, read its
 * screen. Each instance uses its own tmux socket so parallel tests never meet.
 *
 * @module
 */

/** Whether a program is on PATH. */
export function hasCommand(name: string): boolean {
  try {
    const r = new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/**
 * One tmux server with one session running a command.
 *
 * @example
 * ```ts ignore
 * const t = await Tmux.start("irssi -c 127.0.0.1");
 * await t.keys("/join #a", "Enter");
 * await t.waitFor(/#a/);
 * await t.stop();
 * ```
 */
export class Tmux {
  readonly socket: string;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Starts `command` (a shell command line) in a fresh tmux server, in a 160x40 window. */
  static async start(command: string, env: Record<string, string> = {}): Promise<Tmux> {
    const t = new Tmux(`deno-chat-${crypto.randomUUID().slice(0, 8)}`);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    await t.#tmux([
      "new-session",
      "-d",
      "-s",
      "main",
      "-x",
      "160",
      "-y",
      "40",
      ...envArgs,
      command,
    ]);
    return t;
  }

  async #tmux(args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-L", this.socket, "-f", "/dev/null", ...args],
      stdout: "piped",
      stderr: "piped",
      env: { TERM: "xterm-256color" },
    }).output();
    if (!out.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout);
  }

  /** Types keys (tmux key names such as "Enter", or literal text). */
  async keys(...keys: string[]): Promise<void> {
    await this.#tmux(["send-keys", "-t", "main", ...keys]);
  }

  /** Types literal text (no key-name interpretation). */
  async type(text: string): Promise<void> {
    await this.#tmux(["send-keys", "-t", "main", "-l", text]);
  }

  /** The visible screen as text. */
  async screen(): Promise<string> {
    return await this.#tmux(["capture-pane", "-p", "-t", "main"]);
  }

  /** Polls the screen until it matches, up to `ms`; returns the screen. */
  async waitFor(pattern: RegExp, ms = 10000): Promise<string> {
    const deadline = Date.now() + ms;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`screen never matched ${pattern}:\n${screen}`);
  }

  /** Kills the tmux server and everything in it. */
  async stop(): Promise<void> {
    await this.#tmux(["kill-server"]).catch(() => {});
  }
}
