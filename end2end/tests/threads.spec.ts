import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, png, say, sizedGuest, uniqueName, GENERAL } from "./helpers";

/** The message in the room's timeline whose own text contains `text`. */
function message(page: Page, text: string) {
  return page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/** The open thread beside the room. */
function thread(page: Page) {
  return page.locator(".thread-pane");
}

/** Opens a message's toolbar (hover, or the focus on a touch screen). */
async function toolbar(page: Page, text: string) {
  const row = message(page, text).last();
  await row.click({ position: { x: 4, y: 4 } });
  await row.hover();
  return row.getByRole("toolbar", { name: "Message actions" });
}

/** Replies in the open thread with the keyboard. */
async function replyInThread(page: Page, text: string) {
  const box = page.locator("#thread-input");
  await box.fill(text);
  await box.press("Enter");
  await expect(thread(page).locator(".msg:not(.pending) .text").filter({ hasText: text })).toBeVisible();
}

test("a reply starts a thread beside the room; the other person follows it live and answers", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("thread-room");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "who reviews the release notes?");
  await expect(message(bea, "who reviews the release notes?")).toBeVisible();

  // Ana replies in a thread: it opens beside the room, its box ready to type in.
  await (await toolbar(ana, "who reviews the release notes?")).getByRole("button", { name: "Reply in thread" }).click();
  await expect(thread(ana)).toBeVisible();
  await expect(thread(ana).locator(".msg").first()).toContainText("who reviews the release notes?");
  await expect(ana.locator("#thread-input")).toBeFocused();
  await replyInThread(ana, "I can take the first half");

  // The reply stays out of the room's timeline; its root says how many replies it has.
  await expect(message(ana, "I can take the first half")).toHaveCount(0);
  const summary = message(bea, "who reviews the release notes?").locator(".thread-summary");
  await expect(summary).toContainText("1 reply");
  await expect(message(bea, "I can take the first half")).toHaveCount(0);

  // Bea opens it from the summary and answers; Ana's open thread and count follow.
  await summary.click();
  await expect(thread(bea).locator(".msg .text").filter({ hasText: "I can take the first half" })).toBeVisible();
  await replyInThread(bea, "then I take the rest");
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "then I take the rest" })).toBeVisible();
  await expect(message(ana, "who reviews the release notes?").locator(".thread-summary")).toContainText("2 replies");

  // Replies are messages: Bea edits hers in the thread and Ana sees the edit there.
  const id = await thread(bea).locator(".msg").filter({ hasText: "then I take the rest" }).getAttribute("data-id");
  const hers = thread(bea).locator(`.msg[data-id="${id}"]`);
  await hers.click({ position: { x: 4, y: 4 } });
  await hers.hover();
  await hers.getByRole("button", { name: "Edit" }).click();
  const edit = hers.locator("textarea");
  await edit.fill("then I take the second half");
  await edit.press("Enter");
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "then I take the second half" })).toBeVisible();

  // The thread is there after a reload too, read from the server; Escape closes it.
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(message(ana, "who reviews the release notes?").locator(".thread-summary")).toContainText("2 replies");
  await expect(message(ana, "then I take the second half")).toHaveCount(0);
  await message(ana, "who reviews the release notes?").locator(".thread-summary").click();
  await expect(thread(ana).locator(".msg")).toHaveCount(3);
  await ana.locator("#thread-input").press("Escape");
  await expect(thread(ana)).toHaveCount(0);
  await expect(message(ana, "who reviews the release notes?")).toBeFocused();

  // Ana deletes the question: Bea's open thread says it takes no more replies.
  ana.once("dialog", (dialog) => dialog.accept());
  await (await toolbar(ana, "who reviews the release notes?")).getByRole("button", { name: "Delete" }).click();
  await expect(thread(bea).getByRole("status").filter({ hasText: "takes no more replies" })).toBeVisible();
  await expect(bea.locator("#thread-input")).toBeDisabled();
  await expect(thread(bea).locator(".msg .text").filter({ hasText: "I can take the first half" })).toBeVisible();
});

