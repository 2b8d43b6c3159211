/**
 * Keeping a fatal start-up message readable on Windows.
 *
 * A double-clicked `chat-server.exe` gets a console window of its own, and Windows closes that
 * window the moment the program exits, so "port 6667 is already in use" would flash by unread.
 * Windows offers no cheap way for a program to tell "started by a double click" from "started
 * in cmd or PowerShell" (that takes `GetConsoleProcessList`, i.e. FFI and `--allow-ffi`), so the
 * rule is: on Windows, when both stdin and stdout are a console, wait for Enter before exiting
 * after a fatal error at start. In a shell that costs one Enter; it never blocks scripts, tests
 * or CI, whose stdin or stdout is a pipe or a file.
 *
 * @module
 */

/**
 * What {@link shouldPauseOnFatal} looks at.
 *
 * @example
 * ```ts
 * import type { ConsoleState } from "./console.ts";
 * const s: ConsoleState = { os: "windows", stdinIsTerminal: true, stdoutIsTerminal: true };
 * ```
 */
export interface ConsoleState {
  /** As in `Deno.build.os`. */
  os: typeof Deno.build.os;
  /** `Deno.stdin.isTerminal()`. */
  stdinIsTerminal: boolean;
  /** `Deno.stdout.isTerminal()`. */
  stdoutIsTerminal: boolean;
}

/**
 * Whether to wait for Enter after a fatal start-up error (see the module comment).
 *
 * @example
 * ```ts
 * import { shouldPauseOnFatal } from "./console.ts";
 * shouldPauseOnFatal({ os: "windows", stdinIsTerminal: true, stdoutIsTerminal: true }); // true
 * shouldPauseOnFatal({ os: "windows", stdinIsTerminal: false, stdoutIsTerminal: true }); // false
 * shouldPauseOnFatal({ os: "linux", stdinIsTerminal: true, stdoutIsTerminal: true }); // false
 * ```
 */
export function shouldPauseOnFatal(state: ConsoleState): boolean {
  return state.os === "windows" && state.stdinIsTerminal && state.stdoutIsTerminal;
}

/** The prompt shown before the window closes. */
export const PAUSE_PROMPT = "Press Enter to close this window.";

/**
 * After a fatal start-up error: on a Windows console, waits until Enter is pressed so the
 * message stays readable; anywhere else returns at once.
 *
 * @example
 * ```ts ignore
 * import { pauseOnFatal } from "./console.ts";
 * console.error("chat-server: port 6667 is already in use");
 * pauseOnFatal();
 * Deno.exit(2);
 * ```
 */
export function pauseOnFatal(): void {
  let pause = false;
  try {
    pause = shouldPauseOnFatal({
      os: Deno.build.os,
      stdinIsTerminal: Deno.stdin.isTerminal(),
      stdoutIsTerminal: Deno.stdout.isTerminal(),
    });
  } catch {
    pause = false; // a closed stdio handle: nobody is there to read anyway
  }
  if (!pause) return;
  try {
    // prompt() reads one line from the console; its answer is irrelevant
    prompt(PAUSE_PROMPT);
  } catch {
    // console gone (window closed): nothing to wait for
  }
}
