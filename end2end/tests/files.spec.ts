import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, png, sizedGuest, uniqueName } from "./helpers";

/** Picks files with the composer's attach button, as a person would. */
async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]) {
  const chooser = page.waitForEvent("filechooser");
  await page.locator("#attach").click();
  await (await chooser).setFiles(files);
}

test("an image sent in a private room shows its preview to members; outsiders cannot download it", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const ana = await guestPage(browser, anaName);
  const bea = await guestPage(browser, beaName);
  const outsider = await guestPage(browser, uniqueName("cy"));
  const room = uniqueName("den");
  await createRoom(ana, room, true);
  await ana.locator("#invite-name").fill(beaName);
  await ana.locator("#invite-button").click();
  await bea.locator("#note-toast .note-link").click();
  await expect(bea.locator("#room-title")).toContainText(room);

  // Attach: the tray shows the file until the upload is done; then it goes with the message.
  await attach(ana, [{ name: "harbour.png", mimeType: "image/png", buffer: png(1200, 800) }]);
  const tray = ana.locator("#upload-tray .upload");
  await expect(tray).toContainText("harbour.png");
  await expect(tray.locator("progress")).toHaveCount(0);
  await expect(tray.locator(".upload-status")).toContainText("KB");
  await ana.locator("#msg").fill("the view from the office");
  await ana.locator("#msg").press("Enter");
  await expect(ana.locator("#upload-tray")).toHaveCount(0);

  // The other member sees the bounded preview, decoded by the browser.
  const shown = bea.locator("#log .msg .file-image img").last();
  await expect(shown).toBeVisible();
  await expect(shown).toHaveAttribute("alt", "harbour.png");
  await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480);
  const url = await bea.locator("#log .msg .file-image").last().getAttribute("href");
  expect(url).toMatch(/^\/api\/files\/[0-9a-f]{32}$/);

  // A member downloads it as an attachment; an outsider gets nothing.
  const download = await bea.request.get(url!);
  expect(download.status()).toBe(200);
  expect(download.headers()["content-disposition"]).toContain("attachment");
  expect(download.headers()["content-type"]).toBe("image/png");
  expect((await download.body()).length).toBeGreaterThan(1000);
  const refused = await outsider.request.get(url!);
  expect(refused.status()).toBe(404);
  const preview = await outsider.request.get(`${url}/preview`);
  expect(preview.status()).toBe(404);

  // A click opens the viewer with the whole image (not a download); Escape closes it.
  await bea.locator("#log .msg .file-image").last().click();
  const viewer = bea.getByRole("dialog", { name: "harbour.png" });
  await expect(viewer).toBeVisible();
  const full = viewer.locator("img");
  await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1200);
  await expect(viewer.getByRole("link", { name: "Download" })).toHaveAttribute("href", url!);
  await bea.screenshot({ path: "artifacts/image-viewer.png" });
  await bea.keyboard.press("Escape");
  await expect(viewer).toHaveCount(0);
  // The keyboard is back on the image that opened it.
  await expect(bea.locator("#log .msg .file-image").last()).toBeFocused();
});

test("files dropped or pasted are attached; one too large is refused before it is sent", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const room = uniqueName("drop");
  await createRoom(ana, room);
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  // Drop a text file on the conversation.
  await ana.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(["minutes of the meeting"], "minutes.txt", { type: "text/plain" }));
    const target = document.querySelector("main.room")!;
    target.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
  });
  await expect(ana.locator("#upload-tray .upload")).toContainText("minutes.txt");
  await expect(ana.locator("#send")).toBeEnabled();
  // Files alone make a message.
  await ana.locator("#send").click();
  const card = bea.locator("#log .msg .file-card").last();
  await expect(card).toContainText("minutes.txt");
  await expect(card).toContainText("22 bytes");

  // Paste an image into the message box.
  await ana.locator("#msg").focus();
  await ana.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])], "pasted.png", { type: "image/png" }));
    document.querySelector("#msg")!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  });
  await expect(ana.locator("#upload-tray .upload")).toContainText("pasted.png");

  // Something past the server's limit is refused in the browser, without sending a byte.
  const uploads: string[] = [];
  ana.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/api/files")) uploads.push(request.url());
  });
  await attach(ana, [{ name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(11 * 1024 * 1024) }]);
  const huge = ana.locator("#upload-tray .upload.failed");
  await expect(huge).toContainText("too large");
  expect(uploads).toEqual([]);
  await huge.getByRole("button", { name: "Remove huge.bin" }).click();
  await expect(huge).toHaveCount(0);
  await ana.locator("#msg").fill("pasted");
  await ana.locator("#msg").press("Enter");
  await expect(bea.locator("#log .msg").filter({ hasText: "pasted" }).locator(".file-card")).toContainText("pasted.png");
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of a conversation with files, ${label}, ${colorScheme}`, async ({ browser }) => {
      const bea = await guestPage(browser, uniqueName("bea"));
      const room = uniqueName("files");
      await createRoom(bea, room);
      const ana = await sizedGuest(browser, uniqueName("ana"), viewport, colorScheme);
      await ana.goto(`/chat?room=${room}`);
      await expect(ana.locator("#room-title")).toContainText(room);

      await attach(bea, [{ name: "plan.png", mimeType: "image/png", buffer: png(900, 600) }]);
      await expect(bea.locator("#upload-tray .upload-status")).toContainText("KB");
      await bea.locator("#msg").fill("Here is the floor plan");
      await bea.locator("#msg").press("Enter");
      await attach(bea, [{ name: "budget 2027.csv", mimeType: "text/csv", buffer: Buffer.from("item,cost\nchairs,120\n") }]);
      await expect(bea.locator("#upload-tray .upload-status")).toContainText("bytes");
      await bea.locator("#send").click();
      const image = ana.locator("#log .msg .file-image img").last();
      await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
      await expect(ana.locator("#log .msg .file-card").last()).toContainText("budget 2027.csv");
      // One file on its way in the tray, as a person sees it while uploading.
      await attach(ana, [{ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("to do") }]);
      await expect(ana.locator("#upload-tray .upload-status")).toContainText("bytes");
      await ana.screenshot({ path: `artifacts/files-${label}-${colorScheme}.png` });
    });
  }
}
