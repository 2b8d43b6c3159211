/**
 * One bus node in a process of its own, for tests that kill a node with SIGKILL. It claims
 * the nicks named on the command line, prints "ready", then idles until killed.
 */
import { RedisBus } from "../../lib/cluster/redis_bus.ts";

const [url, nodeId, ...nicks] = Deno.args;
const bus = new RedisBus({ url, nodeId, leaseMs: 1500, renewMs: 300 }, {
  onEntry() {},
  onGap() {},
  onFenced() {},
});
await bus.start();
for (const nick of nicks) {
  await bus.claimNick(nick, nick, bus.shardOf(nick), { t: "user.up", nick });
}
console.log("ready");
await new Promise(() => {});
