import { test, expect, contract, createRoom, guestPage, guestToken, programSocket, uniqueName } from "./helpers";

const CHAT = contract.namespaces.CHAT;
const REQ = contract.requests[CHAT];

test("search finds an old message, highlights the words and opens it with its context", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("archive");
  await createRoom(ana, room);
  const needle = uniqueName("needle");

  // An old message, then enough newer ones that it is not among those loaded on opening (four
  // senders, each within the per-person message burst).
  const bots = await Promise.all([0, 1, 2, 3].map(async () => programSocket(await guestToken(uniqueName("bot")))));
  try {
    for (const bot of bots) {
      expect((await bot.timeout(5000).emitWithAck(REQ.JOIN, { room })).ok).toBe(true);
    }
    const first = await bots[0].timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: `the ${needle} is in the haystack` });
    expect(first.ok).toBe(true);
    for (let n = 0; n < 72; n++) {
      const sent = await bots[n % 4].timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: `straw ${n}` });
      expect(sent.ok).toBe(true);
    }
  } finally {
    bots.forEach((bot) => bot.close());
  }

  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.locator("#open-search").click();
  const box = bea.getByLabel("Words to find");
  await expect(box).toBeFocused();
  await box.fill(needle.slice(0, -2).toUpperCase());
  await box.press("Enter");
  const hit = bea.locator("#search-results .search-hit");
  await expect(hit).toHaveCount(1);
  await expect(hit.locator(".hit-room")).toHaveText(room);
  await expect(hit.locator("mark")).toHaveText(needle.slice(0, -2));
  await bea.screenshot({ path: "artifacts/search.png" });

  await hit.click();
  await expect(bea.locator("#room-title")).toContainText(room);
  const found = bea.locator("#log .msg.highlight");
  await expect(found).toContainText(`the ${needle} is in the haystack`);
  await expect(found).toBeInViewport();
  await expect(bea.locator("#log .msg").filter({ hasText: "straw 0" })).toHaveCount(1);

  // Nothing found says so; Escape closes the dialog.
  await bea.locator("#open-search").click();
  await box.fill(uniqueName("nothinglikethis"));
  await box.press("Enter");
  await expect(bea.locator("#search-results")).toContainText("No messages found.");
  await box.press("Escape");
  await expect(bea.locator("#search-dialog")).toHaveCount(0);
});

test("search never shows messages of a private room to someone outside it", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const word = uniqueName("classified");
  await createRoom(ana, uniqueName("vault"), true);
  const box = ana.locator("#msg");
  await box.fill(`${word} plans`);
  await box.press("Enter");
  await expect(ana.locator("#log .msg:not(.pending)").filter({ hasText: word })).toBeVisible();

  const eve = await guestPage(browser, uniqueName("eve"));
  await eve.locator("#open-search").click();
  await eve.getByLabel("Words to find").fill(word);
  await eve.getByLabel("Words to find").press("Enter");
  await expect(eve.locator("#search-results")).toContainText("No messages found.");

  await ana.locator("#open-search").click();
  await ana.getByLabel("Words to find").fill(word);
  await ana.getByLabel("Words to find").press("Enter");
  await expect(ana.locator("#search-results .search-hit")).toHaveCount(1);
});

test("search finds a reply in a thread and opens the thread at it, beside its room", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("threaded");
  await createRoom(ana, room);
  const needle = uniqueName("rotation");
  // A program writes a message and answers it in its thread.
  const bot = await programSocket(await guestToken(uniqueName("bot")));
  try {
    expect((await bot.timeout(5000).emitWithAck(REQ.JOIN, { room })).ok).toBe(true);
    const root = await bot.timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: "the deploy keys" });
    expect(root.ok).toBe(true);
    const reply = await bot.timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: `${needle} done for staging`, thread: root.message.id });
    expect(reply.ok).toBe(true);
  } finally {
    bot.close();
  }
  // The reply is in the thread, not in the room's timeline.
  await expect(ana.locator("#log .msg .text").filter({ hasText: "the deploy keys" })).toBeVisible();
  await expect(ana.locator("#log .msg .text").filter({ hasText: needle })).toHaveCount(0);

  await ana.locator("#open-search").click();
  const box = ana.getByLabel("Words to find");
  await box.fill(needle);
  await box.press("Enter");
  const hit = ana.locator("#search-results .search-hit");
  await expect(hit).toHaveCount(1);
  await hit.click();
  await expect(ana.locator("#room-title")).toContainText(room);
  await expect(ana.locator(".thread-pane .msg .text").filter({ hasText: needle })).toBeVisible();
  await expect(ana.locator(".thread-pane .msg .text").filter({ hasText: "the deploy keys" })).toBeVisible();
});