test("a reply in a thread reaches the person who started it, and its notification opens the thread", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("keys");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "who has the spare keys?");
  // Ana moves on to another room; Bea answers in a thread.
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await (await toolbar(bea, "who has the spare keys?")).getByRole("button", { name: "Reply in thread" }).click();
  await replyInThread(bea, "in the top drawer");

  await expect(ana.locator("#bell-count")).toHaveText("1");
  await ana.locator("#bell").click();
  await ana.locator(".note-list .note-link").filter({ hasText: "replied in a thread" }).first().click();
  await expect(ana.locator("#room-title")).toContainText(room);
  await expect(thread(ana).locator(".msg.highlight .text")).toHaveText("in the top drawer");
  // The address names the thread: a reload opens it again.
  await expect(ana).toHaveURL(/[?&]thread=\d+/);
  await ana.reload();
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "in the top drawer" })).toBeVisible();
  // Closed, the address forgets it.
  await ana.locator("#close-thread").click();
  await expect(ana).not.toHaveURL(/thread=/);

  // A thread Ana follows keeps her place: Bea's next reply is news on its root until Ana
  // opens it, and stays read after a reload (the marker is on the server).
  await replyInThread(bea, "behind the tea tin, actually");
  const summary = message(ana, "who has the spare keys?").locator(".thread-summary");
  await expect(summary).toContainText("2 replies");
  await expect(summary.locator(".thread-news")).toHaveText("New replies");
  await ana.mouse.move(0, 0);
  await ana.screenshot({ path: "artifacts/thread-news-1280-light.png" });
  await summary.click();
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "behind the tea tin" })).toBeVisible();
  await expect(summary.locator(".thread-news")).toHaveCount(0);
  await ana.reload();
  await expect(message(ana, "who has the spare keys?").locator(".thread-summary")).toContainText("2 replies");
  await expect(message(ana, "who has the spare keys?").locator(".thread-news")).toHaveCount(0);
});

test("a thread reply written offline waits in the thread and goes once the connection is back", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("offline-thread");
  await createRoom(ana, room);
  await say(ana, "status of the build?");
  await (await toolbar(ana, "status of the build?")).getByRole("button", { name: "Reply in thread" }).click();
  await expect(thread(ana)).toBeVisible();

  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).not.toHaveText("connected");
  await ana.locator("#thread-input").fill("green on my machine");
  await ana.locator("#thread-input").press("Enter");
  const waiting = thread(ana).locator(".msg.pending").filter({ hasText: "green on my machine" });
  await expect(waiting).toBeVisible();
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);

  await ana.context().setOffline(false);
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(thread(ana).locator(".msg:not(.pending) .text").filter({ hasText: "green on my machine" })).toBeVisible();
  await expect(message(ana, "status of the build?").locator(".thread-summary")).toContainText("1 reply");
});

for (const [width, height, scheme] of [
  [1280, 800, "light"],
  [1280, 800, "dark"],
  [390, 844, "light"],
  [390, 844, "dark"],
] as const) {
  test(`screenshot of a thread beside the room, ${width}px, ${scheme}`, async ({ browser }) => {
    const ana = await sizedGuest(browser, uniqueName("ana"), { width, height }, scheme);
    const phone = width < 600;
    if (phone) {
      await ana.locator("#open-rooms").click();
    }
    await createRoom(ana, uniqueName("lunch"));
    await say(ana, "lunch on friday?");
    await (await toolbar(ana, "lunch on friday?")).getByRole("button", { name: "Reply in thread" }).click();
    await expect(thread(ana)).toBeVisible();
    await replyInThread(ana, "the new ramen place?");
    await replyInThread(ana, "booked for 12:30");
    if (phone) {
      // The thread covers the room; its back button leads back to it.
      await expect(ana.locator("#close-thread")).toBeInViewport();
    }
    await ana.mouse.move(0, 0);
    await ana.screenshot({ path: `artifacts/thread-${width}-${scheme}.png` });
    if (phone) {
      await ana.locator("#close-thread").click();
      await expect(thread(ana)).toHaveCount(0);
      await expect(message(ana, "lunch on friday?").locator(".thread-summary")).toContainText("2 replies");
    }
  });
}

