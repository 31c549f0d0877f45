import type { Browser, Page } from "@playwright/test";
import { contract, createRoom, expect, GENERAL, guestToken, programSocket, guestPage, messages, say, test, uniqueName } from "./helpers";

// `/chat` drawn by the server: the person's rooms and the last page of the room they will see
// read before the script runs (or without it), the rooms are links, and the page then
// hydrates into the live chat from the same data.

/** A page of `of`'s session in a new context of `size`, with the wasm never arriving (the
 * state of a phone still downloading it) or with no script at all. */
async function before(
  browser: Browser,
  of: Page,
  mode: "wasm-blocked" | "no-script",
  size: { width: number; height: number } = { width: 1280, height: 800 },
) {
  const context = await browser.newContext({
    storageState: await of.context().storageState(),
    javaScriptEnabled: mode !== "no-script",
    viewport: size,
  });
  const page = await context.newPage();
  if (mode === "wasm-blocked") {
    await page.route(/\.wasm$/, (route) => route.abort());
  }
  return page;
}

test("the chat reads before its script: the room's last page, the rooms as links", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("early");
  await createRoom(ana, room);
  const inRoom = uniqueName("said in the room ");
  await say(ana, inRoom);
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  const inGeneral = uniqueName("said in general ");
  await say(ana, inGeneral);

  for (const mode of ["wasm-blocked", "no-script"] as const) {
    const page = await before(browser, ana, mode);
    await page.goto(contract.links.CHAT);
    // The room last on screen in this browser, with its messages.
    await expect(page.locator("#room-title")).toContainText(GENERAL);
    await expect(messages(page).last()).toHaveText(inGeneral);
    await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "");
    // What needs the script is not offered until it runs; without it, the page says so.
    await expect(page.locator("#msg")).toBeHidden();
    if (mode === "no-script") {
      // (Playwright's text matchers skip <noscript>; its textContent is what the page shows.)
      await expect(page.locator(".room .composer-note")).toBeVisible();
      expect(await page.locator(".room .composer-note").textContent()).toContain("need JavaScript");
      // No connection without the script: the top bar says "reading only" instead.
      await expect(page.locator("#status")).toBeHidden();
      expect(await page.locator(".topbar").textContent()).toContain("reading only");
      await page.screenshot({ path: "artifacts/first-screen-no-script.png" });
    } else {
      await expect(page.locator(".room .composer-note")).toBeHidden();
      await expect(page.locator(".reading-only")).toBeHidden();
      await expect(page.locator("#status")).toBeVisible();
    }
    await expect(page.locator("#mute-room")).toBeHidden();
    // Another room is a link the server draws.
    await page.locator(`#joined li[data-room="${room}"] .room-link`).click();
    await expect(page).toHaveURL(new RegExp(`room=${room}`));
    await expect(page.locator("#room-title")).toContainText(room);
    await expect(messages(page).last()).toHaveText(inRoom);
    await expect(messages(page).filter({ hasText: inGeneral })).toHaveCount(0);
    await page.context().close();
  }
  // On a phone before the wasm arrives, the rooms drawer opens as a link, and its rooms are
  // links too.
  {
    const phone = await before(browser, ana, "wasm-blocked", { width: 390, height: 844 });
    await phone.goto(`/chat?room=${GENERAL}`);
    const inDrawer = phone.locator(`#joined li[data-room="${room}"] .room-link`);
    await expect(inDrawer).not.toBeInViewport();
    await phone.locator(".drawer-link").click();
    // (Once the drawer has slid in: the room's whole entry on screen.)
    await expect(phone.locator(`#joined li[data-room="${room}"]`)).toBeInViewport({ ratio: 1 });
    await phone.screenshot({ path: "artifacts/first-screen-phone-rooms.png" });
    await inDrawer.click();
    await expect(phone.locator("#room-title")).toContainText(room);
    await expect(messages(phone).last()).toHaveText(inRoom);
    await phone.context().close();
  }
  // Before the wasm arrives, at both sizes in both schemes: the newest message in view (the
  // room holds more than a screen: someone else wrote a page first), as once live, its
  // author named.
  const writer = await programSocket(await guestToken(uniqueName("w")));
  const request = contract.requests[contract.namespaces.CHAT];
  await writer.timeout(5_000).emitWithAck(request.JOIN, { room: GENERAL });
  for (let n = 1; n <= 15; n++) {
    await writer.timeout(5_000).emitWithAck(request.MESSAGE, { room: GENERAL, text: `earlier line ${n}` });
  }
  writer.close();
  await say(ana, inGeneral);
  for (const [size, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
    for (const colorScheme of ["light", "dark"] as const) {
      const page = await before(browser, ana, "wasm-blocked", viewport);
      await page.emulateMedia({ colorScheme });
      await page.goto(`/chat?room=${GENERAL}`);
      await expect(messages(page).last()).toHaveText(inGeneral);
      await expect(messages(page).last()).toBeInViewport();
      expect(await page.locator("#log").evaluate((log) => log.scrollTop)).toBeGreaterThan(0);
      await expect(page.locator("#log .msg .author").last()).toBeVisible();
      await page.screenshot({ path: `artifacts/first-screen-${size}-${colorScheme}.png` });
      await page.context().close();
    }
  }
  // Signing out forgets the room remembered for the next person on this device.
  const remembered = async () => (await ana.context().cookies()).some((cookie) => cookie.name === "tertulia_room");
  expect(await remembered()).toBe(true);
  await ana.locator("#sign-out").click();
  await expect(ana).toHaveURL(/\/(\?.*)?$/);
  expect(await remembered()).toBe(false);
});

test("the drawn chat hydrates into the live one: same messages once, local times, sending works", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const earlier = uniqueName("before the reload ");
  await say(bea, earlier);
  await expect(messages(ana).filter({ hasText: earlier })).toHaveCount(1);

  const page = await (await browser.newContext({ storageState: await ana.context().storageState() })).newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    // Console levels (not the wire's event of the same name).
    if (message.type().startsWith("err") || message.type().startsWith("warn")) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  // Written after the server drew the page and before its wasm arrived: it comes with the
  // catch-up after the first screen.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(contract.links.CHAT);
  await expect(messages(page).filter({ hasText: earlier })).toHaveCount(1);
  const during = uniqueName("while the page loaded ");
  await say(bea, during);
  await expect(messages(page).filter({ hasText: during })).toHaveCount(0);
  release();

  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "");
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(messages(page).filter({ hasText: earlier })).toHaveCount(1);
  await expect(messages(page).filter({ hasText: during })).toHaveCount(1);
  await expect(messages(page).last()).toHaveText(during);
  // The times the server could not know (the reader's zone) are filled in.
  await expect(page.locator("#log .msg time").last()).toHaveText(/\d/);
  // An address asking for no room in particular (`?room=`) is the chat as remembered.
  await page.goto(`${contract.links.CHAT}?room=`);
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  await expect(messages(page).last()).toHaveText(during);
  await expect(page).toHaveURL(new RegExp(`room=${GENERAL}`));
  await expect(page.locator(".toast")).toHaveCount(0);
  const mine = uniqueName("after the first screen ");
  await say(page, mine);
  await expect(messages(bea).filter({ hasText: mine })).toHaveCount(1);
  expect(problems, "no hydration errors or panics").toEqual([]);
});
