import { test, expect, guestPage, messages, say, uniqueName, GENERAL } from "./helpers";

test("blocking someone closes their DM, folds their messages and can be undone", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const eveName = uniqueName("eve");
  const ana = await guestPage(browser, anaName);
  const eve = await guestPage(browser, eveName);

  // Eve writes to Ana privately; the DM is in Ana's list.
  await eve.locator(`#people li[data-user="${anaName}"] .dm`).click();
  await expect(eve.locator("#room-title")).toHaveText(`🔒 @${anaName}`);
  await say(eve, "hi ana, quick question");
  const dmRoom = ana.locator("#joined li.room-item").filter({ hasText: `@${eveName}` });
  await expect(dmRoom).toHaveCount(1);

  // Ana blocks her from the people list, after confirming.
  const eveRow = ana.locator(`#people li[data-user="${eveName}"]`);
  await eveRow.getByLabel(`More about ${eveName}`).click();
  ana.once("dialog", (dialog) => {
    expect(dialog.message()).toContain(`Block ${eveName}?`);
    dialog.accept();
  });
  await eveRow.getByRole("button", { name: "Block" }).click();
  await expect(ana.locator(".room")).toContainText(`you blocked ${eveName}`);
  await expect(dmRoom).toHaveCount(0);
  await expect(ana.locator("#directory")).not.toContainText(`@${eveName}`);
  await expect(eveRow).toHaveClass(/blocked/);

  // What Eve says in general is folded away on Ana's screen, and shown on request.
  await eve.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  const text = `look at me ${uniqueName("x")}`;
  await say(eve, text);
  const folded = ana.locator("#log .msg.folded");
  await expect(folded).toHaveCount(1);
  await expect(folded).toContainText("A message from someone you blocked");
  await expect(messages(ana).filter({ hasText: text })).toBeHidden();
  await ana.screenshot({ path: "artifacts/blocks-folded.png" });
  await folded.getByRole("button", { name: "Show" }).click();
  await expect(messages(ana).filter({ hasText: text })).toBeVisible();

  // Eve's DM is closed: what she writes there is refused, with the reason.
  await eve.locator("#joined li.room-item").filter({ hasText: `@${anaName}` }).locator(".room-link").click();
  const box = eve.locator("#msg");
  await box.fill("hello??");
  await box.press("Enter");
  await expect(eve.locator("#log .msg.pending").filter({ hasText: "hello??" }).locator(".failed")).toContainText("blocked");
  await eve.screenshot({ path: "artifacts/blocks-refused.png" });

  // Ana unblocks her: nothing is folded any more, and Eve may write again.
  await eveRow.getByLabel(`More about ${eveName}`).click();
  await eveRow.getByRole("button", { name: "Unblock" }).click();
  await expect(ana.locator(".room")).toContainText(`you unblocked ${eveName}`);
  await expect(ana.locator("#log .msg.folded")).toHaveCount(0);
  await say(eve, "sorry about that");
});
