import AxeBuilder from "@axe-core/playwright";
import { type Page } from "@playwright/test";
import {
  test,
  expect,
  contract,
  createAdmin,
  createRoom,
  guestPage,
  guestToken,
  programSocket,
  say,
  GENERAL,
  uniqueName,
} from "./helpers";

const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** Serious and critical accessibility problems axe finds on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const admin = uniqueName("axeadmin");
const password = "correct horse battery";

test.beforeAll(() => {
  createAdmin(admin, password);
});

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const scheme of ["light", "dark"] as const) {
    test(`no serious accessibility problems on the landing, chat, board and admin pages (${size}, ${scheme})`, async ({ browser }) => {
      const context = await browser.newContext({ viewport, colorScheme: scheme });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        // The console level (not the wire's event of the same name).
        if (message.type().startsWith("err")) errors.push(message.text());
      });

      await page.goto("/");
      await expect(page.getByRole("button", { name: "Join the chat" })).toBeVisible();
      expect(await seriousViolations(page), "landing").toEqual([]);
      expect(errors, "an anonymous visit logs no console errors").toEqual([]);
      // Assets have content-hashed names and may be cached for good.
      const css = await page.locator('link[rel="stylesheet"]').getAttribute("href");
      expect(css).toMatch(/^\/pkg\/chat\.[\w-]{8,}\.css$/);
      const asset = await page.request.get(css!);
      expect(asset.headers()["cache-control"]).toContain("immutable");

      await page.getByRole("tab", { name: "Sign in" }).click();
      await page.getByLabel("Name").fill(admin);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.locator("#status")).toHaveText("connected");
      await expect(page.locator("#room-title")).toContainText(GENERAL);
      await page.locator("#msg").fill(`checking @${admin} **contrast** and \`code\``);
      await page.locator("#msg").press("Enter");
      await expect(page.locator("#log .msg").last().locator("strong")).toHaveText("contrast");
      expect(await seriousViolations(page), "chat").toEqual([]);

      await page.locator("#bell").click();
      expect(await seriousViolations(page), "chat with the bell open").toEqual([]);
      await page.keyboard.press("Escape");

      await page.goto("/board");
      await expect(page.locator("#status")).toHaveText("connected");
      expect(await seriousViolations(page), "board").toEqual([]);

      await page.goto(contract.links.ADMIN);
      await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
      expect(await seriousViolations(page), "admin").toEqual([]);
      await context.close();
    });
  }
}

test("the timeline is one tab stop, and the arrow keys move between messages", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await createRoom(ana, uniqueName("keys"));
  for (const text of ["one", "two", "three", "four"]) await say(ana, text);
  const ids = await ana.locator("#log li.msg").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id")));
  expect(ids).toHaveLength(4);
  // Which message each element Tab can reach in the timeline belongs to.
  const stops = async () =>
    new Set(
      await ana.locator("#log").evaluate((log) =>
        [...log.querySelectorAll<HTMLElement>("a[href], button, input, textarea, select, [tabindex]")]
          .filter((element) => element.tabIndex >= 0)
          .map((element) => element.closest("li.msg")?.getAttribute("data-id") ?? element.tagName),
      ),
    );
  // Four messages, one stop: the newest (itself and its own buttons).
  await expect.poll(stops).toEqual(new Set([ids[3]]));
  const row = (n: number) => ana.locator(`#log li.msg[data-id="${ids[n]}"]`);
  await row(3).focus();
  await ana.keyboard.press("ArrowUp");
  await expect(row(2)).toBeFocused();
  await expect.poll(stops).toEqual(new Set([ids[2]]));
  await ana.screenshot({ path: "artifacts/timeline-keyboard-focus.png" });
  await ana.keyboard.press("Home");
  await expect(row(0)).toBeFocused();
  await ana.keyboard.press("ArrowDown");
  await expect(row(1)).toBeFocused();
  await ana.keyboard.press("End");
  await expect(row(3)).toBeFocused();
  // Tab goes into the message's own buttons, then out of the timeline: not through the others.
  await ana.keyboard.press("Tab");
  await expect(row(3).getByRole("button", { name: "React" })).toBeFocused();
  for (let i = 0; i < 6; i++) {
    await ana.keyboard.press("Tab");
    const inOther = await ana.evaluate(
      (newest) => {
        const row = document.activeElement?.closest("li.msg");
        return row !== null && row !== undefined && row.getAttribute("data-id") !== newest;
      },
      ids[3],
    );
    expect(inOther).toBe(false);
  }
});

test("a message keeps the keyboard focus when it is drawn anew (someone reacts to it)", async ({ browser }) => {
  const room = uniqueName("focus");
  const ana = await programSocket(await guestToken(uniqueName("ana")));
  try {
    const REQ = contract.requests[contract.namespaces.CHAT];
    expect((await ana.timeout(5000).emitWithAck(REQ.CREATE_ROOM, { name: room, private: false })).ok).toBe(true);
    expect((await ana.timeout(5000).emitWithAck(REQ.JOIN, { room })).ok).toBe(true);
    const first = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: "first" });
    const second = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: "second" });
    const bea = await guestPage(browser, uniqueName("bea"));
    await bea.keyboard.press("Control+k");
    await bea.keyboard.type(room);
    await bea.keyboard.press("Enter");
    const row = bea.locator(`#log li.msg[data-id="${first.message.id}"]`);
    await expect(row).toBeVisible();
    await row.focus();
    await expect(row).toBeFocused();
    // A reaction draws the message anew: the focus follows it instead of falling to the page.
    expect((await ana.timeout(5000).emitWithAck(REQ.REACT, { id: first.message.id, emoji: "👍", active: true })).ok).toBe(true);
    await expect(row.locator(".reaction-chip")).toHaveCount(1);
    await expect(row).toBeFocused();
    await bea.keyboard.press("ArrowDown");
    await expect(bea.locator(`#log li.msg[data-id="${second.message.id}"]`)).toBeFocused();
  } finally {
    ana.close();
  }
});

test("Tab and Shift+Tab go round an open dialog and never behind it; Escape closes it", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await say(ana, "something to search for");
  const focusInside = (id: string) =>
    ana.evaluate((id) => document.getElementById(id)?.contains(document.activeElement) ?? false, id);
  for (const [opener, id] of [
    ["#people-button", "people-dialog"],
    ["#saved-button", "saved-dialog"],
    ["#open-search", "search-dialog"],
    ["#open-pins", "pins-dialog"],
    ["#switcher-open", "switcher"],
  ]) {
    if (opener === "#switcher-open") {
      await ana.locator("#msg").focus();
      await ana.keyboard.press("Control+k");
    } else {
      await ana.locator(opener).click();
    }
    await expect(ana.locator(`#${id}`)).toBeVisible();
    // More presses than the dialog has controls, both ways round.
    for (const key of ["Tab", "Shift+Tab"]) {
      for (let press = 0; press < 12; press++) {
        await ana.keyboard.press(key);
        expect(await focusInside(id), `${key} #${press + 1} in #${id}`).toBe(true);
      }
    }
    await ana.keyboard.press("Escape");
    await expect(ana.locator(`#${id}`)).toHaveCount(0);
  }
});
