import { type Page } from "@playwright/test";
import { test, expect, adminPage, contract, createRoom, guestPage, png, say, sizedGuest, uniqueName } from "./helpers";

// Profile pictures (protocol v1.25): chosen in the account menu, made square by the server,
// shown beside the person's messages for everyone at once, and after a reload; taken away, the
// initial on its colour comes back. Display names (v1.26) likewise, the username kept in reach.

/** Opens the account menu and makes `buffer` the page's person's picture. */
async function setPicture(page: Page, buffer: Buffer): Promise<void> {
  await page.locator("#account summary").click();
  await page.locator("#avatar-file").setInputFiles({ name: "me.png", mimeType: "image/png", buffer });
  await expect(page.locator("#account .avatar-form [role=status]")).toHaveText("Picture saved.");
}

/** Saves `name` as the display name from the open account menu. */
async function saveDisplayName(page: Page, name: string): Promise<void> {
  await page.locator("#display-name").fill(name);
  await page.locator("#save-name").click();
  await expect(page.locator("#account .name-form [role=status]")).toHaveText("Name saved.");
}

/** The badge beside the messages of username `name` (the first of them) in the room on
 * screen: their header names them, by the username or by `@name` beside a display name. */
function badge(page: Page, name: string) {
  return page.locator("#log .msg .meta").filter({ hasText: name }).first().locator(".avatar");
}

