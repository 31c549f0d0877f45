import { test, expect, createAdmin, guestPage, say, sizedGuest, uniqueName, GENERAL } from "./helpers";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

test("on a phone the conversation fills the screen; rooms and people are drawers; targets are 44 px", async ({ browser }) => {
  const beaName = uniqueName("beatrice-longname");
  const bea = await guestPage(browser, beaName);
  const ana = await sizedGuest(browser, uniqueName("ana"), PHONE);

  // One-row top bar; the conversation takes the width and most of the height.
  const bar = await ana.locator(".topbar").boundingBox();
  expect(bar!.height).toBeLessThan(64);
  const log = await ana.locator("#log").boundingBox();
  expect(log!.width).toBeGreaterThan(PHONE.width * 0.9);
  expect(log!.height).toBeGreaterThan(PHONE.height * 0.55);
  await expect(ana.locator("#rooms-drawer")).not.toBeInViewport();

  // Every visible control is at least 44 px tall.
  for (const control of await ana.locator(".topbar button, .room-head button, .composer button").all()) {
    if (await control.isVisible()) {
      expect((await control.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    }
  }

  // The people drawer starts a DM; long names are cut with an ellipsis, not wrapped.
  await ana.locator("#open-people").click();
  await expect(ana.locator("#people-drawer")).toBeInViewport();
  const member = ana.locator("#people .member").filter({ hasText: beaName });
  const name = member.locator(".name");
  expect(await name.evaluate((el) => getComputedStyle(el).textOverflow)).toBe("ellipsis");
  await member.getByRole("button").click();
  await expect(ana.locator("#room-title")).toContainText(`@${beaName}`);
  await expect(ana.locator("#people-drawer")).not.toBeInViewport();
  await say(ana, "sent from a phone");

  // The rooms drawer switches rooms and closes; Escape closes it too.
  await ana.locator("#open-rooms").click();
  await expect(ana.locator("#rooms-drawer")).toBeInViewport();
  await ana.keyboard.press("Escape");
  await expect(ana.locator("#rooms-drawer")).not.toBeInViewport();
  await ana.locator("#open-rooms").click();
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await expect(ana.locator("#rooms-drawer")).not.toBeInViewport();
  await expect(bea.locator("#joined")).toContainText("@");
});

for (const colorScheme of ["light", "dark"] as const) {
  for (const [label, viewport] of [["desktop", DESKTOP], ["phone", PHONE]] as const) {
    test(`screenshot of the chat, ${label}, ${colorScheme}`, async ({ browser }) => {
      const page = await sizedGuest(browser, uniqueName("shot"), viewport, colorScheme);
      const other = await guestPage(browser, uniqueName("pat"));
      const box = other.locator("#msg");
      await box.fill("Morning! The **release notes** are at https://example.org/notes");
      await box.press("Enter");
      await box.fill("`cargo leptos watch` is running on my side");
      await box.press("Enter");
      await expect(page.locator("#log .msg").last()).toContainText("is running on my side");
      await say(page, `Thanks — looking now`);
      await expect(page.locator("#log .msg").last()).toContainText("looking now");
      await page.screenshot({ path: `artifacts/chat-${label}-${colorScheme}.png` });
      await other.context().close();
      await page.context().close();
    });
  }
}

test("on a phone the bell's list and the account menu stay on the screen; an admin finds Admin there", async ({ browser }) => {
  const admin = uniqueName("boss");
  createAdmin(admin);
  const page = await (await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true })).newPage();
  await page.goto("/?mode=signin");
  await page.getByLabel("Name").fill(admin);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  const onScreen = async (selector: string) => {
    const box = await page.locator(selector).boundingBox();
    expect(box, `${selector} is shown`).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
  };

  await page.locator("#bell").click();
  await expect(page.locator(".note-list")).toBeVisible();
  await onScreen(".note-list");
  await page.screenshot({ path: "artifacts/phone-bell.png" });
  await page.locator("#bell").click();
  await expect(page.locator(".note-list")).toBeHidden();

  await page.locator("#account summary").click();
  const pages = page.getByRole("navigation", { name: "Go to" });
  await expect(pages.getByRole("link", { name: "Admin" })).toBeVisible();
  await onScreen("#account .account-panel");
  await pages.getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(/\/admin/);
  await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
});

test("on a phone the other pages are reached from the account menu", async ({ browser }) => {
  const ana = await sizedGuest(browser, uniqueName("ana"), PHONE);
  await expect(ana.getByRole("navigation", { name: "Pages" })).toBeHidden();
  await ana.locator("#account summary").click();
  const pages = ana.getByRole("navigation", { name: "Go to" });
  await expect(pages).toBeVisible();
  await expect(pages.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await ana.screenshot({ path: "artifacts/phone-menu-pages.png" });
  await pages.getByRole("link", { name: "Board" }).click();
  await expect(ana).toHaveURL(/\/board/);
  // On a desktop the top bar has the links and the menu does not repeat them.
  const bea = await sizedGuest(browser, uniqueName("bea"), DESKTOP);
  await bea.locator("#account summary").click();
  await expect(bea.getByRole("navigation", { name: "Go to" })).toBeHidden();
  await expect(bea.getByRole("navigation", { name: "Pages" })).toBeVisible();
});
