import { test, expect, guestPage, memberPage, say, sizedGuest, uniqueName, GENERAL } from "./helpers";
import { withOwnServer } from "./server";

test("anyone can be found in People and written to, even offline; they find it when they come", async ({ browser }) => {
  const bobName = uniqueName("bob");
  const password = "correct horse battery";
  // Bob has an account but is not here: he shares no room with Ana and is offline.
  const first = await memberPage(browser, bobName, password);
  await first.context().close();

  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  await ana.locator("#people-button").click();
  const dialog = ana.getByRole("dialog", { name: "People" });
  await expect(dialog).toBeVisible();
  await expect(ana.locator("#people-search")).toBeFocused();
  await ana.locator("#people-search").fill(bobName.slice(0, -2));
  const row = dialog.locator(`li[data-user="${bobName}"]`);
  await expect(row).toContainText("offline");
  await expect(dialog.locator(`li[data-user="${anaName}"]`)).toHaveCount(0);
  await ana.locator("#people-search").fill(anaName);
  await expect(dialog.locator(`li[data-user="${anaName}"]`)).toContainText("online");
  await expect(dialog.locator(`li[data-user="${anaName}"]`)).toContainText("(you)");
  await ana.locator("#people-search").fill("no such person zzz");
  await expect(dialog).toContainText("Nobody by that name.");
  await ana.locator("#people-search").fill(bobName);
  await expect(row).toBeVisible();
  await ana.screenshot({ path: "artifacts/people-directory.png" });

  await row.getByRole("button", { name: `Message ${bobName}` }).click();
  await expect(dialog).toHaveCount(0);
  await expect(ana.locator("#room-title")).toHaveText(`🔒 @${bobName}`);
  await say(ana, "hello bob, lunch tomorrow?");

  // Bob signs in later: the conversation waits in his list, unread.
  const bob = await (await browser.newContext()).newPage();
  await bob.goto("/");
  await bob.getByRole("tab", { name: "Sign in" }).click();
  await bob.getByLabel("Name").fill(bobName);
  await bob.getByLabel("Password").fill(password);
  await bob.getByRole("button", { name: "Sign in" }).click();
  await expect(bob.locator("#status")).toHaveText("connected");
  const dm = bob.locator("#joined li.room-item").filter({ hasText: `@${anaName}` });
  await expect(dm).toHaveCount(1);
  await dm.locator(".room-link").click();
  await expect(bob.locator("#log .msg .text").last()).toHaveText("hello bob, lunch tomorrow?");

  // Ctrl+K finds him too, from anywhere (he is in no room Ana is looking at).
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await ana.keyboard.press("Control+k");
  await ana.locator("#switcher-input").fill(bobName);
  await expect(ana.locator("#switcher-list li").filter({ hasText: `@ ${bobName}` })).toHaveCount(1);
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#room-title")).toHaveText(`🔒 @${bobName}`);

  // Now he is online in Ana's directory too.
  await ana.locator("#people-button").click();
  await ana.locator("#people-search").fill(bobName);
  await expect(ana.getByRole("dialog", { name: "People" }).locator(`li[data-user="${bobName}"]`)).toContainText("online");
});

const SIZES = [[1280, 800, "light"], [1280, 800, "dark"], [390, 844, "light"], [390, 844, "dark"]] as const;

for (const [width, height, scheme] of SIZES) {
  test(`screenshot of the people directory, ${width}px, ${scheme}`, async ({ browser }) => {
    const ana = await sizedGuest(browser, uniqueName("ana"), { width, height }, scheme);
    if (width < 600) {
      await ana.locator("#open-rooms").click();
    }
    await ana.locator("#people-button").click();
    await expect(ana.locator("#people-list li").first()).toBeVisible();
    await ana.screenshot({ path: `artifacts/people-${width}-${scheme}.png` });
  });
}

test("a status line set in the account menu shows in the directory", async ({ browser }) => {
  const beaName = uniqueName("bea");
  const bea = await guestPage(browser, beaName);
  await bea.locator("#account summary").click();
  await bea.locator("#status-text").fill("in meetings until 3");
  await bea.locator("#save-status").click();
  await expect(bea.locator(".status-form [role=status]")).toHaveText("Status saved.");
  const ana = await guestPage(browser, uniqueName("ana"));
  await ana.locator("#people-button").click();
  await ana.locator("#people-search").fill(beaName);
  const row = ana.locator(`#people-list li[data-user="${beaName}"]`);
  await expect(row.locator(".person-status")).toHaveText("in meetings until 3");
  await ana.screenshot({ path: "artifacts/people-status.png" });
});

