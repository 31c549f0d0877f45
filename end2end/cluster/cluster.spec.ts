import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Page } from "@playwright/test";
import { test, expect, contract, createRoom, guestPage, messages, say, uniqueName, GENERAL } from "../tests/helpers";

// Two people on two nodes of a cluster (pinned with the proxy's routing cookie): everything
// live must cross between the nodes through Redis, and a node's death must cost nothing but
// a reconnect.

/** The node that answers this page's requests (the health check names it). */
async function nodeOf(page: Page): Promise<string> {
  const answer = await page.request.get(contract.api.HEALTH.path);
  expect(answer.ok()).toBeTruthy();
  return (await answer.json()).node;
}

/** The pid of a node that deploy/cluster.sh started. */
function nodePid(n: number): number {
  return Number(readFileSync(join(__dirname, "..", "..", "target", "e2e-cluster", `node${n}.pid`), "utf8"));
}

test("people on different nodes see each other, their messages, typing and mentions", async ({ browser }) => {
  const ana = uniqueName("ana");
  const bea = uniqueName("bea");
  const pageA = await guestPage(browser, ana, "n1");
  const pageB = await guestPage(browser, bea, "n2");
  expect(await nodeOf(pageA)).toBe("n1");
  expect(await nodeOf(pageB)).toBe("n2");

  // Presence crosses nodes.
  await expect(pageA.locator("#people")).toContainText(bea);
  await expect(pageB.locator("#people")).toContainText(ana);

  // Messages and typing cross nodes.
  const hello = uniqueName("hello from node 1 ");
  await say(pageA, hello);
  await expect(messages(pageB).last()).toHaveText(hello);
  await pageB.locator("#msg").pressSequentially("typing on node 2", { delay: 20 });
  await expect(pageA.locator("#typing-line")).toHaveText(`${bea} is typing…`);
  await pageB.locator("#msg").press("Enter");
  await expect(pageA.locator("#typing-line")).toHaveText("");
  await expect(messages(pageA).last()).toHaveText("typing on node 2");

  // A mention on node 1 rings the bell on node 2 (B is reading another room: a mention in
  // the room one is reading raises no toast).
  await createRoom(pageB, uniqueName("elsewhere"));
  await expect(pageB.locator("#bell-count")).toHaveCount(0);
  await say(pageA, `@${bea} over here`);
  await expect(pageB.locator("#bell-count")).toHaveText("1");
  await expect(pageB.locator("#note-toast")).toContainText(`${ana} mentioned you in ${GENERAL}`);

  // Leaving (after confirming) crosses nodes too.
  pageB.once("dialog", (dialog) => dialog.accept());
  await pageB.locator(`#joined li[data-room="${GENERAL}"]`).hover();
  await pageB.locator(`#joined li[data-room="${GENERAL}"] button.leave`).click();
  await expect(pageA.locator("#people")).not.toContainText(bea);
  await pageA.screenshot({ path: "artifacts/cluster-two-nodes.png", fullPage: true });
});

test("a file uploaded through node 1 is shown and served by node 2", async ({ browser }) => {
  const ana = uniqueName("ana");
  const pageA = await guestPage(browser, ana, "n1");
  const pageB = await guestPage(browser, uniqueName("bea"), "n2");
  const room = uniqueName("files");
  await createRoom(pageA, room);
  await pageB.goto(`/chat?room=${room}`);
  await expect(pageB.locator("#room-title")).toContainText(room);

  // A small real PNG (1×1, red), uploaded with the attach button through nginx to node 1.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC",
    "base64",
  );
  const chooser = pageA.waitForEvent("filechooser");
  await pageA.locator("#attach").click();
  await (await chooser).setFiles([{ name: "dot.png", mimeType: "image/png", buffer: png }]);
  await expect(pageA.locator("#upload-tray .upload-status")).toContainText("bytes");
  await pageA.locator("#msg").fill("a file across nodes");
  await pageA.locator("#msg").press("Enter");

  // Node 2 shows the preview (read from the shared files directory) and serves the file.
  const image = pageB.locator("#log .msg .file-image img").last();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
  const url = await pageB.locator("#log .msg .file-image").last().getAttribute("href");
  expect(await nodeOf(pageB)).toBe("n2");
  const download = await pageB.request.get(url!);
  expect(download.status()).toBe(200);
  expect(Buffer.from(await download.body()).equals(png)).toBeTruthy();
});

// Last in this file: node 1 stays down afterwards.
test("when a node dies its people reconnect to the other one and miss nothing", async ({ browser }) => {
  const ana = uniqueName("ana");
  const bea = uniqueName("bea");
  const pageA = await guestPage(browser, ana, "n1");
  const pageB = await guestPage(browser, bea, "n2");
  const before = uniqueName("before the crash ");
  await say(pageB, before);
  await expect(messages(pageA).last()).toHaveText(before);

  process.kill(nodePid(1), "SIGKILL");
  await expect(pageA.locator("#status")).not.toHaveText("connected");
  const during = uniqueName("while node 1 was gone ");
  await say(pageB, during);

  // The proxy sends A to node 2; A rejoins, catches up, and chats on.
  await expect(pageA.locator("#status")).toHaveText("connected", { timeout: 30_000 });
  await expect(messages(pageA).last()).toHaveText(during);
  await expect(messages(pageA).filter({ hasText: before })).toHaveCount(1);
  expect(await nodeOf(pageA)).toBe("n2");
  const after = uniqueName("back on node 2 ");
  await say(pageA, after);
  await expect(messages(pageB).last()).toHaveText(after);
});
