import { execFileSync } from "node:child_process";
import { deflateSync } from "node:zlib";
import { expect, test as base, type Browser, type Page } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { contract, GENERAL } from "./contract";
import { panicsSeen, runWorkerServer, serverPanics, workerServer, type WorkerServer } from "./server";

export { contract, GENERAL, workerServer };

/** Options and fixtures every worker has. */
export type WorkerOptions = {
  /** Whether the worker starts a server of its own (the cluster config brings its own). */
  ownServer: boolean;
  /** The worker's server, when it has one. */
  server: WorkerServer | undefined;
};

/**
 * Playwright's `test`, plus: each worker runs its own server (see `server.ts`) and points
 * `baseURL` at it; every browser context a test opened is closed when the test ends, so the
 * pages of earlier tests do not stay connected (and busy with every new message) for the rest
 * of the run; and a test during which the server panicked fails.
 */
export const test = base.extend<{ closeOpenedContexts: void }, WorkerOptions>({
  ownServer: [true, { option: true, scope: "worker" }],
  server: [
    async ({ ownServer }, use, workerInfo) => {
      if (!ownServer) {
        await use(undefined);
        return;
      }
      // By parallel slot, not worker number (which grows each time a worker is replaced after
      // a failure): ports stay in their band, clear of the tests' own servers (`server.ts`).
      await runWorkerServer(workerInfo.parallelIndex, use);
    },
    { scope: "worker", auto: true },
  ],
  baseURL: async ({ server, baseURL }, use) => {
    await use(server?.url ?? baseURL);
  },
  closeOpenedContexts: [
    async ({ browser, context }, use) => {
      const before = new Set(browser.contexts());
      const panicsBefore = serverPanics.length;
      await use();
      for (const opened of browser.contexts()) {
        if (opened !== context && !before.has(opened)) {
          await opened.close().catch(() => {});
        }
      }
      // A panic in the server (one request's or socket's task) fails the test that saw it
      // (its last lines of output read first).
      await new Promise((resolve) => setImmediate(resolve));
      const panics = serverPanics.slice(panicsBefore);
      panicsSeen.count = serverPanics.length;
      expect(panics, "the server panicked during this test").toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/** The address of the server this test talks to (its worker's, or the cluster's proxy). */
export function serverURL(): string {
  return workerServerOrNone()?.url ?? String(test.info().project.use.baseURL);
}

function workerServerOrNone(): WorkerServer | undefined {
  try {
    return workerServer();
  } catch {
    return undefined;
  }
}

/** A name unique to this run, so reruns never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/**
 * A new browser context (its own cookies) signed in as a guest, on the chat page, connected.
 * In a cluster, `node` pins the context to one node with the proxy's routing cookie.
 */
export async function guestPage(browser: Browser, name: string, node?: string): Promise<Page> {
  const context = await browser.newContext();
  if (node) {
    await context.addCookies([{ name: "tertulia_node", value: node, url: serverURL() }]);
  }
  const page = await context.newPage();
  // A dialog nobody expects (no other listener) fails the test.
  page.on("dialog", (dialog) => {
    if (page.listenerCount("dialog") === 1) {
      throw new Error(`unexpected dialog: ${dialog.message()}`);
    }
  });
  await page.goto("/");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Join the chat" }).click();
  await expect(page).toHaveURL(/\/chat/);
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  return page;
}

/** Sends a message with the keyboard (Enter), as a person would. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.locator("#msg");
  await box.fill(text);
  await box.press("Enter");
  await expect(page.locator("#log .msg:not(.pending) .text").filter({ hasText: text }).last()).toBeVisible();
}

/** The message bodies shown in the room on screen. */
export function messages(page: Page) {
  return page.locator("#log .msg .text");
}

/** Creates an admin account with the server's own `create-admin` subcommand, on the database
 * this worker's server uses. */
export function createAdmin(name: string, password = "correct horse battery"): void {
  execFileSync("./target/debug/server", ["create-admin", name, "--password", password], {
    cwd: "..",
    env: { ...process.env, DATABASE_URL: workerServer().databaseUrl, RUST_LOG: "warn" },
  });
}

/** A new browser context signed in as a new admin, on the admin page with its stats shown. */
export async function adminPage(browser: Browser): Promise<Page> {
  const admin = uniqueName("boss");
  const password = "correct horse battery";
  createAdmin(admin, password);
  const page = await (await browser.newContext()).newPage();
  await page.goto("/?mode=signin");
  await page.getByLabel("Name").fill(admin);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Admin" }).click();
  await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
  return page;
}

/** A new browser context with an account registered through the start page, on the chat. */
export async function memberPage(browser: Browser, name: string, password = "correct horse battery"): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/chat/);
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  return page;
}

/** Creates a room from the sidebar form; the creator ends up in it. */
export async function createRoom(page: Page, name: string, isPrivate = false): Promise<void> {
  if ((await page.locator(".create-room").getAttribute("open")) === null) {
    await page.locator(".create-room summary").click();
  }
  await page.locator("#room-name").fill(name);
  if (isPrivate) {
    await page.locator("#room-private").check();
  }
  await page.locator("#create-room").click();
  await expect(page.locator("#room-title")).toContainText(name);
}

/**
 * A guest in a new browser context of the given size and colour scheme, on the chat page,
 * connected; narrow viewports are touch screens (as phones are).
 */
export async function sizedGuest(
  browser: Browser,
  name: string,
  viewport: { width: number; height: number },
  colorScheme: "light" | "dark" = "light",
): Promise<Page> {
  const touch = viewport.width < 600;
  const context = await browser.newContext({ viewport, colorScheme, hasTouch: touch, isMobile: touch });
  const page = await context.newPage();
  await page.goto("/");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Join the chat" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  return page;
}

/** A new guest's session token, as a program (no browser) gets it from the API. */
export async function guestToken(name: string): Promise<string> {
  const response = await fetch(`${serverURL()}${contract.api.AUTH_GUEST.path}`, {
    method: contract.api.AUTH_GUEST.method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name }),
  });
  expect(response.status).toBe(201);
  return (await response.json()).token;
}

/**
 * The standard client (socket.io-client) on `/chat` with a session token, connected; rejects
 * with the server's CONNECT_ERROR.
 */
export function programSocket(token: string | undefined, transports: string[] = ["websocket"]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(`${serverURL()}${contract.namespaces.CHAT}`, {
      auth: token ? { token } : {},
      transports,
      reconnection: false,
    });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** CRC-32 as PNG chunks use it. */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A real RGB PNG of `width` × `height`: a diagonal gradient. */
export function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      rows.set([(x * 255) / width, (y * 255) / height, 160], row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
