import { test, expect, guestPage, messages, say, uniqueName } from "./helpers";

test("going offline shows it, blocks the composer, and coming back catches up", async ({ browser }) => {
  const pageA = await guestPage(browser, uniqueName("ana"));
  const pageB = await guestPage(browser, uniqueName("bea"));
  // Texts unique to this run: the room is shared with every other test.
  const before = uniqueName("before the outage ");
  const during = uniqueName("while you were away ");
  await say(pageA, before);
  await expect(messages(pageB).last()).toHaveText(before);

  await pageB.context().setOffline(true);
  await expect(pageB.locator("#status")).toHaveText("offline");
  await expect(pageB.locator("#msg")).toBeDisabled();

  await say(pageA, during);

  await pageB.context().setOffline(false);
  await expect(pageB.locator("#status")).toHaveText("connected");
  await expect(pageB.locator("#msg")).toBeEnabled();
  // Rejoined automatically, with the missed message, in order, and nothing twice.
  await expect(messages(pageB).last()).toHaveText(during);
  await expect(messages(pageB).filter({ hasText: before })).toHaveCount(1);
  await expect(messages(pageB).filter({ hasText: during })).toHaveCount(1);
  await expect(messages(pageB).nth(-2)).toHaveText(before);
  await say(pageB, "back again");
  await expect(messages(pageA).last()).toHaveText("back again");
});

test("a reload keeps the session and the history", async ({ browser }) => {
  const page = await guestPage(browser, uniqueName("fer"));
  const text = uniqueName("remember me ");
  await say(page, text);
  await page.reload();
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(messages(page).last()).toHaveText(text);
});