test("a reply in a thread carries files: an image sent only with it shows to the other person in the thread", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("photos");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "how did the mockup come out?");
  await (await toolbar(ana, "how did the mockup come out?")).getByRole("button", { name: "Reply in thread" }).click();
  await expect(thread(ana)).toBeVisible();

  // The thread has its own tray: the room's composer keeps none of it.
  const chooser = ana.waitForEvent("filechooser");
  await ana.locator("#thread-attach").click();
  await (await chooser).setFiles([{ name: "mockup.png", mimeType: "image/png", buffer: png(800, 600) }]);
  const tray = ana.locator("#thread-upload-tray .upload");
  await expect(tray).toContainText("mockup.png");
  await expect(tray.locator("progress")).toHaveCount(0);
  await expect(ana.locator("#upload-tray")).toHaveCount(0);
  // With a file, an empty reply may go.
  await ana.locator("#thread-input").press("Enter");
  await expect(ana.locator("#thread-upload-tray")).toHaveCount(0);

  await message(bea, "how did the mockup come out?").locator(".thread-summary").click();
  const shown = thread(bea).locator(".msg .file-image img");
  await expect(shown).toBeVisible();
  await expect(shown).toHaveAttribute("alt", "mockup.png");
  await expect(bea.locator("#log .msg .file-image")).toHaveCount(0);
});

test("typing a reply shows in the thread, not in the room, and moves with the typist", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("typists");
  await createRoom(ana, room);
  const beaName = uniqueName("bea");
  const bea = await guestPage(browser, beaName);
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "thread about lunch");
  await expect(message(bea, "thread about lunch")).toBeVisible();
  for (const page of [ana, bea]) {
    await (await toolbar(page, "thread about lunch")).getByRole("button", { name: "Reply in thread" }).click();
    await expect(thread(page)).toBeVisible();
  }

  await bea.locator("#thread-input").pressSequentially("pizza?");
  await expect(ana.locator("#thread-typing-line")).toHaveText(`${beaName} is typing…`);
  await expect(ana.locator("#typing-line")).toHaveText("");
  // In the room's own box: the line moves to the room.
  await bea.locator("#msg").pressSequentially("or ");
  await expect(ana.locator("#typing-line")).toHaveText(`${beaName} is typing…`);
  await expect(ana.locator("#thread-typing-line")).toHaveText("");
  // Back in the thread; the reply sent there ends it.
  await bea.locator("#thread-input").pressSequentially(" sushi");
  await expect(ana.locator("#thread-typing-line")).toHaveText(`${beaName} is typing…`);
  await expect(ana.locator("#typing-line")).toHaveText("");
  await bea.locator("#thread-input").press("Enter");
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "pizza? sushi" })).toBeVisible();
  await expect(ana.locator("#thread-typing-line")).toHaveText("");
});

