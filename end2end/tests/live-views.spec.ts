import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { createRoom, guestPage, say, uniqueName, GENERAL } from "./helpers";

test("a mention in a room B is not viewing raises B's bell and shows a toast", async ({ browser }) => {
  const ana = uniqueName("ana");
  const bea = uniqueName("bea");
  const pageA = await guestPage(browser, ana);
  const pageB = await guestPage(browser, bea);
  await createRoom(pageB, uniqueName("elsewhere "));
  await expect(pageB.locator("#bell-count")).toHaveCount(0);

  await say(pageA, `@${bea} have a look`);
  await expect(pageB.locator("#bell-count")).toHaveText("1");
  await expect(pageB.locator("#note-toast")).toContainText(`${ana} mentioned you in general`);
  await expect(pageB).toHaveTitle(/^\(\d+\) Tertulia$/);
  // Clicking opens general at that message.
  await pageB.locator("#note-toast .note-link").click();
  await expect(pageB.locator("#room-title")).toContainText(GENERAL);
  await expect(pageB.locator("#log .msg.highlight .text")).toHaveText(`@${bea} have a look`);
  await expect(pageB.locator("#bell-count")).toHaveCount(0);
});

test("an admin sees the stats change when a message is sent in another browser", async ({ browser }) => {
  const admin = uniqueName("boss");
  const password = "correct horse battery";
  // The server's own subcommand, on the database the test server uses.
  execFileSync("./target/debug/server", ["create-admin", admin, "--password", password], {
    cwd: "..",
    env: { ...process.env, DATABASE_URL: "sqlite://target/e2e-data/e2e.db?mode=rwc", RUST_LOG: "warn" },
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  await page.getByRole("tab", { name: "Sign in" }).click();
  await page.getByLabel("Name").fill(admin);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  await page.goto("/admin");
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
  const before = Number(await page.locator("#stat-messages").textContent());

  const other = await guestPage(browser, uniqueName("talker"));
  await say(other, "counted by the admin view");
  await expect(page.locator("#stat-messages")).toHaveText(String(before + 1));
  await expect(page.locator(`#admin-rooms tr[data-room="${GENERAL}"] .messages-count`)).toHaveText(/^\d+$/);
  await page.screenshot({ path: "artifacts/admin-view.png", fullPage: true });
});

test("a member who is not an admin is refused by the admin page", async ({ browser }) => {
  const page = await guestPage(browser, uniqueName("nosy"));
  await page.goto("/admin");
  await expect(page.locator("#status")).toHaveText("connection error: forbidden");
  await expect(page.getByText("This page is for admins.")).toBeVisible();
});

test("the occupancy board updates when a user joins a room", async ({ browser }) => {
  const watcher = await guestPage(browser, uniqueName("watch"));
  await watcher.goto("/board");
  await expect(watcher.locator("#status")).toHaveText("connected");
  const general = watcher.locator(`#board tr[data-room="${GENERAL}"] .members-count`);
  await expect(general).toHaveText(/^\d+$/);
  const before = Number(await general.textContent());
  await guestPage(browser, uniqueName("newcomer"));
  await expect(general).toHaveText(String(before + 1), { timeout: 15_000 });
  await watcher.screenshot({ path: "artifacts/board-view.png", fullPage: true });
});
