import { test, expect, createRoom, guestPage, memberPage, say, uniqueName } from "./helpers";

test("the room's creator edits its topic and another browser sees it live", async ({ browser }) => {
  const owner = await memberPage(browser, uniqueName("own"));
  const room = uniqueName("club");
  await createRoom(owner, room);
  const guest = await guestPage(browser, uniqueName("gus"));
  await guest.goto(`/chat?room=${room}`);
  await expect(guest.locator("#room-title")).toContainText(room);
  // Only the creator is offered the button.
  await expect(guest.locator("#edit-topic")).toHaveCount(0);

  await owner.locator("#edit-topic").click();
  await owner.locator("#topic-input").fill("Books we read in November");
  await owner.locator("#topic-input").press("Enter");
  await expect(owner.locator(".room-head .topic-text")).toHaveText("Books we read in November");
  await expect(guest.locator(".room-head .topic-text")).toHaveText("Books we read in November");

  // Escape gives up without a change.
  await owner.locator("#edit-topic").click();
  await owner.locator("#topic-input").fill("something else");
  await owner.locator("#topic-input").press("Escape");
  await expect(owner.locator(".room-head .topic-text")).toHaveText("Books we read in November");
});

test("a new password signs the account out elsewhere; the old one stops working", async ({ browser }) => {
  const name = uniqueName("pat");
  const here = await memberPage(browser, name, "first password 1");
  // The same account in another browser.
  const elsewhere = await (await browser.newContext()).newPage();
  await elsewhere.goto("/?mode=signin");
  await elsewhere.getByLabel("Name").fill(name);
  await elsewhere.getByLabel("Password").fill("first password 1");
  await elsewhere.getByRole("button", { name: "Sign in" }).click();
  await expect(elsewhere.locator("#status")).toHaveText("connected");

  await here.locator("#account summary").click();
  await here.getByLabel("Current password").fill("wrong one");
  await here.getByLabel("New password", { exact: true }).fill("second password 2");
  await here.getByLabel("New password again").fill("second password 2");
  await here.locator("#password-form").getByRole("button", { name: "Change password" }).click();
  await expect(here.locator("#password-form .error")).toContainText("current password is wrong");

  await here.getByLabel("Current password").fill("first password 1");
  await here.locator("#password-form").getByRole("button", { name: "Change password" }).click();
  await expect(here.locator("#password-form .ok")).toContainText("Password changed");
  // The other browser is signed out; this one carries on.
  await expect(elsewhere).toHaveURL(/\/(\?.*)?$/);
  await say(here, "still here");

  await elsewhere.goto("/?mode=signin");
  await elsewhere.getByLabel("Name").fill(name);
  await elsewhere.getByLabel("Password").fill("first password 1");
  await elsewhere.getByRole("button", { name: "Sign in" }).click();
  await expect(elsewhere.locator(".form-error, [role=alert]").first()).toContainText("Wrong username or password");
  await elsewhere.getByLabel("Password").fill("second password 2");
  await elsewhere.getByRole("button", { name: "Sign in" }).click();
  await expect(elsewhere.locator("#status")).toHaveText("connected");
});

test("everyone sees a person in the same colour", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  const bea = await guestPage(browser, uniqueName("bea"));
  const room = uniqueName("hues");
  await createRoom(ana, room);
  await bea.goto(`/chat?room=${room}`);
  await say(ana, "colourful");
  const mine = ana.locator("#log .msg").filter({ hasText: "colourful" }).locator(".avatar");
  const theirs = bea.locator("#log .msg").filter({ hasText: "colourful" }).locator(".avatar");
  await expect(theirs).toHaveText(anaName[0].toUpperCase());
  const hue = await mine.getAttribute("class");
  expect(hue).toMatch(/hue-\d+/);
  await expect(theirs).toHaveAttribute("class", hue!);
  await expect(ana.locator(".topbar #account summary .avatar")).toHaveAttribute("class", hue!);
});
