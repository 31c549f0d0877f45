import { test, expect, adminPage, contract, createRoom, guestPage, say, uniqueName } from "./helpers";

test("a room's creator mutes someone, whose message is refused but kept", async ({ browser }) => {
  const owner = await guestPage(browser, uniqueName("owner"));
  const room = uniqueName("club");
  await createRoom(owner, room);
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  await ana.goto(`/chat?room=${room}`);
  await expect(ana.locator("#room-title")).toContainText(room);

  const member = owner.locator(`#people .member[data-user="${anaName}"]`);
  await member.locator(".member-menu summary").click();
  await member.getByRole("button", { name: "Mute 15 min" }).click();
  await expect(owner.locator(".room")).toContainText(`${anaName} is muted for 15 minutes`);
  // Ana is told at once, in the room she is reading.
  await expect(ana.locator("#note-toast")).toContainText(`muted you in ${room} for 15 minutes`);

  const box = ana.locator("#msg");
  await box.fill("let me speak");
  await box.press("Enter");
  const refused = ana.locator("#log .msg.pending").filter({ hasText: "let me speak" });
  await expect(refused.locator(".failed")).toContainText("muted");
  await expect(refused.getByRole("button", { name: "Retry" })).toBeVisible();

  // Not a moderator: nothing to moderate in the menu next to people (blocking is for anyone).
  await expect(ana.locator("#people .member-menu .member-actions button")).not.toHaveCount(0);
  await expect(ana.locator("#people .member-menu").getByRole("button", { name: /Mute|Unmute|Remove/, includeHidden: true })).toHaveCount(0);
  await owner.screenshot({ path: "artifacts/moderation-mute.png" });
});

test("a private room's creator removes someone, who is told and loses the room", async ({ browser }) => {
  const ownerName = uniqueName("owner");
  const owner = await guestPage(browser, ownerName);
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("circle ");
  await createRoom(owner, room, true);
  await owner.locator("#invite-name").fill(anaName);
  await owner.locator("#invite-button").click();
  await ana.locator("#note-toast .note-link").click();
  await expect(ana.locator("#room-title")).toContainText(room);
  await say(ana, "glad to be here");

  const member = owner.locator(`#people .member[data-user="${anaName}"]`);
  await member.locator(".member-menu summary").click();
  // Asked first (she would need a new invite to come back).
  owner.once("dialog", (dialog) => {
    expect(dialog.message()).toContain(`Remove ${anaName} from ${room}?`);
    void dialog.accept();
  });
  await member.getByRole("button", { name: "Remove from room" }).click();
  // Ana is told at once, and the room is gone from her list and her screen.
  await expect(ana.locator("#note-toast")).toContainText(`${ownerName} removed you from ${room}`);
  await expect(ana.locator("#joined")).not.toContainText(room);
  await expect(ana.locator("#room-title")).not.toContainText(room);
  await expect(owner.locator(`#people .member[data-user="${anaName}"]`)).toHaveCount(0);
  // Nor can she write there any more: the room's name takes her nowhere.
  await ana.goto(`/chat?room=${encodeURIComponent(room)}`);
  await expect(ana.locator(".toast")).toContainText("there is no room called");
  await expect(ana.locator("#room-title")).not.toContainText(room);
});

test("an admin bans an account: it is signed out at once and the log shows it", async ({ browser }) => {
  const page = await adminPage(browser);

  const eveName = uniqueName("eve");
  const eve = await guestPage(browser, eveName);
  await say(eve, "hello before the ban");

  page.once("dialog", (dialog) => dialog.accept());
  await page.locator("#ban-user").fill(eveName);
  await page.locator("#ban").click();
  await expect(page.getByRole("status")).toHaveText(`${eveName} is banned`);
  await expect(page.locator(`#audit-log tr[data-action]`).first().locator(".audit-target")).toHaveText(eveName);
  await expect(page.locator(`#audit-log tr[data-action]`).first().locator(".audit-action")).toHaveText(contract.requests[contract.namespaces.ADMIN].BAN);

  // Eve's page loses its session and goes back to the start page.
  await expect(eve).toHaveURL(/\/(\?.*)?$/, { timeout: 20_000 });
  await page.screenshot({ path: "artifacts/moderation-admin.png", fullPage: true });
});

test("an admin bans and removes what the account posted lately: it goes from everyone's screen", async ({ browser }) => {
  const page = await adminPage(browser);
  const eveName = uniqueName("eve");
  const eve = await guestPage(browser, eveName);
  const spam = `buy cheap ${uniqueName("pills")}`;
  await say(eve, spam);
  const bob = await guestPage(browser, uniqueName("bob"));
  const seen = bob.locator("#log .msg").filter({ hasText: spam });
  await expect(seen).toHaveCount(1);
  const id = await seen.getAttribute("data-id");

  page.once("dialog", (dialog) => {
    expect(dialog.message()).toContain("last 1 h");
    dialog.accept();
  });
  await page.locator("#ban-user").fill(eveName);
  await page.locator("#ban-remove").selectOption("1");
  await page.locator("#ban").click();
  await expect(page.getByRole("status")).toHaveText(`${eveName} is banned`);

  // Bob's screen drops the text at once; the log says what went.
  await expect(bob.locator(`#log .msg[data-id="${id}"]`)).toHaveClass(/is-deleted/);
  await expect(bob.locator("#log .msg").filter({ hasText: spam })).toHaveCount(0);
  const removal = page.locator(`#audit-log tr[data-action="remove_content"]`).filter({ hasText: eveName });
  await expect(removal).toContainText("1 message, 0 rooms, 0 files from the last 1 h");
  await page.screenshot({ path: "artifacts/moderation-ban-remove.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.locator("#ban-user").scrollIntoViewIfNeeded();
  await page.screenshot({ path: "artifacts/moderation-ban-remove-phone-dark.png" });
});
