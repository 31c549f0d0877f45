import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, uniqueName } from "./helpers";

// Slash commands in the message box: /me, /shrug, /topic, /mute, // and the unknown ones.

/** Types `line` in the message box and presses Enter. */
async function type(page: Page, line: string): Promise<void> {
  await page.locator("#msg").fill(line);
  await page.locator("#msg").press("Enter");
}

test("slash commands act for the person who types them, and both people see the result", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("cmds");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  // /me: an action of its author, for both people.
  await type(ana, "/me waves **hello**");
  for (const page of [ana, bea]) {
    const action = page.locator("#log .msg:not(.pending) .me-action").last();
    await expect(action).toHaveText(`${anaName} waves hello`);
    await expect(action.locator(".actor")).toHaveText(anaName);
    await expect(action.locator("strong")).toHaveText("hello");
  }
  await expect(ana.locator("#msg")).toHaveValue("");

  // /shrug after some text; // sends a line that starts with a slash.
  await type(ana, "/shrug no idea");
  await expect(bea.locator("#log .msg .text").last()).toHaveText("no idea ¯\\_(ツ)_/¯");
  await type(ana, "//etc is where it lives");
  await expect(bea.locator("#log .msg .text").last()).toHaveText("/etc is where it lives");

  // /topic by the room's creator: the other person sees it live.
  await type(ana, "/topic Release day");
  await expect(bea.locator(".room-head .topic-text")).toHaveText("Release day");
  // The same command from someone who does not run the room is refused, with a word.
  await type(bea, "/topic Mine now");
  await expect(bea.locator(".toast")).toBeVisible();
  await expect(ana.locator(".room-head .topic-text")).toHaveText("Release day");

  // /mute silences this room's toasts (the header button says so).
  await type(ana, "/mute");
  await expect(ana.locator("#mute-room")).toHaveAttribute("aria-pressed", "true");
  await type(ana, "/unmute");
  await expect(ana.locator("#mute-room")).toHaveAttribute("aria-pressed", "false");

  // An unknown command is not sent: it stays in the box, and the toast lists the commands.
  const before = await bea.locator("#log .msg").count();
  await type(ana, "/giphy cats");
  await expect(ana.locator(".toast")).toContainText("There is no /giphy command");
  await expect(ana.locator(".toast")).toContainText("/me text");
  await expect(ana.locator("#msg")).toHaveValue("/giphy cats");
  // A message sent after it is the next one the other person sees: nothing went in between.
  await ana.locator("#msg").fill("back to work");
  await ana.locator("#msg").press("Enter");
  await expect(bea.locator("#log .msg .text").last()).toHaveText("back to work");
  expect(await bea.locator("#log .msg").count()).toBe(before + 1);
  await bea.mouse.move(0, 0);
  await bea.screenshot({ path: "artifacts/commands-desktop-light.png" });
  await bea.emulateMedia({ colorScheme: "dark" });
  await bea.screenshot({ path: "artifacts/commands-desktop-dark.png" });
  for (const colorScheme of ["light", "dark"] as const) {
    await bea.setViewportSize({ width: 390, height: 844 });
    await bea.emulateMedia({ colorScheme });
    await expect(bea.locator("#log .msg .text").last()).toBeInViewport();
    await bea.screenshot({ path: `artifacts/commands-phone-${colorScheme}.png`, animations: "disabled" });
  }
});

test("/invite brings someone into a private room, who is told; a wrong name says why not", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const beaName = uniqueName("bea");
  const bea = await guestPage(browser, beaName);
  const room = uniqueName("inner ");
  await createRoom(ana, room, true);

  await type(ana, `/invite @${beaName}`);
  await expect(ana.locator("#msg")).toHaveValue("");
  await expect(ana.locator(".toast")).toContainText(`${beaName} is invited`);
  await expect(bea.locator("#note-toast")).toContainText(`${anaName} invited you to ${room}`);
  await bea.locator("#note-toast .note-link").click();
  await expect(bea.locator("#room-title")).toContainText(room);
  await expect(ana.locator(`#people .member[data-user="${beaName}"]`)).toBeVisible();

  // A name that is nobody's is refused, with a word.
  await type(ana, `/invite ${beaName}zz`);
  await expect(ana.locator(".toast")).toContainText(`could not invite ${beaName}zz`);
  // Without a name, the usage.
  await type(ana, "/invite");
  await expect(ana.locator(".toast")).toContainText("/invite name");
  await expect(ana.locator("#msg")).toHaveValue("/invite");
});
