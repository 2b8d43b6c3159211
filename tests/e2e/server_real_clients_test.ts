import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { TestClient } from "../helpers/irc_client.ts";
import { startServer } from "../helpers/server_process.ts";
import { hasCommand, Tmux } from "../helpers/tmux.ts";

const canRun = (client: string) => hasCommand("tmux") && hasCommand(client);

Deno.test({
  name: "irssi (in tmux) joins a channel and chats with a raw client",
  ignore: !canRun("irssi"),
  async fn() {
    const server = await startServer();
    const home = await Deno.makeTempDir({ prefix: "irssi-home-" });
    const raw = await TestClient.connect(server.port);
    let tmux: Tmux | undefined;
    try {
      await raw.register("rawbob");
      raw.send("JOIN #real");
      await raw.expect(/ 366 /);
      tmux = await Tmux.start(
        `irssi --home=${home} -c 127.0.0.1 -p ${server.port} -n irssiuser`,
      );
      await tmux.waitFor(/Welcome to the deno-chat IRC Network/);
      await tmux.keys("/join #real", "Enter");
      // irssi may take a while to act on its first command on a loaded machine (as WeeChat)
      const join = await raw.expectMessage(/ JOIN /, 20000);
      assertEquals(join.source?.split("!")[0], "irssiuser");
      assertEquals(join.params, ["#real"]);
      raw.send("PRIVMSG #real :hello from the raw side");
      await tmux.waitFor(/<.?rawbob> hello from the raw side/);
      await tmux.type("hi back from irssi");
      await tmux.keys("Enter");
      const msg = await raw.expectMessage(/ PRIVMSG /, 20000);
      assertEquals(msg.source?.split("!")[0], "irssiuser");
      assertEquals(msg.params, ["#real", "hi back from irssi"]);
    } finally {
      await tmux?.stop();
      await raw.close();
      await server.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "WeeChat (in tmux) negotiates capabilities, joins and chats with a raw client",
  ignore: !canRun("weechat"),
  async fn() {
    const server = await startServer();
    const home = await Deno.makeTempDir({ prefix: "weechat-home-" });
    const raw = await TestClient.connect(server.port);
    let tmux: Tmux | undefined;
    try {
      await raw.register("rawann");
      raw.send("JOIN #wee");
      await raw.expect(/ 366 /);
      tmux = await Tmux.start(
        `weechat -d ${home} -r '/server add local 127.0.0.1/${server.port} -nicks=weeuser ` +
          `-autojoin=#wee;/connect local'`,
      );
      const join = await raw.expectMessage(/ JOIN /, 20000);
      assertEquals(join.source?.split("!")[0], "weeuser");
      raw.send("PRIVMSG #wee :hello weechat");
      await tmux.waitFor(/rawann.*hello weechat/);
      await tmux.type("hi from weechat");
      await tmux.keys("Enter");
      const msg = await raw.expectMessage(/ PRIVMSG /, 20000);
      assertEquals(msg.source?.split("!")[0], "weeuser");
      assertEquals(msg.params, ["#wee", "hi from weechat"]);
    } finally {
      await tmux?.stop();
      await raw.close();
      await server.stop();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
