import { test, expect, createRoom, guestPage, memberPage, messages, say, uniqueName, GENERAL } from "./helpers";

test("two accounts share a private room and a DM that a third person cannot see", async ({ browser }) => {
  const ana = uniqueName("ana");
  const bea = uniqueName("bea");
  const pageA = await memberPage(browser, ana);
  const pageB = await memberPage(browser, bea);
  await expect(pageA.locator(".me-name")).toHaveText(ana);

  // A creates a private room and invites B, who is told and follows the link.
  const secret = uniqueName("secret ");
  await createRoom(pageA, secret, true);
  await pageA.locator("#invite-name").fill(bea);
  await pageA.locator("#invite-button").click();
  await expect(pageB.locator("#note-toast")).toContainText(`${ana} invited you to ${secret}`);
  await pageB.locator("#note-toast .note-link").click();
  await expect(pageB.locator("#room-title")).toContainText(secret);

  // They talk.
  await say(pageA, "only for us");
  await expect(messages(pageB).last()).toHaveText("only for us");
  await say(pageB, "indeed");
  await expect(messages(pageA).last()).toHaveText("indeed");

  // A third person neither sees the room nor gets in by its name.
  const pageC = await guestPage(browser, uniqueName("cy"));
  await expect(pageC.locator("#directory")).not.toContainText(secret);
  await pageC.goto(`/chat?room=${encodeURIComponent(secret)}`);
  await expect(pageC.locator(".toast")).toContainText(`there is no room called`);
  await expect(pageC.locator("#room-title")).not.toContainText(secret);

  // A direct message, started from the member list; B (elsewhere) is pinged and opens it.
  await pageA.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(pageA.locator(`#people li[data-user="${bea}"]`)).toBeVisible();
  await pageA.locator(`#people li[data-user="${bea}"] .dm`).click();
  await expect(pageA.locator("#room-title")).toHaveText(`🔒 @${bea}`);
  await say(pageA, "psst, just you");
  await expect(pageB.locator("#note-toast")).toContainText(`${ana} sent you a message`);
  await pageB.locator("#bell").click();
  await pageB.locator(".note-list .note-link").filter({ hasText: "sent you a message" }).first().click();
  await expect(pageB.locator("#room-title")).toHaveText(`🔒 @${ana}`);
  await expect(messages(pageB).last()).toHaveText("psst, just you");
  await expect(pageC.locator("#directory")).not.toContainText(`@${ana}`);

  // B leaves the private room for good (after confirming): it is gone from her lists, and
  // following its link again finds nothing.
  await pageB.locator(`#joined li[data-room="${secret}"] .room-link`).click();
  await expect(pageB.locator("#room-title")).toContainText(secret);
  pageB.once("dialog", (dialog) => dialog.accept());
  await pageB.locator("#leave-room").click();
  await expect(pageB.locator(`#joined li[data-room="${secret}"]`)).toHaveCount(0);
  await expect(pageB.locator("#directory")).not.toContainText(secret);
  await pageB.goto(`/chat?room=${encodeURIComponent(secret)}`);
  await expect(pageB.locator(".toast")).toContainText(`there is no room called`);
});

test("sign-in errors are clear and sign-out works", async ({ browser }) => {
  const name = uniqueName("dee");
  const page = await memberPage(browser, name);
  await page.locator("#sign-out").click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole("tab", { name: "Sign in" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  // The name is taken, whatever its case.
  const other = await browser.newContext();
  const guest = await other.newPage();
  await guest.goto("/");
  await guest.getByLabel("Name").fill(name.toUpperCase());
  await guest.getByRole("button", { name: "Join the chat" }).click();
  await expect(guest.getByRole("alert")).toContainText("is taken");
});
