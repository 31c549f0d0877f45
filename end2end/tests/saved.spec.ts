import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, say, sizedGuest, uniqueName } from "./helpers";

/** The message in the room on screen whose own text contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/** Opens a message's toolbar (hover, or the focus on a touch screen) and clicks `action`. */
async function act(page: Page, text: string, action: string) {
  const row = message(page, text).last();
  await row.click({ position: { x: 4, y: 4 } });
  await row.hover();
  await row.getByRole("button", { name: action, exact: true }).click();
}

test("a saved message is the reader's alone, kept across a reload and listed on their other tab", async ({ browser }) => {
  const bea = await guestPage(browser, uniqueName("bea"));
  const room = uniqueName("keep");
  await createRoom(bea, room);
  const ana = await guestPage(browser, uniqueName("ana"));
  await ana.goto(`/chat?room=${room}`);
  await say(bea, "the door code is 4711");
  await say(bea, "lunch is at one");
  await expect(message(ana, "lunch is at one")).toBeVisible();

  // Ana's second tab (same account) has her saved list open while she saves from the first.
  const anaTab = await ana.context().newPage();
  await anaTab.goto(`/chat?room=${room}`);
  await expect(anaTab.locator("#status")).toHaveText("connected");
  await anaTab.getByRole("button", { name: "Saved…" }).click();
  const list = anaTab.getByRole("dialog", { name: "Saved messages" });
  await expect(list.getByText("Nothing saved yet.", { exact: false })).toBeVisible();

  await act(ana, "the door code", "Save");
  await expect(message(ana, "the door code").locator(".saved-mark")).toHaveCount(1);
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(list.getByRole("listitem")).toContainText("the door code is 4711");
  await expect(list.getByRole("listitem")).toContainText(room);
  // Bea sees nothing of it.
  await expect(message(bea, "the door code").locator(".saved-mark")).toHaveCount(0);

  // After a reload the mark is still there; choosing it in the list shows it in its room.
  await ana.reload();
  await expect(message(ana, "the door code").locator(".saved-mark")).toHaveCount(1);
  await ana.getByRole("button", { name: "Saved…" }).click();
  const mine = ana.getByRole("dialog", { name: "Saved messages" });
  await mine.getByRole("button", { name: /the door code/ }).click();
  await expect(mine).toHaveCount(0);
  await expect(message(ana, "the door code")).toHaveClass(/highlight/);

  // Taken out from the other tab's list: gone here too.
  await list.getByRole("button", { name: "Remove" }).click();
  await expect(list.getByText("Nothing saved yet.", { exact: false })).toBeVisible();
  await expect(message(ana, "the door code").locator(".saved-mark")).toHaveCount(0);

  // Saved on her phone while this browser was offline: the mark is here once it is back.
  const phone = await (await browser.newContext({ storageState: await ana.context().storageState() })).newPage();
  await phone.goto(`/chat?room=${room}`);
  await expect(message(phone, "lunch is at one")).toBeVisible();
  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).not.toHaveText("connected");
  await act(phone, "lunch is at one", "Save");
  await expect(message(phone, "lunch is at one").locator(".saved-mark")).toHaveCount(1);
  await ana.context().setOffline(false);
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(message(ana, "lunch is at one").locator(".saved-mark")).toHaveCount(1);
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of saved messages, ${label}, ${colorScheme}`, async ({ browser }) => {
      const room = uniqueName("keepshot");
      const bea = await guestPage(browser, uniqueName("bea"));
      await createRoom(bea, room);
      const ana = await sizedGuest(browser, uniqueName("ana"), viewport, colorScheme);
      await ana.goto(`/chat?room=${room}`);
      await expect(ana.locator("#room-title")).toContainText(room);
      await say(ana, "Office wifi: tertulia-guest / ask at the desk");
      await say(ana, "Quarterly review on the 14th, slides by the 10th");
      for (const text of ["Office wifi", "Quarterly review"]) {
        await act(ana, text, "Save");
        await expect(message(ana, text).locator(".saved-mark")).toHaveCount(1);
      }
      await ana.mouse.move(0, 0);
      await ana.screenshot({ path: `artifacts/saved-messages-${label}-${colorScheme}.png` });
      if (label === "phone") {
        await ana.getByRole("button", { name: "Rooms" }).click();
      }
      await ana.getByRole("button", { name: "Saved…" }).click();
      await expect(ana.getByRole("dialog", { name: "Saved messages" }).getByRole("listitem")).toHaveCount(2);
      await ana.screenshot({ path: `artifacts/saved-list-${label}-${colorScheme}.png` });
    });
  }
}
