import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, png, say, sizedGuest, uniqueName } from "./helpers";

// The "web" these tests link to: a small site on 127.0.0.2, the one network the test servers
// fetch previews from (tests/server.ts: TERTULIA_LINK_PREVIEW_PUBLIC=false,
// TERTULIA_LINK_PREVIEW_ALLOW=127.0.0.2/32). Every request it gets is counted by path.

const CARD_SIDE = 64;
const PNG = png(CARD_SIDE, CARD_SIDE);

const PAGES: Record<string, string> = {
  "/notes": `<!doctype html><html><head><title>Release notes</title>
    <meta property="og:title" content="Tertulia 2.0: threads, previews and a faster start">
    <meta property="og:description" content="What changed in this release, why, and how to upgrade without losing a message.">
    <meta property="og:site_name" content="Tertulia Blog">
    <meta property="og:image" content="/card.png">
    </head><body>notes</body></html>`,
  "/hostile": `<title>&lt;img src=x onerror=alert(1)&gt; \u202Egnp.exe</title>
    <meta name="description" content="<script>alert(2)</script>">`,
  "/plain": "<title>A plain page</title>",
};

let site: Server;
let base = "";
const hits = new Map<string, number>();

test.beforeAll(async () => {
  site = createServer((request, response) => {
    const path = request.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/card.png") {
      response.writeHead(200, { "content-type": "image/png" }).end(PNG);
    } else if (PAGES[path]) {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGES[path]);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.2", resolve));
  base = `http://127.0.0.2:${(site.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  // The chat server keeps its connections to the site open for the next fetch.
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});

/** The message in the room on screen whose own text contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

test("a link's preview shows for everyone in the room, as text, and goes with the link", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("links");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  await say(ana, `The notes are out: ${base}/notes`);
  for (const page of [ana, bea]) {
    const card = message(page, "The notes are out").locator(".link-preview");
    await expect(card.locator(".link-site")).toHaveText("Tertulia Blog");
    const title = card.getByRole("link", { name: "Tertulia 2.0: threads, previews and a faster start" });
    await expect(title).toHaveAttribute("href", `${base}/notes`);
    await expect(title).toHaveAttribute("rel", /noopener/);
    await expect(card.locator(".link-description")).toContainText("without losing a message");
    // The image is the server's copy, served from this site (the reader never asks the link's).
    const image = card.locator("img.link-image");
    await expect(image).toHaveAttribute("src", /^\/api\/link-images\/[0-9a-f]{32}$/);
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(CARD_SIDE);
  }
  expect(hits.get("/card.png")).toBe(1);

  // A reload reads it back with the message.
  await bea.reload();
  await expect(message(bea, "The notes are out").locator(".link-title")).toBeVisible();
  // Fetched once for the room, whoever reads it.
  expect(hits.get("/notes")).toBe(1);

  // A hostile page's markup stays text: no element comes out of it, and overrides are gone.
  await say(ana, `careful with ${base}/hostile`);
  const hostile = message(bea, "careful with").locator(".link-preview");
  await expect(hostile.locator(".link-title")).toHaveText("<img src=x onerror=alert(1)> gnp.exe");
  await expect(hostile.locator(".link-description")).toHaveText("<script>alert(2)</script>");
  await expect(bea.locator("#log img[src='x']")).toHaveCount(0);
  await expect(hostile.locator("img")).toHaveCount(0);

  // Editing the link out takes the preview away on both screens; a new link brings its own.
  await message(ana, "The notes are out").last().click({ position: { x: 4, y: 4 } });
  await message(ana, "The notes are out").last().hover();
  await message(ana, "The notes are out").last().getByRole("button", { name: "Edit", exact: true }).click();
  const editor = ana.getByLabel("Edit the message");
  await editor.fill(`The notes moved: ${base}/plain`);
  await editor.press("Enter");
  await expect(message(bea, "The notes moved").locator(".link-title")).toHaveText("A plain page");
  await expect(message(bea, "The notes moved").locator(".link-site")).toHaveText("127.0.0.2");
  await expect(message(bea, "The notes moved").locator(".link-description")).toHaveCount(0);
  await expect(message(ana, "The notes moved").locator(".link-image")).toHaveCount(0);
});

test("a link in code, or to an address the server may not fetch, gets no preview", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("links");
  await createRoom(ana, room);
  // Markdown renders differently from what is typed: wait for the code, not the text.
  await ana.locator("#msg").fill(`in code: \`${base}/plain\``);
  await ana.locator("#msg").press("Enter");
  await expect(message(ana, "in code:").locator("code")).toHaveText(`${base}/plain`);
  // The server itself listens on loopback: never fetched.
  await say(ana, `${new URL(ana.url()).origin}/chat loopback`);
  await say(ana, `then a real one ${base}/plain`);
  await expect(message(ana, "then a real one").locator(".link-preview")).toBeVisible();
  // The later message's preview came; the loopback link was refused before then (an address
  // is judged before any connection) and the one in code was never a link.
  await expect(ana.locator("#log .link-preview")).toHaveCount(1);
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of a link preview, ${label}, ${colorScheme}`, async ({ browser }) => {
      const ana = await guestPage(browser, uniqueName("ana"));
      const room = uniqueName("linkshot");
      await createRoom(ana, room);
      await say(ana, `Release notes for Friday: ${base}/notes`);
      await say(ana, "Shout if anything in there surprises you");
      const bea = await sizedGuest(browser, uniqueName("bea"), viewport, colorScheme);
      await bea.goto(`/chat?room=${room}`);
      const image = message(bea, "Release notes for Friday").locator("img.link-image");
      await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(CARD_SIDE);
      await bea.screenshot({ path: `artifacts/link-preview-${label}-${colorScheme}.png` });
    });
  }
}
