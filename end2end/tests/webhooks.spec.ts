import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, memberPage, say, uniqueName } from "./helpers";

// Incoming webhooks (protocol v1.19): whoever runs a room makes a secret address; a program
// posts JSON to it; everyone in the room sees the message from a bot.

/** Opens the room's webhooks dialog and makes one named `bot`: its secret address. */
async function makeWebhook(page: Page, bot: string): Promise<string> {
  await page.locator("#open-webhooks").click();
  const dialog = page.getByRole("dialog", { name: /Webhooks of/ });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Bot name")).toBeFocused();
  await dialog.getByLabel("Bot name").fill(bot);
  await dialog.getByRole("button", { name: "Create webhook" }).click();
  const address = dialog.getByLabel("The webhook's secret address");
  await expect(address).toHaveValue(/\/api\/hooks\/[0-9a-f]{16}\/[A-Za-z0-9_-]{43}$/);
  await expect(dialog.locator(".webhook-list li", { hasText: bot })).toBeVisible();
  return address.inputValue();
}

test("a program posts through a room's webhook and both people see a bot's message", async ({ browser, request }) => {
  const ana = await memberPage(browser, uniqueName("ana"));
  const room = uniqueName("builds");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  // Only whoever runs the room sees the button.
  await expect(bea.locator("#open-webhooks")).toHaveCount(0);

  const bot = uniqueName("ci");
  const url = await makeWebhook(ana, bot);
  expect(new URL(url).origin).toBe(new URL(ana.url()).origin);
  await ana.keyboard.press("Escape");
  await expect(ana.getByRole("dialog")).toHaveCount(0);

  const posted = await request.post(url, { data: { text: "Build 12 passed ✅ <b>not bold</b>" } });
  expect(posted.status()).toBe(200);
  const { id } = await posted.json();
  for (const page of [ana, bea]) {
    const message = page.locator(`#log .msg[data-id="${id}"]`);
    await expect(message.locator(".author")).toHaveText(bot);
    await expect(message.locator(".bot-badge")).toHaveText("bot");
    await expect(message.locator(".text")).toHaveText("Build 12 passed ✅ <b>not bold</b>");
  }
  // A reload reads it back as a bot's.
  await bea.reload();
  await expect(bea.locator(`#log .msg[data-id="${id}"] .bot-badge`)).toBeVisible();

  // Deleted after a second click: the address takes nothing more.
  await ana.locator("#open-webhooks").click();
  const dialog = ana.getByRole("dialog", { name: /Webhooks of/ });
  await dialog.getByRole("button", { name: `Delete the webhook ${bot}` }).click();
  // A second click confirms; a screen reader hears the question too.
  const confirm = dialog.getByRole("button", { name: `Really delete the webhook ${bot}?` });
  await expect(confirm).toHaveText("Really delete?");
  await confirm.click();
  await expect(dialog.getByText("This room has no webhooks yet.")).toBeVisible();
  // The keyboard stays in the dialog, and Escape still closes it.
  await expect(dialog.getByLabel("Bot name")).toBeFocused();
  await ana.keyboard.press("Escape");
  await expect(ana.getByRole("dialog")).toHaveCount(0);
  const refused = await request.post(url, { data: { text: "too late" } });
  expect(refused.status()).toBe(404);
  // What it posted stays.
  await expect(bea.locator(`#log .msg[data-id="${id}"] .author`)).toHaveText(bot);
});

test("a taken name is refused in the dialog and the name stays to be corrected", async ({ browser }) => {
  const ana = await memberPage(browser, uniqueName("ana"));
  const room = uniqueName("hooks");
  await createRoom(ana, room);
  const taken = uniqueName("bea");
  await guestPage(browser, taken);
  await ana.locator("#open-webhooks").click();
  const dialog = ana.getByRole("dialog", { name: /Webhooks of/ });
  await dialog.getByLabel("Bot name").fill(taken);
  await dialog.getByRole("button", { name: "Create webhook" }).click();
  await expect(dialog.getByRole("alert")).toContainText("is taken");
  await expect(dialog.getByLabel("Bot name")).toHaveValue(taken);
  await expect(dialog.getByText("This room has no webhooks yet.")).toBeVisible();
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshots of webhooks, ${label}, ${colorScheme}`, async ({ browser, request }) => {
      const host = await memberPage(browser, uniqueName("ana"));
      const room = uniqueName("deploys");
      await createRoom(host, room);
      // Only the room's creator manages its webhooks: their own page takes the size and scheme
      // (rooms are created from the desktop sidebar).
      await host.setViewportSize(viewport);
      await host.emulateMedia({ colorScheme });
      const bot = uniqueName("deploy");
      const url = await makeWebhook(host, bot);
      await host.screenshot({ path: `artifacts/webhooks-dialog-${label}-${colorScheme}.png` });
      await host.keyboard.press("Escape");
      await say(host, "Shipping the release now");
      const posted = await request.post(url, { data: { text: "Deployed v2.3.1 to production (3 nodes, 41 s)" } });
      expect(posted.status()).toBe(200);
      await expect(host.locator("#log .msg .bot-badge").last()).toBeVisible();
      // The pointer left where the dialog was: away, so no message shows its toolbar.
      await host.mouse.move(0, 0);
      await host.screenshot({ path: `artifacts/webhooks-message-${label}-${colorScheme}.png` });
    });
  }
}
