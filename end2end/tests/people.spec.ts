import { readFileSync } from "node:fs";
import { test, expect, adminPage, contract, guestPage, memberPage, say, uniqueName } from "./helpers";

/** The names of the entries of a zip file (its central directory keeps them uncompressed). */
function zipEntries(bytes: Buffer): string[] {
  const names: string[] = [];
  // Central directory headers: signature PK\x01\x02, name length at 28, name at 46.
  for (let at = bytes.indexOf("PK\x01\x02"); at >= 0; at = bytes.indexOf("PK\x01\x02", at + 4)) {
    const length = bytes.readUInt16LE(at + 28);
    names.push(bytes.subarray(at + 46, at + 46 + length).toString("utf8"));
  }
  return names;
}

test("an account downloads its data, then deletes itself and its messages leave the other screen", async ({ browser }) => {
  // The server's first account is its admin, and the last admin cannot leave: someone else
  // registers first.
  await memberPage(browser, uniqueName("fst"));
  const name = uniqueName("del");
  const leaver = await memberPage(browser, name, "leaving password 1");
  const watcher = await guestPage(browser, uniqueName("see"));
  await say(leaver, "a message that will go");
  await expect(watcher.locator("#log .msg .text").filter({ hasText: "a message that will go" })).toBeVisible();

  await leaver.locator("#account summary").click();
  await expect(leaver.locator("#export-data")).toBeVisible();
  const [download] = await Promise.all([
    leaver.waitForEvent("download"),
    leaver.locator("#export-data").click(),
  ]);
  expect(download.suggestedFilename()).toBe("tertulia-export.zip");
  const zip = readFileSync((await download.path())!);
  expect(zip.subarray(0, 2).toString()).toBe("PK");
  expect(zipEntries(zip)).toEqual(expect.arrayContaining(["account.json", "messages.json", "files.json"]));

  await leaver.locator("#delete-account-open").click();
  await leaver.getByLabel("Remove them too").check();
  // A wrong password is refused and said so.
  await leaver.getByLabel("Your password").fill("not my password");
  leaver.once("dialog", (dialog) => dialog.accept());
  await leaver.getByRole("button", { name: "Delete my account" }).click();
  await expect(leaver.locator("#delete-account .error")).toContainText("password is wrong");

  await leaver.getByLabel("Your password").fill("leaving password 1");
  leaver.once("dialog", (dialog) => dialog.accept());
  await leaver.getByRole("button", { name: "Delete my account" }).click();
  // Back to the start page, signed out; the other browser no longer shows the message.
  await expect(leaver).toHaveURL(/\/(\?.*)?$/);
  await expect(watcher.locator("#log .msg .text").filter({ hasText: "a message that will go" })).toHaveCount(0);
  await expect(watcher.locator("#log .text.deleted").last()).toBeVisible();

  // The name is free again.
  await leaver.goto("/?mode=signin");
  await leaver.getByLabel("Name").fill(name);
  await leaver.getByLabel("Password").fill("leaving password 1");
  await leaver.getByRole("button", { name: "Sign in" }).click();
  await expect(leaver.locator(".form-error, [role=alert]").first()).toContainText("Wrong username or password");
});

test("a guest deletes itself keeping its messages: they show as from a deleted user", async ({ browser }) => {
  const guest = await guestPage(browser, uniqueName("gue"));
  const watcher = await guestPage(browser, uniqueName("wat"));
  await say(guest, "words that stay");
  await guest.locator("#account summary").click();
  await guest.locator("#delete-account-open").click();
  // A guest has no password to give.
  await expect(guest.getByLabel("Your password")).toHaveCount(0);
  await guest.getByLabel("Keep them, shown as from a deleted user").check();
  guest.once("dialog", (dialog) => dialog.accept());
  await guest.getByRole("button", { name: "Delete my account" }).click();
  await expect(guest).toHaveURL(/\/(\?.*)?$/);
  await watcher.reload();
  const kept = watcher.locator("#log .msg").filter({ hasText: "words that stay" });
  await expect(kept).toBeVisible();
  await expect(kept.locator(".author")).toHaveText("deleted user");
});

test("an admin downloads someone's data and deletes their account from the admin page", async ({ browser }) => {
  const page = await adminPage(browser);

  const eveName = uniqueName("eve");
  const eve = await guestPage(browser, eveName);
  await say(eve, "eve says goodbye");

  await page.locator("#data-user").fill(eveName);
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export-user").click()]);
  expect(zipEntries(readFileSync((await download.path())!))).toContain("messages.json");

  page.once("dialog", (dialog) => dialog.accept());
  await page.locator("#delete-user-messages").click();
  await expect(page.getByRole("status")).toHaveText(`${eveName}'s account is deleted`);
  const newest = page.locator("#audit-log tr[data-action]").first();
  await expect(newest.locator(".audit-target")).toHaveText(eveName);
  await expect(newest).toHaveAttribute("data-action", contract.requests[contract.namespaces.ADMIN].DELETE_USER);
  // Eve is signed out.
  await expect(eve).toHaveURL(/\/(\?.*)?$/, { timeout: 20_000 });
  await page.screenshot({ path: "artifacts/admin-delete-user.png", fullPage: true });
});

for (const [label, size] of [["phone", { width: 390, height: 844 }], ["desktop", { width: 1280, height: 800 }]] as const) {
  for (const scheme of ["light", "dark"] as const) {
    test(`screenshot of the account menu, ${label}, ${scheme}`, async ({ browser }) => {
      const page = await memberPage(browser, uniqueName("pic"));
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize(size);
      await page.locator("#account summary").click();
      await page.locator("#delete-account-open").click();
      await expect(page.locator("#delete-account")).toBeVisible();
      await page.screenshot({ path: `artifacts/account-menu-${label}-${scheme}.png` });
    });
  }
}
