import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import path from "node:path";
import {
  appDataDir,
  chooseDataDir,
  type DataDirProbe,
  defaultDataDir,
  isInsideWindowsDir,
} from "../../lib/platform/data_dir.ts";

const WIN_ENV: Record<string, string> = {
  SystemRoot: "C:\\WINDOWS",
  LOCALAPPDATA: "C:\\Users\\Zoë Müller\\AppData\\Local",
  USERPROFILE: "C:\\Users\\Zoë Müller",
};

function probe(over: Partial<DataDirProbe>): DataDirProbe {
  return {
    os: "windows",
    cwd: "C:\\Users\\Zoë Müller\\Downloads",
    env: (n) => WIN_ENV[n],
    exists: () => false,
    canCreate: () => true,
    ...over,
  };
}

Deno.test("chooseDataDir() uses chat-data in a writable current folder (a double-clicked .exe)", () => {
  const c = chooseDataDir(probe({}));
  assertEquals(c.path, "C:\\Users\\Zoë Müller\\Downloads\\chat-data");
});

Deno.test("chooseDataDir() falls back to %LOCALAPPDATA%\\deno-chat when the folder is read-only", () => {
  const c = chooseDataDir(probe({ cwd: "C:\\Program Files\\deno chat", canCreate: () => false }));
  assertEquals(c.path, "C:\\Users\\Zoë Müller\\AppData\\Local\\deno-chat");
  ok(c.reason.includes("not writable"), c.reason);
});

Deno.test("chooseDataDir() never writes into the Windows folder, whatever the case", () => {
  let created = false;
  const c = chooseDataDir(probe({
    cwd: "c:\\windows\\System32",
    canCreate: () => (created = true),
  }));
  assertEquals(c.path, "C:\\Users\\Zoë Müller\\AppData\\Local\\deno-chat");
  assertEquals(created, false);
  ok(c.reason.includes("Windows folder"), c.reason);
});

Deno.test("chooseDataDir() keeps an existing chat-data even in a read-only folder", () => {
  const c = chooseDataDir(probe({
    cwd: "D:\\My Chat",
    exists: (d) => d === "D:\\My Chat\\chat-data",
    canCreate: () => false,
  }));
  assertEquals(c.path, "D:\\My Chat\\chat-data");
});

Deno.test("chooseDataDir() on Linux and macOS: ./chat-data, else the XDG or Library folder", () => {
  const env = (m: Record<string, string>) => (n: string) => m[n];
  assertEquals(
    chooseDataDir({
      os: "linux",
      cwd: "/home/ann",
      env: env({}),
      exists: () => false,
      canCreate: () => true,
    }).path,
    "/home/ann/chat-data",
  );
  assertEquals(
    chooseDataDir({
      os: "linux",
      cwd: "/",
      env: env({ HOME: "/home/ann" }),
      exists: () => false,
      canCreate: () => false,
    }).path,
    "/home/ann/.local/share/deno-chat",
  );
  assertEquals(
    appDataDir("linux", env({ HOME: "/home/ann", XDG_DATA_HOME: "/data/ann" })),
    "/data/ann/deno-chat",
  );
  assertEquals(
    appDataDir("darwin", env({ HOME: "/Users/ann" })),
    "/Users/ann/Library/Application Support/deno-chat",
  );
  // a relative or missing variable is no answer
  assertEquals(appDataDir("linux", env({ HOME: "relative" })), undefined);
  assertEquals(
    chooseDataDir({
      os: "linux",
      cwd: "/",
      env: env({}),
      exists: () => false,
      canCreate: () => false,
    }).path,
    "/chat-data",
  );
});

Deno.test("appDataDir() on Windows uses USERPROFILE when LOCALAPPDATA is missing", () => {
  assertEquals(
    appDataDir("windows", (n) => (n === "USERPROFILE" ? "C:\\Users\\Zoë" : undefined)),
    "C:\\Users\\Zoë\\AppData\\Local\\deno-chat",
  );
  assertEquals(appDataDir("windows", () => undefined), undefined);
});

Deno.test("isInsideWindowsDir() compares Windows paths case-insensitively, not by prefix", () => {
  ok(isInsideWindowsDir("C:\\Windows", "C:\\Windows"));
  ok(isInsideWindowsDir("c:\\windows\\SysWOW64\\x", "C:\\Windows"));
  ok(!isInsideWindowsDir("C:\\WindowsApps", "C:\\Windows"));
  ok(!isInsideWindowsDir("D:\\Windows", "C:\\Windows"));
});

Deno.test("defaultDataDir() in a writable folder creates and returns ./chat-data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "deno-chat-cwd-" });
  const before = Deno.cwd();
  try {
    Deno.chdir(dir);
    const c = defaultDataDir();
    assertEquals(c.path, path.join(Deno.cwd(), "chat-data"));
    ok((await Deno.stat(c.path)).isDirectory);
  } finally {
    Deno.chdir(before);
    await Deno.remove(dir, { recursive: true });
  }
});
