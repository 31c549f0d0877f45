import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, say, sizedGuest, uniqueName } from "./helpers";

/** The message in the room on screen whose own text contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/** Opens the quick reaction picker of a message (hover, or the focus on a touch screen). */
async function openReactions(page: Page, text: string) {
  const row = message(page, text).last();
  await row.click({ position: { x: 4, y: 4 } });
  await row.hover();
  await row.getByRole("button", { name: "React", exact: true }).click();
  return row;
}

test("any emoji as a reaction: searched by name, seen live by the other person", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("emoji");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "the release is out");

  const row = await openReactions(bea, "the release is out");
  await row.getByRole("button", { name: "More reactions…" }).click();
  const dialog = bea.getByRole("dialog", { name: "Add a reaction" });
  const search = dialog.getByRole("searchbox", { name: "Search emoji" });
  await expect(search).toBeFocused();
  await search.fill("rocket");
  await expect(dialog.getByRole("button", { name: "rocket", exact: true })).toBeVisible();
  // Enter takes the best match.
  await search.press("Enter");
  await expect(dialog).toHaveCount(0);
  await expect(message(ana, "the release is out").locator(".reaction-chip", { hasText: "🚀" })).toContainText("1");
  await expect(message(bea, "the release is out").locator(".reaction-chip", { hasText: "🚀" })).toBeVisible();
  // What Bea used lately leads her quick row now (kept in this browser).
  const quick = await openReactions(bea, "the release is out");
  await expect(quick.locator(".emoji-picker .pick").first()).toHaveAttribute("aria-label", "React with 🚀");

  // By keyboard in the grid: a group, arrows, Enter; Escape closes without reacting.
  await (await openReactions(ana, "the release is out")).getByRole("button", { name: "More reactions…" }).click();
  const anaDialog = ana.getByRole("dialog", { name: "Add a reaction" });
  await anaDialog.getByRole("button", { name: "Food & Drink" }).click();
  const first = anaDialog.locator(".emoji-cell").first();
  await first.focus();
  await ana.keyboard.press("ArrowRight");
  const second = anaDialog.locator(".emoji-cell").nth(1);
  await expect(second).toBeFocused();
  const picked = (await second.textContent()) ?? "";
  await ana.keyboard.press("Enter");
  await expect(anaDialog).toHaveCount(0);
  await expect(message(bea, "the release is out").locator(".reaction-chip", { hasText: picked })).toBeVisible();
  await (await openReactions(ana, "the release is out")).getByRole("button", { name: "More reactions…" }).click();
  // The dialog is modal: the keyboard goes round its controls and never leaves it.
  await expect(anaDialog.getByRole("searchbox", { name: "Search emoji" })).toBeFocused();
  await ana.keyboard.press("Shift+Tab");
  await expect(anaDialog.getByRole("button", { name: "Close", exact: true })).toBeFocused();
  await ana.keyboard.press("Shift+Tab");
  await expect(anaDialog.locator(".emoji-cell").first()).toBeFocused();
  await ana.keyboard.press("Tab");
  await expect(anaDialog.getByRole("button", { name: "Close", exact: true })).toBeFocused();
  await ana.keyboard.press("Escape");
  await expect(anaDialog).toHaveCount(0);
  // Nothing found says so.
  await (await openReactions(ana, "the release is out")).getByRole("button", { name: "More reactions…" }).click();
  await anaDialog.getByRole("searchbox", { name: "Search emoji" }).fill("zzzzqqq");
  await expect(anaDialog.getByText("No emoji matches that.")).toBeVisible();
  await ana.keyboard.press("Escape");
});

test("shortcodes in the composer: completion, whole codes, and the picker at the caret", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("emoji");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  const box = ana.locator("#msg");
  // `:tad` offers 🎉 :tada:; Enter takes it (and does not send).
  await box.pressSequentially("we shipped :tad");
  const list = ana.getByRole("listbox", { name: "Emoji" });
  await expect(list.getByRole("option").first()).toContainText(":tada:");
  // A screen reader hears the chosen suggestion: the box points at it.
  await expect(box).toHaveAttribute("aria-controls", "emoji-list");
  await expect(box).toHaveAttribute("aria-activedescendant", "emoji-list-option-0");
  await expect(ana.locator("#emoji-list-option-0")).toHaveAttribute("aria-selected", "true");
  await box.press("Enter");
  await expect(box).toHaveValue("we shipped 🎉");
  await expect(list).toHaveCount(0);
  await expect(box).not.toHaveAttribute("aria-activedescendant", /./);
  // A whole code typed becomes its emoji.
  await box.pressSequentially(" and :rocket: off");
  await expect(box).toHaveValue("we shipped 🎉 and 🚀 off");
  // Times and smileys stay text, and Enter sends (`:30` offers no clock).
  await box.pressSequentially(" at 10:30 :) or :30");
  await expect(list).toHaveCount(0);
  await box.press("Enter");
  await expect(message(bea, "we shipped 🎉 and 🚀 off at 10:30 :) or :30")).toBeVisible();

  // The ☺ button: search, pick, and it lands where the caret was.
  await box.fill("good job");
  await box.press("Home");
  await ana.getByRole("button", { name: "Insert an emoji" }).click();
  const picker = ana.getByRole("dialog", { name: "Insert an emoji" });
  await picker.getByRole("searchbox", { name: "Search emoji" }).fill("thumbs up");
  await picker.getByRole("button", { name: "thumbs up", exact: true }).click();
  await expect(picker).toHaveCount(0);
  await expect(box).toHaveValue("👍good job");
  await expect(box).toBeFocused();
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of the emoji pickers, ${label}, ${colorScheme}`, async ({ browser }) => {
      // A room of its own: the other screenshots run at the same time with the same words.
      const host = await guestPage(browser, uniqueName("host"));
      const room = uniqueName("emojishot");
      await createRoom(host, room);
      const ana = await sizedGuest(browser, uniqueName("ana"), viewport, colorScheme);
      await ana.goto(`/chat?room=${room}`);
      await expect(ana.locator("#room-title")).toContainText(room);
      await say(ana, "Friday's demo went well");
      await (await openReactions(ana, "Friday's demo went well")).getByRole("button", { name: "More reactions…" }).click();
      const dialog = ana.getByRole("dialog", { name: "Add a reaction" });
      await dialog.getByRole("searchbox", { name: "Search emoji" }).fill("cat");
      await expect(dialog.locator(".emoji-cell").first()).toBeVisible();
      await ana.screenshot({ path: `artifacts/emoji-reaction-${label}-${colorScheme}.png` });
      await ana.keyboard.press("Escape");
      await ana.locator("#msg").pressSequentially("so :sm");
      await expect(ana.getByRole("listbox", { name: "Emoji" })).toBeVisible();
      await ana.screenshot({ path: `artifacts/emoji-shortcode-${label}-${colorScheme}.png` });
    });
  }
}