test("the threads list shows what you follow with its new replies, and opens a thread at its newest", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("followed");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "what ships on friday?");
  await expect(message(bea, "what ships on friday?")).toBeVisible();
  // Bea answers in a thread while Ana is elsewhere: Ana started it, so she follows it.
  await ana.goto(`/chat?room=${GENERAL}`);
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await (await toolbar(bea, "what ships on friday?")).getByRole("button", { name: "Reply in thread" }).click();
  await replyInThread(bea, "the search page");
  await replyInThread(bea, "and the bots");

  await ana.locator("#threads-button").click();
  const dialog = ana.getByRole("dialog", { name: "Threads you follow" });
  await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
  const row = dialog.locator(".search-hit", { hasText: "what ships on friday?" });
  await expect(row).toContainText("2 replies");
  await expect(row.locator(".thread-unread")).toHaveText("2 new");
  await expect(row.locator(".hit-room")).toHaveText(room);
  await ana.screenshot({ path: "artifacts/threads-list-desktop-light.png" });
  await ana.emulateMedia({ colorScheme: "dark" });
  await ana.screenshot({ path: "artifacts/threads-list-desktop-dark.png" });
  await ana.emulateMedia({ colorScheme: "light" });
  // The same on a phone, light and dark: the button is in the rooms drawer.
  for (const colorScheme of ["light", "dark"] as const) {
    const phone = await bea.context().browser()!.newPage({ viewport: { width: 390, height: 844 }, colorScheme, storageState: await ana.context().storageState() });
    await phone.goto(`/chat?room=${GENERAL}`);
    await phone.locator("#open-rooms").click();
    await phone.locator("#threads-button").click();
    await expect(phone.getByRole("dialog", { name: "Threads you follow" }).locator(".thread-unread")).toHaveText("2 new");
    await phone.screenshot({ path: `artifacts/threads-list-phone-${colorScheme}.png` });
    await phone.close();
  }

  // Choosing it opens the thread beside its room, at its newest reply.
  await row.click();
  await expect(ana.getByRole("dialog")).toHaveCount(0);
  await expect(ana.locator("#room-title")).toContainText(room);
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "and the bots" })).toBeVisible();
  // Read now: the list says nothing is new, and the keyboard comes back to its button.
  await ana.locator("#threads-button").click();
  const again = dialog.locator(".search-hit", { hasText: "what ships on friday?" });
  await expect(again).toContainText("2 replies");
  await expect(again.locator(".thread-unread")).toHaveCount(0);
  await ana.keyboard.press("Escape");
  await expect(ana.locator("#threads-button")).toBeFocused();

  // Someone who follows nothing is told how to.
  await bea.locator("#threads-button").click();
  const hers = bea.getByRole("dialog", { name: "Threads you follow" });
  await expect(hers.locator(".search-hit", { hasText: "what ships on friday?" })).toBeVisible();
  const cy = await guestPage(browser, uniqueName("cy"));
  await cy.locator("#threads-button").click();
  await expect(cy.getByRole("dialog", { name: "Threads you follow" })).toContainText("No threads yet.");
});

test("reactions in a thread are live, and an open thread catches up on what came while offline", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("react-thread");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  await say(ana, "ship it on monday?");
  await (await toolbar(ana, "ship it on monday?")).getByRole("button", { name: "Reply in thread" }).click();
  await replyInThread(ana, "the notes are ready");
  const summary = message(bea, "ship it on monday?").locator(".thread-summary");
  await expect(summary).toContainText("1 reply");
  await summary.click();
  const reply = thread(bea).locator(".msg").filter({ hasText: "the notes are ready" });
  await expect(reply).toBeVisible();

  // Bea reacts to the reply in the thread; Ana's open thread shows it.
  await reply.click({ position: { x: 4, y: 4 } });
  await reply.hover();
  await reply.getByRole("button", { name: "React", exact: true }).click();
  await bea.getByRole("button", { name: "React with 🎉" }).click();
  await expect(thread(ana).locator(".msg").filter({ hasText: "the notes are ready" }).locator(".reaction-chip")).toHaveText("🎉1");

  // Bea drops off with the thread open; Ana answers twice and edits her first reply.
  await bea.context().setOffline(true);
  await expect(bea.locator("#status")).not.toHaveText("connected");
  await replyInThread(ana, "and the changelog");
  await replyInThread(ana, "tests are green");
  const firstId = await thread(ana).locator(".msg").filter({ hasText: "the notes are ready" }).getAttribute("data-id");
  const first = thread(ana).locator(`.msg[data-id="${firstId}"]`);
  await first.click({ position: { x: 4, y: 4 } });
  await first.hover();
  await first.getByRole("button", { name: "Edit" }).click();
  await first.locator("textarea").fill("the notes are ready and reviewed");
  await first.locator("textarea").press("Enter");
  await expect(thread(ana).locator(".msg .text").filter({ hasText: "ready and reviewed" })).toBeVisible();

  // Back online, her open thread has all of it, in order, and the room's count agrees.
  await bea.context().setOffline(false);
  await expect(bea.locator("#status")).toHaveText("connected");
  await expect(thread(bea).locator(".msg .text")).toHaveText([
    "ship it on monday?",
    "the notes are ready and reviewed",
    "and the changelog",
    "tests are green",
  ]);
  await expect(thread(bea).locator(".msg").filter({ hasText: "ready and reviewed" }).locator(".reaction-chip")).toHaveText("🎉1");
  await expect(summary).toContainText("3 replies");
});
