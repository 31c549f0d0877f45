import {
  test,
  expect,
  contract,
  createRoom,
  guestPage,
  guestToken,
  programSocket,
  say,
  uniqueName,
  GENERAL,
} from "./helpers";

const REQ = contract.requests[contract.namespaces.CHAT];

test("Ctrl+K names a DM after the other person and marks private rooms", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const beaName = uniqueName("bea");
  await guestPage(browser, beaName);
  const den = uniqueName("den");
  await createRoom(ana, den, true);
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await ana.locator(`#people li[data-user="${beaName}"] .dm`).click();
  await expect(ana.locator("#room-title")).toHaveText(`🔒 @${beaName}`);

  await ana.keyboard.press("Control+k");
  await ana.locator("#switcher-input").fill(den);
  await expect(ana.locator("#switcher-list li")).toHaveText([`🔒 ${den}`]);
  await ana.locator("#switcher-input").fill(beaName);
  await expect(ana.locator("#switcher-list li")).toHaveText([`@ ${beaName}`]);
  await ana.locator("#switcher-input").fill("dm-");
  await expect(ana.locator("#switcher-list li").filter({ hasText: "dm-" })).toHaveCount(0);
  await ana.keyboard.press("Escape");
});

test("a refused room creation keeps the form as it was, privacy included", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await ana.locator(".create-room summary").click();
  await ana.locator("#room-name").fill(GENERAL);
  await ana.locator("#room-topic").fill("secret plans");
  await ana.locator("#room-private").check();
  await ana.locator("#create-room").click();
  await expect(ana.locator(".create-room .form-error")).toContainText("could not create the room");
  await expect(ana.locator(".create-room")).toHaveAttribute("open", "");
  await expect(ana.locator("#room-name")).toHaveValue(GENERAL);
  await expect(ana.locator("#room-topic")).toHaveValue("secret plans");
  await expect(ana.locator("#room-private")).toBeChecked();
  // Fixed, it goes through, private, and the form is cleared.
  const name = uniqueName("plans");
  await ana.locator("#room-name").fill(name);
  await ana.locator("#create-room").click();
  await expect(ana.locator("#room-title")).toContainText(`🔒 ${name}`);
  await expect(ana.locator("#room-private")).not.toBeChecked();
});

test("an unread notification is toasted once, not again on every load", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const bea = await guestPage(browser, uniqueName("bea"));
  const ana = await guestPage(browser, anaName);
  // Elsewhere than the mention (reading general would mark it read at once).
  await createRoom(ana, uniqueName("corner"));
  await say(bea, `@${anaName} are you there?`);
  await expect(ana.locator("#note-toast")).toContainText("mentioned you");
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  // The bell still has it, unread; the toast does not come back. (Both are set by the same
  // event, so once the count shows, a toast would be there too; checked once, not awaited, as
  // a toast also goes away by itself after a while.)
  await expect(ana.locator("#bell-count")).toHaveText("1");
  expect(await ana.locator("#note-toast").count()).toBe(0);
});

test("a new room says it is empty until someone writes", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await createRoom(ana, uniqueName("quiet"));
  const empty = ana.locator("#log .empty-room");
  await expect(empty).toContainText("No messages here yet.");
  await say(ana, "hello, anyone?");
  await expect(empty).toHaveCount(0);
});

test("loading older messages keeps the reader's place and shows no false new-messages pill", async ({
  browser,
}) => {
  // 64 messages from four writers (each well inside the message rate limit): one more page
  // than a join shows, all of the same day, so the day's heading stays the first row.
  const room = uniqueName("long");
  const writers = [];
  for (let i = 0; i < 4; i++) writers.push(await programSocket(await guestToken(uniqueName(`w${i}`))));
  try {
    expect((await writers[0].timeout(5000).emitWithAck(REQ.CREATE_ROOM, { name: room, private: false })).ok).toBe(true);
    for (const writer of writers) expect((await writer.timeout(5000).emitWithAck(REQ.JOIN, { room })).ok).toBe(true);
    for (let n = 0; n < 64; n++) {
      const sent = await writers[n % 4].timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: `line ${n}` });
      expect(sent.ok).toBe(true);
    }
  } finally {
    for (const writer of writers) writer.close();
  }

  const reader = await guestPage(browser, uniqueName("reader"));
  await reader.keyboard.press("Control+k");
  await reader.keyboard.type(room);
  await reader.keyboard.press("Enter");
  await expect(reader.locator("#room-title")).toContainText(room);
  const line = (n: number) => reader.locator("#log .msg .text").filter({ hasText: new RegExp(`^line ${n}$`) });
  await expect(line(63)).toBeVisible();
  await expect(line(13)).toHaveCount(0);

  // Up to the top of what was loaded, then the older page.
  await reader.locator("#log").evaluate((log) => (log.scrollTop = 0));
  const older = reader.getByRole("button", { name: "Load older messages" });
  await expect(older).toBeVisible();
  // Where line 14 is within the timeline (the page around it may move: a banner, a toast).
  const place = async () => (await line(14).boundingBox())!.y - (await reader.locator("#log").boundingBox())!.y;
  // With the keyboard: the button goes away once everything is loaded, and the focus goes on
  // from the message that was the oldest instead of falling to the page.
  await older.focus();
  const before = await place();
  await reader.keyboard.press("Enter");
  await expect(line(13)).toHaveCount(1);
  await expect(line(0)).toHaveCount(1);
  // Two frames: the timeline's scroll effect has run.
  await reader.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const after = await place();
  expect(Math.abs(after - before)).toBeLessThan(4);
  expect(await reader.locator("#jump-latest").count()).toBe(0);
  await expect(older).toHaveCount(0);
  await expect(
    reader.locator("#log li.msg").filter({ has: reader.locator(".text", { hasText: /^line 14$/ }) }),
  ).toBeFocused();
});

test("the start page words a refusal the same with and without its script", async ({ browser }) => {
  const holder = await guestPage(browser, uniqueName("held"));
  const taken = (await holder.locator(".me-name").textContent())!;
  // What the page says for a taken name and for a wrong password, in a browser with or without
  // script (the form post only brings back an error code; the hydrated form gets the JSON
  // answer).
  const refusals = async (javaScriptEnabled: boolean) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto("/");
    if (javaScriptEnabled) await expect(page.locator("html[data-hydrated]")).toHaveCount(1);
    await page.getByLabel("Name").fill(taken);
    await page.getByRole("button", { name: "Join the chat" }).click();
    await expect(page.getByRole("alert")).toContainText(taken);
    const takenText = await page.getByRole("alert").textContent();
    await page.getByRole("tab", { name: "Sign in" }).click();
    await page.getByLabel("Name").fill(uniqueName("ghost"));
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("password");
    const passwordText = await page.getByRole("alert").textContent();
    await context.close();
    return [takenText, passwordText];
  };
  const withoutScript = await refusals(false);
  expect(withoutScript).toEqual([
    `The name \`${taken}\` is taken or reserved; pick another`,
    "Wrong username or password",
  ]);
  expect(await refusals(true)).toEqual(withoutScript);
});
