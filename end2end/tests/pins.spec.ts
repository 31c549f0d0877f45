import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, say, sizedGuest, uniqueName } from "./helpers";

/** The message in the room on screen whose own text contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/** Opens a message's toolbar (hover, or the focus on a touch screen). */
async function toolbar(page: Page, text: string) {
  const row = message(page, text).last();
  await row.click({ position: { x: 4, y: 4 } });
  await row.hover();
  return row.getByRole("toolbar", { name: "Message actions" });
}

test("the room's creator pins a message; everyone sees it on the message and in the list", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("pinned");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "deploy at five");
  await say(bea, "noted");
  await expect(message(bea, "deploy at five")).toBeVisible();

  // Bea does not run the room: her toolbar has no pin.
  await expect((await toolbar(bea, "noted")).getByRole("button", { name: "React", exact: true })).toBeVisible();
  await expect((await toolbar(bea, "noted")).getByRole("button", { name: "Pin", exact: true })).toHaveCount(0);

  await (await toolbar(ana, "deploy at five")).getByRole("button", { name: "Pin", exact: true }).click();
  await expect(message(bea, "deploy at five").locator(".pin-note")).toHaveText(`Pinned by ${anaName}`);
  await expect(message(ana, "deploy at five")).toHaveClass(/pinned/);

  // The list: Bea sees it, cannot unpin, and choosing it shows it in the timeline.
  await bea.getByRole("button", { name: "Pinned messages" }).click();
  const list = bea.getByRole("dialog", { name: "Pinned messages" });
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(list.getByRole("listitem")).toContainText("deploy at five");
  await expect(list.getByRole("listitem")).toContainText(`Pinned by ${anaName}`);
  await expect(list.getByRole("button", { name: "Unpin" })).toHaveCount(0);
  await list.getByRole("button", { name: /deploy at five/ }).click();
  await expect(list).toHaveCount(0);
  await expect(message(bea, "deploy at five")).toHaveClass(/highlight/);

  // Ana unpins from her list; Bea's open list and the message follow at once.
  await bea.getByRole("button", { name: "Pinned messages" }).click();
  await ana.getByRole("button", { name: "Pinned messages" }).click();
  const anaList = ana.getByRole("dialog", { name: "Pinned messages" });
  await anaList.getByRole("button", { name: "Unpin" }).click();
  await expect(list.getByText("Nothing is pinned here yet.", { exact: false })).toBeVisible();
  // The keyboard stayed in Ana's dialog: Escape closes it and gives it back to its button.
  await expect(anaList.getByRole("button", { name: "Close" })).toBeFocused();
  await ana.keyboard.press("Escape");
  await expect(anaList).toHaveCount(0);
  await expect(ana.getByRole("button", { name: "Pinned messages" })).toBeFocused();
  await expect(message(bea, "deploy at five").locator(".pin-note")).toHaveCount(0);
  await bea.keyboard.press("Escape");
  await expect(list).toHaveCount(0);
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of a pinned message and the room's pins, ${label}, ${colorScheme}`, async ({ browser }) => {
      const ana = await guestPage(browser, uniqueName("ana"));
      const room = uniqueName("pinshot");
      await createRoom(ana, room);
      await say(ana, "Release checklist: tests green, changelog, tag, announce");
      await say(ana, "Standup moves to 9:30 from Monday");
      await say(ana, "thanks all");
      for (const text of ["Release checklist", "Standup moves"]) {
        await (await toolbar(ana, text)).getByRole("button", { name: "Pin", exact: true }).click();
        await expect(message(ana, text).locator(".pin-note")).toBeVisible();
      }
      const bea = await sizedGuest(browser, uniqueName("bea"), viewport, colorScheme);
      await bea.goto(`/chat?room=${room}`);
      await expect(message(bea, "Standup moves").locator(".pin-note")).toBeVisible();
      await bea.screenshot({ path: `artifacts/pins-message-${label}-${colorScheme}.png` });
      await bea.getByRole("button", { name: "Pinned messages" }).click();
      await expect(bea.getByRole("dialog", { name: "Pinned messages" }).getByRole("listitem")).toHaveCount(2);
      await bea.screenshot({ path: `artifacts/pins-list-${label}-${colorScheme}.png` });
    });
  }
}
