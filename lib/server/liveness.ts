/**
 * Liveness: a connection that does not register in time is closed; a registered one that
 * has been silent gets a PING, and is closed when it does not answer in time. The same
 * periodic sweep does the server's other housekeeping (nick reservations, login throttle
 * sweeps), handed in as `housekeeping`.
 *
 * @module
 */

import type { Limits } from "./limits.ts";
import { expireBatch } from "./multiline.ts";
import { Outgoing } from "./outgoing.ts";
import type { Session } from "./session.ts";

/** What the sweep needs from the server. */
export interface LivenessHost {
  readonly name: string;
  readonly limits: Limits;
  readonly sessions: ReadonlySet<Session>;
  endSession(session: Session, reason: string): void;
}

/**
 * The periodic sweep.
 *
 * @example
 * ```ts ignore
 * const liveness = new Liveness(server, (now) => server.users.enforceReservations(now));
 * liveness.start();
 * liveness.stop();
 * ```
 */
export class Liveness {
  readonly #host: LivenessHost;
  readonly #housekeeping: (now: number) => void;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(host: LivenessHost, housekeeping: (now: number) => void) {
    this.#host = host;
    this.#housekeeping = housekeeping;
  }

  /** Starts sweeping: every second, or every 200 ms when a timeout is under 5 s (tests). */
  start(): void {
    const l = this.#host.limits;
    const shortest = Math.min(
      l.pingInterval,
      l.pingTimeout,
      l.registrationTimeout,
      l.multilineTimeout,
    );
    this.#timer = setInterval(() => {
      try {
        this.sweep(Date.now());
      } catch (err) {
        // a bug here must not stop the server: log it, the next sweep tries again
        console.error("sweep failed:", err);
      }
    }, shortest < 5 ? 200 : 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One sweep at time `now`. */
  sweep(now: number): void {
    const host = this.#host;
    const l = host.limits;
    this.#housekeeping(now);
    for (const session of host.sessions) {
      if (!session.user.registered) {
        if (now - session.connectedAt > l.registrationTimeout * 1000) {
          host.endSession(session, "Registration timed out");
        }
        continue;
      }
      if (session.multiline !== undefined) expireBatch(session, now, l, host.name);
      if (session.pingSentAt !== 0) {
        if (now - session.pingSentAt > l.pingTimeout * 1000) {
          const secs = Math.round((now - session.lastActivity) / 1000);
          host.endSession(session, `Ping timeout: ${secs} seconds`);
        }
      } else if (now - session.lastActivity > l.pingInterval * 1000 + session.pingJitter) {
        session.pingSentAt = now;
        session.send(new Outgoing(undefined, "PING", [host.name]));
      }
    }
  }
}