test("a name on a message opens that person's card: write to them, or mention them", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const ana = await guestPage(browser, anaName);
  const bea = await guestPage(browser, beaName);
  await bea.locator("#account summary").click();
  await bea.locator("#status-text").fill("on call today");
  await bea.locator("#save-status").click();
  await expect(bea.locator(".status-form [role=status]")).toHaveText("Status saved.");
  await say(bea, "anyone around?");

  const line = ana.locator("#log li.msg").filter({ hasText: "anyone around?" });
  await line.getByRole("button", { name: beaName }).click();
  const card = ana.getByRole("dialog", { name: `About ${beaName}` });
  await expect(card).toContainText("on call today");
  await expect(card).toContainText("online");
  await expect(card.getByRole("button", { name: "Message" })).toBeFocused();
  await ana.mouse.move(0, 0);
  await ana.screenshot({ path: "artifacts/person-card-1280-light.png" });

  // Mention: the name goes into the message box, ready to go on.
  await card.getByRole("button", { name: "Mention" }).click();
  await expect(card).toHaveCount(0);
  await expect(ana.locator("#msg")).toHaveValue(`@${beaName} `);
  await ana.locator("#msg").pressSequentially("you there?");
  await ana.locator("#msg").press("Enter");
  await expect(bea.locator("#log .msg .text").last()).toHaveText(`@${beaName} you there?`);

  // Escape closes the card; Message opens the direct conversation.
  await line.getByRole("button", { name: beaName }).click();
  await ana.keyboard.press("Escape");
  await expect(card).toHaveCount(0);
  await line.getByRole("button", { name: beaName }).click();
  await card.getByRole("button", { name: "Message" }).click();
  await expect(ana.locator("#room-title")).toHaveText(`🔒 @${beaName}`);
});

// (1280px, light: the card test above.)
for (const [width, height, scheme] of SIZES.filter(([w, , s]) => w !== 1280 || s !== "light")) {
  test(`screenshot of a person's card, ${width}px, ${scheme}`, async ({ browser }) => {
    const beaName = uniqueName("bea");
    const ana = await sizedGuest(browser, uniqueName("ana"), { width, height }, scheme);
    const bea = await guestPage(browser, beaName);
    await say(bea, "hello from bea");
    await ana.locator("#log li.msg").filter({ hasText: "hello from bea" }).getByRole("button", { name: beaName }).click();
    await expect(ana.getByRole("dialog", { name: `About ${beaName}` })).toContainText("online");
    await ana.screenshot({ path: `artifacts/person-card-${width}-${scheme}.png` });
  });
}

test("someone who stops acting shows away in People and on their card; never to themselves", async ({ browser }) => {
  // A server of the test's own whose idle time is short (the app reports activity at most
  // once a minute, so the worker's server keeps the real ten minutes).
  await withOwnServer(test.info().parallelIndex, { TERTULIA_AWAY_AFTER_MS: "1500" }, async (server) => {
    const at = async (name: string) => {
      const page = await (await browser.newContext({ baseURL: server.url })).newPage();
      await page.goto("/");
      await page.getByLabel("Name").fill(name);
      await page.getByRole("button", { name: "Join the chat" }).click();
      await expect(page.locator("#status")).toHaveText("connected");
      return page;
    };
    const anaName = uniqueName("ana");
    const beaName = uniqueName("bea");
    const ana = await at(anaName);
    const bea = await at(beaName);
    await bea.locator("#people-button").click();
    const dialog = bea.getByRole("dialog", { name: "People" });
    const search = bea.locator("#people-search");
    const row = dialog.locator(`li[data-user="${anaName}"]`);
    // Ana, connected but doing nothing since: away once the idle time has passed (the list
    // is read again with each search).
    await expect(async () => {
      await search.fill("");
      await search.fill(anaName);
      await expect(row.locator(".presence")).toHaveClass(/is-away/, { timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(row.locator(".presence-word")).toHaveText("away");
    // Bea has done no more than Ana since she came, but she is never away to herself.
    await search.fill(beaName);
    await expect(dialog.locator(`li[data-user="${beaName}"] .presence-word`)).toHaveText("online");
    await search.fill(anaName);
    await expect(row.locator(".presence-word")).toHaveText("away");
    await bea.screenshot({ path: "artifacts/people-away.png" });
    // Away is still here: a message from the row reaches her.
    await row.getByRole("button", { name: `Message ${anaName}` }).click();
    await expect(bea.locator("#room-title")).toHaveText(`🔒 @${anaName}`);
    await say(bea, "are you there?");
    await expect(ana.locator("#joined li.room-item").filter({ hasText: `@${beaName}` })).toHaveCount(1);
  });
});
