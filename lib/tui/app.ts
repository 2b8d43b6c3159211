import type { IrcClient } from "../client/irc_client.ts";
export function runTui(_o: { client: IrcClient; initialWindow?: string }): Promise<number> {
  return Promise.resolve(1);
}