test("a picture chosen in the account menu shows beside the person's messages for everyone", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("faces");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "hello, this is my face now");
  // No picture yet: the initial.
  await expect(badge(bea, anaName)).toHaveText(anaName[0].toUpperCase());
  await expect(badge(bea, anaName).locator("img")).toHaveCount(0);

  await setPicture(ana, png(300, 200));
  // In the account menu's summary and beside the message, on both screens, without a reload.
  await expect(ana.locator("#account summary .avatar img")).toBeVisible();
  const seen = badge(bea, anaName).locator("img");
  await expect(seen).toBeVisible();
  const src = await seen.getAttribute("src");
  expect(src).toMatch(new RegExp(`^${contract.links.AVATARS}/[0-9a-f]{32}$`));
  await expect(badge(ana, anaName).locator("img")).toHaveAttribute("src", src!);
  // A real, square picture of the served size; decorative (the name is written beside it).
  await expect.poll(() => seen.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([256, 256]);
  await expect(seen).toHaveAttribute("alt", "");

  // A reload asks the server again.
  await bea.reload();
  await expect(badge(bea, anaName).locator("img")).toHaveAttribute("src", src!);

  // Something that is no picture is refused in words, and the picture stays.
  await ana.locator("#avatar-file").setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("not a picture") });
  await expect(ana.locator("#account .avatar-form [role=status]")).toContainText("PNG, JPEG, GIF or WebP");
  await expect(badge(bea, anaName).locator("img")).toHaveAttribute("src", src!);

  // Taken away: the initial again, everywhere.
  await ana.locator("#remove-avatar").click();
  await expect(ana.locator("#account .avatar-form [role=status]")).toHaveText("Picture removed.");
  await expect(badge(bea, anaName).locator("img")).toHaveCount(0);
  await expect(badge(bea, anaName)).toHaveText(anaName[0].toUpperCase());
  await expect(ana.locator("#remove-avatar")).toHaveCount(0);
  await expect(ana.locator("#choose-avatar")).toHaveText("Choose a picture…");
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of profile pictures, ${label}, ${colorScheme}`, async ({ browser }) => {
      const anaName = uniqueName("ana");
      const ana = await guestPage(browser, anaName);
      const room = uniqueName("faceshot");
      await createRoom(ana, room);
      await setPicture(ana, png(400, 300));
      await saveDisplayName(ana, "Ana García");
      await ana.locator("#account summary").click();
      await say(ana, "Morning! The release notes are in the doc.");
      const bea = await sizedGuest(browser, uniqueName("bea"), viewport, colorScheme);
      await bea.goto(`/chat?room=${room}`);
      await say(bea, "Thanks, reading them now");
      await expect(badge(bea, anaName).locator("img")).toBeVisible();
      await bea.screenshot({ path: `artifacts/avatars-${label}-${colorScheme}.png` });
      // The @ list: Ana by her display name, shown beside the username it writes.
      await bea.locator("#msg").pressSequentially("@garc");
      await expect(bea.locator("#mention-list .mention-name")).toHaveText("Ana García");
      await bea.screenshot({ path: `artifacts/mention-${label}-${colorScheme}.png` });
      await bea.locator("#msg").fill("");
      // Bea's own menu once she has a picture too.
      await setPicture(bea, png(240, 240));
      await expect(bea.locator("#choose-avatar")).toHaveText("Change picture…");
      await expect(bea.locator("#account .avatar-form .avatar img")).toBeVisible();
      await bea.screenshot({ path: `artifacts/avatars-menu-${label}-${colorScheme}.png` });
    });
  }
}

test("a display name shows in place of the username for everyone; the username stays in reach", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("names");
  await createRoom(ana, room);
  const beaName = uniqueName("bea");
  const bea = await guestPage(browser, beaName);
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "call me by my name");
  const author = bea.locator("#log .msg .meta .author-button").first();
  await expect(author).toHaveText(anaName);

  await ana.locator("#account summary").click();
  await saveDisplayName(ana, "Ana García");
  await expect(ana.locator("#account summary .me-name")).toHaveText("Ana García");
  // Live on Bea's screen; the username is how to mention her, a hover away.
  await expect(author).toHaveText("Ana García");
  // Her username, how to mention her, is written beside it (display names need not be unique).
  await expect(bea.locator("#log .msg .meta .handle").first()).toHaveText(`@${anaName}`);
  await expect(author).toHaveAttribute("title", `@${anaName}`);
  // Her card says both.
  await author.click();
  const card = bea.locator("#person-card");
  await expect(card.locator(".person-name")).toHaveText("Ana García");
  await expect(card.locator(".handle")).toHaveText(`@${anaName}`);
  await bea.mouse.move(0, 0);
  await bea.screenshot({ path: "artifacts/display-name-card.png" });
  await bea.keyboard.press("Escape");
  // And so does a reload.
  await bea.reload();
  await expect(bea.locator("#log .msg .meta .author-button").first()).toHaveText("Ana García");
  // The people directory finds her by her display name too, folded like names (v1.31).
  await bea.locator("#people-button").click();
  await bea.locator("#people-search").fill("GARCÍA");
  await expect(bea.getByRole("dialog", { name: "People" }).locator(`li[data-user="${anaName}"]`)).toBeVisible();
  await bea.keyboard.press("Escape");
  // `@` finds her by a word of her display name, shows it beside her username, and writes
  // the username; and by any part of her username.
  const box = bea.locator("#msg");
  await box.pressSequentially("thanks @garc");
  const option = bea.locator("#mention-list li").first();
  await expect(option).toContainText(`@${anaName}`);
  await expect(option.locator(".mention-name")).toHaveText("Ana García");
  await bea.screenshot({ path: "artifacts/mention-by-display-name.png" });
  await bea.keyboard.press("Tab");
  await expect(box).toHaveValue(`thanks @${anaName} `);
  await box.fill("");
  await box.pressSequentially(`@${anaName.slice(3)}`);
  await expect(bea.locator("#mention-list li").first()).toContainText(`@${anaName}`);
  await box.fill("");
  // Someone not in the room, whom the directory finds by their display name: offered with it.
  const cyName = uniqueName("cy");
  const cy = await guestPage(browser, cyName);
  await cy.locator("#account summary").click();
  await saveDisplayName(cy, "Zoe Quintana");
  await box.pressSequentially("@quint");
  const far = bea.locator("#mention-list li").first();
  await expect(far).toContainText(`@${cyName}`);
  await expect(far.locator(".mention-name")).toHaveText("Zoe Quintana");
  await box.fill("");
  await cy.close();

  // Someone else's username is refused in words.
  await ana.locator("#display-name").fill(beaName.toUpperCase());
  await ana.locator("#save-name").click();
  await expect(ana.locator("#account .name-form [role=status]")).toContainText("someone else's username");
  // Cleared: her username again, everywhere.
  await ana.locator("#display-name").fill("");
  await ana.locator("#save-name").click();
  await expect(ana.locator("#account .name-form [role=status]")).toHaveText("You go by your username.");
  await expect(bea.locator("#log .msg .meta .author-button").first()).toHaveText(anaName);
  await expect(bea.locator("#log .msg .meta .handle")).toHaveCount(0);
});

test("an admin takes away someone's picture and display name from the admin page", async ({ browser }) => {
  const eveName = uniqueName("eve");
  const eve = await guestPage(browser, eveName);
  await setPicture(eve, png(120, 120));
  await saveDisplayName(eve, "Not Really An Admin");
  await eve.locator("#account summary").click();
  await say(eve, "look at my picture");
  await expect(badge(eve, eveName).locator("img")).toBeVisible();

  const page = await adminPage(browser);
  await page.locator("#data-user").fill(eveName);
  page.once("dialog", (dialog) => dialog.accept());
  await page.locator("#clear-profile").click();
  await expect(page.getByRole("status")).toHaveText(`${eveName}'s picture and display name are removed`);
  const newest = page.locator("#audit-log tr[data-action]").first();
  await expect(newest).toHaveAttribute("data-action", contract.requests[contract.namespaces.ADMIN].CLEAR_PROFILE);
  await expect(newest.locator(".audit-target")).toHaveText(eveName);
  await page.screenshot({ path: "artifacts/admin-clear-profile.png" });
  // Eve (and everyone) sees her username and initial again, live.
  await expect(eve.locator("#account summary .me-name")).toHaveText(eveName);
  await expect(badge(eve, eveName).locator("img")).toHaveCount(0);
});
