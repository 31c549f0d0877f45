import { test, expect, contract, createAdmin, createRoom, guestPage, messages, say, uniqueName, GENERAL } from "./helpers";

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
  createAdmin(admin, password);
  const context = await browser.newContext();
  const page = await context.newPage();
  // Every frame the page sends, on every WebSocket it opens.
  const sockets: string[][] = [];
  page.on("websocket", (ws) => {
    const sent: string[] = [];
    sockets.push(sent);
    ws.on("framesent", (frame) => sent.push(String(frame.payload)));
  });
  await page.goto("/");
  await page.getByRole("tab", { name: "Sign in" }).click();
  await page.getByLabel("Name").fill(admin);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Admin" }).click();
  await expect(page).toHaveURL(/\/admin/);
  await expect(page.locator("#status")).toHaveText("connected");
  // A number only once the first snapshot arrived (a dash until then).
  await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
  const before = Number(await page.locator("#stat-messages").textContent());

  const other = await guestPage(browser, uniqueName("talker"));
  await say(other, "counted by the admin view");
  await expect(page.locator("#stat-messages")).toHaveText(String(before + 1));
  await expect(page.locator(`#admin-rooms tr[data-room="${GENERAL}"] .messages-count`)).toHaveText(/^\d+$/);
  await page.screenshot({ path: "artifacts/admin-view.png", fullPage: true });

  // The admin page used the tab's one connection, and leaving it leaves `/admin` only.
  const adminNs = contract.namespaces.ADMIN;
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Chat" }).click();
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  expect(sockets).toHaveLength(1);
  await expect.poll(() => sockets[0].includes(`41${adminNs},`)).toBe(true);
  await say(page, "still connected to the chat");
});

test("the chat, the board and the bell share the tab's one connection across pages", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  let opened = 0;
  page.on("websocket", () => opened++);
  const bea = uniqueName("bea");
  await page.goto("/");
  await page.getByLabel("Name").fill(bea);
  await page.getByRole("button", { name: "Join the chat" }).click();
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#room-title")).toContainText(GENERAL);

  const nav = page.getByRole("navigation", { name: "Pages" });
  await nav.getByRole("link", { name: "Board" }).click();
  await expect(page).toHaveURL(/\/board/);
  await expect(page.locator(`#board tr[data-room="${GENERAL}"] .members-count`)).toHaveText(/^[1-9]\d*$/);

  // Live on the board page: a mention raises the bell, and general counts it unread (the
  // reader is not looking at it).
  const ana = await guestPage(browser, uniqueName("ana"));
  await say(ana, `@${bea} come back`);
  await expect(page.locator("#bell-count")).toHaveText("1");

  // Back to the chat: the same rooms, the message there, no new connection.
  await nav.getByRole("link", { name: "Chat" }).click();
  await expect(page.locator("#room-title")).toContainText(GENERAL);
  await expect(messages(page).filter({ hasText: `@${bea} come back` })).toBeVisible();
  await expect(page.locator("#status")).toHaveText("connected");
  expect(opened).toBe(1);
});

test("a member who is not an admin is refused by the admin page", async ({ browser }) => {
  const page = await guestPage(browser, uniqueName("nosy"));
  await page.goto(contract.links.ADMIN);
  await expect(page).toHaveTitle(/Admin/);
  await expect(page.getByText("This page is for admins.")).toBeVisible();
  // The page never asks for `/admin`, and shows no numbers (a dash, never a made-up 0).
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(page.locator("#stat-messages")).toHaveText("–");
});

test("the occupancy board updates when a user joins a room", async ({ browser }) => {
  const watcher = await guestPage(browser, uniqueName("watch"));
  // In the app, as a person gets there (a page load would also leave and rejoin general).
  await watcher.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Board" }).click();
  await expect(watcher.locator("#status")).toHaveText("connected");
  const general = watcher.locator(`#board tr[data-room="${GENERAL}"] .members-count`);
  await expect(general).toHaveText(/^\d+$/);
  const before = Number(await general.textContent());
  await guestPage(browser, uniqueName("newcomer"));
  await expect(general).toHaveText(String(before + 1), { timeout: 15_000 });
  await watcher.screenshot({ path: "artifacts/board-view.png", fullPage: true });
});
