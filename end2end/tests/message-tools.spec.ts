import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, say, sizedGuest, uniqueName } from "./helpers";

/** The message in the room on screen whose own text (not a quote of it) contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/**
 * Opens a message's action toolbar and clicks one action. The toolbar shows on hover, or once
 * the message has the focus (a tap on a touch screen).
 */
async function act(page: Page, text: string, action: "React" | "Reply" | "Edit" | "Delete") {
  const row = message(page, text).last();
  await row.click({ position: { x: 4, y: 4 } });
  await row.hover();
  await row.getByRole("button", { name: action, exact: true }).click();
}

test("edit, react, reply and delete, live in a second browser", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("tools");
  await createRoom(ana, room);
  const bea = await guestPage(browser, beaName);
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  // Edit in place: the other browser sees the new text and the mark.
  await say(ana, "the meeting is on Mnoday");
  await act(ana, "on Mnoday", "Edit");
  const editor = ana.getByLabel("Edit the message");
  await expect(editor).toBeFocused();
  await editor.fill("the meeting is on Monday");
  await editor.press("Enter");
  await expect(message(bea, "on Monday").locator(".edited")).toHaveText("(edited)");
  await expect(message(bea, "Mnoday")).toHaveCount(0);

  // Someone else's message has no Edit.
  await message(bea, "on Monday").hover();
  await expect(message(bea, "on Monday").getByRole("button", { name: "Edit", exact: true })).toHaveCount(0);

  // React from the picker; the other person joins the same reaction by clicking it.
  await act(bea, "on Monday", "React");
  await bea.getByRole("button", { name: "React with 👍" }).click();
  const anaThumbs = message(ana, "on Monday").locator(".reaction-chip");
  await expect(anaThumbs).toHaveText("👍1");
  await expect(anaThumbs).toHaveAttribute("title", `${beaName} reacted with 👍`);
  await anaThumbs.click();
  await expect(message(bea, "on Monday").locator(".reaction-chip")).toHaveText("👍2");
  await expect(anaThumbs).toHaveAttribute("aria-pressed", "true");

  // Reply: the answer quotes the original and its quote leads back to it.
  await act(bea, "on Monday", "Reply");
  await expect(bea.locator("#reply-bar")).toContainText(anaName);
  await expect(bea.locator("#msg")).toBeFocused();
  await say(bea, "works for me");
  await expect(bea.locator("#reply-bar")).toHaveCount(0);
  const quote = message(ana, "works for me").locator(".quote");
  await expect(quote).toContainText("the meeting is on Monday");
  await ana.screenshot({ path: "artifacts/message-tools.png" });
  await quote.click();
  await expect(ana).toHaveURL(/#m\d+$/);
  await expect(message(ana, "on Monday")).toHaveClass(/highlight/);

  // Up in an empty box edits your last message; Escape gives up.
  await bea.locator("#msg").focus();
  await bea.locator("#msg").press("ArrowUp");
  await expect(bea.getByLabel("Edit the message")).toHaveValue("works for me");
  await bea.getByLabel("Edit the message").press("Escape");
  await expect(bea.getByLabel("Edit the message")).toHaveCount(0);

  // Delete (after confirming): a placeholder everywhere, and the reply's quote follows.
  ana.once("dialog", (dialog) => dialog.accept());
  await act(ana, "on Monday", "Delete");
  await expect(bea.locator("#log .msg.is-deleted .text")).toHaveText("message deleted");
  await expect(message(bea, "works for me").locator(".quote")).toContainText("deleted message");
  await expect(bea.locator("#log")).not.toContainText("the meeting is on Monday");
});

test("the reaction picker stays open while the message changes under it", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("picker");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await say(ana, "first wording");
  await expect(message(bea, "first wording")).toBeVisible();

  // Bea opens the picker on Ana's message; Ana edits it and reacts to it meanwhile.
  await act(bea, "first wording", "React");
  const picker = bea.getByRole("group", { name: "Pick a reaction" });
  await expect(picker).toBeVisible();
  await act(ana, "first wording", "Edit");
  await ana.getByLabel("Edit the message").fill("second wording");
  await ana.getByLabel("Edit the message").press("Enter");
  await act(ana, "second wording", "React");
  await ana.getByRole("button", { name: "React with 👀" }).click();
  await expect(message(bea, "second wording").locator(".reaction-chip")).toHaveText("👀1");

  // The row was drawn again with the new text and reaction; Bea's picker is still open on it.
  await expect(picker).toBeVisible();
  await expect(message(bea, "second wording").getByRole("button", { name: "React", exact: true }))
    .toHaveAttribute("aria-expanded", "true");
  await picker.getByRole("button", { name: "React with 🎉" }).click();
  await expect(picker).toHaveCount(0);
  await expect(message(ana, "second wording").locator(".reaction-chip")).toHaveText(["👀1", "🎉1"]);
});

test("edits made while a browser was offline show once it is back", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("away");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await say(ana, "draft version");
  await expect(message(bea, "draft version")).toBeVisible();

  await bea.context().setOffline(true);
  await expect(bea.locator("#status")).not.toHaveText("connected");
  await act(ana, "draft version", "Edit");
  await ana.getByLabel("Edit the message").fill("final version");
  await ana.getByLabel("Edit the message").press("Enter");
  await act(ana, "final version", "React");
  await ana.getByRole("button", { name: "React with 🎉" }).click();
  await expect(message(ana, "final version").locator(".reaction-chip")).toHaveText("🎉1");

  await bea.context().setOffline(false);
  await expect(bea.locator("#status")).toHaveText("connected");
  await expect(message(bea, "final version").locator(".edited")).toBeVisible();
  await expect(message(bea, "final version").locator(".reaction-chip")).toHaveText("🎉1");
  await expect(message(bea, "draft version")).toHaveCount(0);
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of a conversation with reactions, a reply and an edit, ${label}, ${colorScheme}`, async ({ browser }) => {
      const beaName = uniqueName("bea");
      const bea = await guestPage(browser, beaName);
      const room = uniqueName("shots");
      await createRoom(bea, room);
      const ana = await sizedGuest(browser, uniqueName("ana"), viewport, colorScheme);
      await ana.goto(`/chat?room=${room}`);
      await expect(ana.locator("#room-title")).toContainText(room);

      await say(bea, "Lunch at 1?");
      await say(bea, "The usual place");
      await act(bea, "The usual place", "Edit");
      await bea.getByLabel("Edit the message").fill("The usual place, by the river");
      await bea.getByLabel("Edit the message").press("Enter");
      await expect(message(ana, "by the river").locator(".edited")).toBeVisible();
      await act(ana, "Lunch at 1?", "React");
      await ana.getByRole("button", { name: "React with 🎉" }).click();
      await act(bea, "Lunch at 1?", "React");
      await bea.getByRole("button", { name: "React with 👍" }).click();
      await expect(message(ana, "Lunch at 1?").locator(".reaction-chip")).toHaveCount(2);
      await act(ana, "Lunch at 1?", "Reply");
      await say(ana, "Count me in");
      await expect(message(ana, "Count me in").locator(".quote")).toContainText("Lunch at 1?");
      await act(ana, "Count me in", "Reply");
      await expect(ana.locator("#reply-bar")).toBeVisible();
      await ana.screenshot({ path: `artifacts/message-tools-${label}-${colorScheme}.png` });
    });
  }
}
