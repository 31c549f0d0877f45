import { test, expect, guestPage, messages, say, uniqueName, GENERAL } from "./helpers";

test("two people chat in a room: messages, typing, presence, history, no HTML injection", async ({ browser }) => {
  const ana = uniqueName("ana");
  const bea = uniqueName("bea");
  const pageA = await guestPage(browser, ana);
  const pageB = await guestPage(browser, bea);

  // Both are present in general.
  await expect(pageA.locator("#people")).toContainText(bea);
  await expect(pageB.locator("#people")).toContainText(ana);

  // A message typed by A appears in B's window with A's name. (Texts are unique to this run:
  // the room is shared with the other tests.)
  const hello = uniqueName("hello from A ");
  await say(pageA, hello);
  const fromA = pageB.locator("#log .msg").filter({ hasText: hello });
  await expect(fromA).toBeVisible();
  await expect(fromA.locator(".author")).toHaveText(ana);
  await expect(fromA.locator("time")).toHaveText(/\d/);

  // B sees A typing, and the indicator clears when A sends.
  const typed = uniqueName("still typing ");
  await pageA.locator("#msg").pressSequentially(typed, { delay: 20 });
  await expect(pageB.locator("#typing-line")).toHaveText(`${ana} is typing…`);
  await pageA.locator("#msg").press("Enter");
  await expect(pageB.locator("#typing-line")).toHaveText("");
  await expect(messages(pageB).last()).toHaveText(typed);

  // Markup is shown as text, never interpreted.
  const hostile = `<img src=x onerror=alert(1)> ${uniqueName("")}`;
  await say(pageB, hostile);
  await expect(messages(pageA).last()).toHaveText(hostile);
  await expect(pageA.locator("#log img")).toHaveCount(0);

  await pageA.screenshot({ path: "artifacts/room-view.png", fullPage: true });

  // B leaves the room (after confirming): A's member list updates and A sees the notice.
  pageB.once("dialog", (dialog) => dialog.accept());
  await pageB.locator(`#joined li[data-room="${GENERAL}"] button.leave`).click();
  await expect(pageB.locator(`#joined li[data-room="${GENERAL}"]`)).toHaveCount(0);
  await expect(pageA.locator("#people")).not.toContainText(bea);
  await expect(pageA.locator("#log .notice").last()).toHaveText(`${bea} left`);

  // A third person arriving later sees the history.
  const cy = uniqueName("cy");
  const pageC = await guestPage(browser, cy);
  await expect(messages(pageC)).toContainText([hello, typed, hostile]);
  await expect(pageA.locator("#people")).toContainText(cy);
});

test("the typing indicator clears by itself when the typist stops", async ({ browser }) => {
  const pageA = await guestPage(browser, uniqueName("dia"));
  const pageB = await guestPage(browser, uniqueName("eli"));
  const typist = await pageA.locator(".me-name").textContent();
  await pageA.locator("#msg").pressSequentially("hm", { delay: 30 });
  await expect(pageB.locator("#typing-line")).toHaveText(`${typist} is typing…`);
  // No more keys: the client says it stopped after 3 s (the server would end it after 5 s).
  await expect(pageB.locator("#typing-line")).toHaveText("", { timeout: 10_000 });
});
