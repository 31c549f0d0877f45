import { test, expect, createRoom, guestPage, say, uniqueName, GENERAL } from "./helpers";

test("messages read like a conversation: groups, days, safe Markdown, links, mentions", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const ana = await guestPage(browser, anaName);
  const room = uniqueName("talk");
  await createRoom(ana, room);
  const bea = await guestPage(browser, beaName);
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  // Two messages in a row from one person form one group; today's messages sit under "Today".
  await say(ana, "first of two");
  await say(ana, "second of two");
  const log = bea.locator("#log");
  await expect(log.locator(".msg")).toHaveCount(2);
  await expect(log.locator(".msg").nth(1)).toHaveClass(/grouped/);
  await expect(log.locator(".msg").nth(0)).not.toHaveClass(/grouped/);
  await expect(log.locator(".day")).toHaveText(["Today"]);

  // Markdown: bold, italic, strike, inline code, a code block, a quote and a list.
  const box = ana.locator("#msg");
  await box.fill("**loud** _soft_ ~~gone~~ `a<b`");
  await box.press("Enter");
  const styled = log.locator(".msg").last();
  await expect(styled.locator("strong")).toHaveText("loud");
  await expect(styled.locator("em")).toHaveText("soft");
  await expect(styled.locator("s")).toHaveText("gone");
  await expect(styled.locator("code")).toHaveText("a<b");

  await box.fill("```");
  await box.press("Shift+Enter");
  await box.pressSequentially("fn main() { println!(\"<b>hi</b>\"); }");
  await box.press("Shift+Enter");
  await box.pressSequentially("```");
  await box.press("Shift+Enter");
  await box.pressSequentially("> wise words");
  await box.press("Shift+Enter");
  await box.pressSequentially("- one");
  await box.press("Shift+Enter");
  await box.pressSequentially("- two");
  await box.press("Enter");
  const block = log.locator(".msg").last();
  await expect(block.locator("pre code")).toHaveText('fn main() { println!("<b>hi</b>"); }');
  await expect(block.locator("blockquote")).toHaveText("wise words");
  await expect(block.locator("ul li")).toHaveText(["one", "two"]);
  await expect(block.locator("b")).toHaveCount(0);

  // A URL becomes a safe link; a script is text; a mention of Bea stands out for her.
  await say(bea, "ok");
  await box.fill(`see https://example.org/docs?a=1. <script>alert(1)</script> @${beaName}`);
  await box.press("Enter");
  const last = log.locator(".msg").last();
  const link = last.locator("a");
  await expect(link).toHaveAttribute("href", "https://example.org/docs?a=1");
  await expect(link).toHaveAttribute("rel", "noopener noreferrer nofollow");
  await expect(link).toHaveAttribute("target", "_blank");
  await expect(last.locator(".text")).toContainText("<script>alert(1)</script>");
  await expect(bea.locator("#log script")).toHaveCount(0);
  await expect(last.locator(".at-mention.me")).toHaveText(`@${beaName}`);
  await expect(last).toHaveClass(/mentions-me/);
  await expect(ana.locator("#log .msg").last().locator(".at-mention.me")).toHaveCount(0);

  await bea.screenshot({ path: "artifacts/conversation.png" });
});

test("typing stops showing when the typist switches rooms", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const anaName = await ana.locator(".me-name").textContent();
  const bea = await guestPage(browser, uniqueName("bea"));
  const elsewhere = uniqueName("elsewhere");
  await createRoom(ana, elsewhere);
  await ana.locator("#joined .room-link").first().click();
  await ana.locator("#msg").pressSequentially("thinking", { delay: 20 });
  await expect(bea.locator("#typing-line")).toHaveText(`${anaName} is typing…`);
  await ana.locator(`#joined li[data-room="${elsewhere}"] .room-link`).click();
  await expect(bea.locator("#typing-line")).toHaveText("", { timeout: 2_500 });
});

test("the keyboard: Ctrl+K switches rooms and @ completes names", async ({ browser }) => {
  const beaName = uniqueName("bea");
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, beaName);
  const room = uniqueName("kbd");
  await createRoom(ana, room);
  await ana.keyboard.press("Control+k");
  await expect(ana.locator("#switcher-input")).toBeFocused();
  await ana.keyboard.type(GENERAL);
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await expect(ana.locator("#switcher")).toHaveCount(0);
  await expect(ana.locator("#msg")).toBeFocused();

  // Escape closes it without going anywhere.
  await ana.keyboard.press("Control+k");
  await ana.keyboard.type(room);
  await ana.keyboard.press("Escape");
  await expect(ana.locator("#switcher")).toHaveCount(0);
  await expect(ana.locator("#room-title")).toContainText(GENERAL);

  // @ + the start of a name offers the people present; Tab takes it.
  await ana.locator("#msg").pressSequentially(`hello @${beaName.slice(0, -1)}`);
  await expect(ana.locator("#mention-list")).toContainText(beaName);
  await ana.keyboard.press("Tab");
  await expect(ana.locator("#msg")).toHaveValue(`hello @${beaName} `);
  await ana.keyboard.press("Enter");
  await expect(bea.locator("#log .msg").last().locator(".at-mention.me")).toHaveText(`@${beaName}`);
});

test("a paste over the limit is kept whole and says how much to cut; right-to-left text reads right", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("long");
  await createRoom(ana, room);
  const box = ana.locator("#msg");
  const note = ana.locator("#length-note");
  await expect(note).toBeHidden();

  // 4,100 characters: nothing is cut, the box says how many are over, Send waits.
  await box.fill("x".repeat(4_100));
  await expect(box).toHaveValue("x".repeat(4_100));
  await expect(note).toHaveText("100 characters over the limit of 4000: shorten it to send it");
  await expect(ana.locator("#send")).toBeDisabled();
  await box.press("Enter");
  await expect(box).toHaveValue("x".repeat(4_100));
  await expect(ana.locator("#log .msg")).toHaveCount(0);

  // Shortened: near the limit it counts down, and it goes.
  await box.fill("y".repeat(3_950));
  await expect(note).toHaveText("50 characters left");
  await expect(ana.locator("#send")).toBeEnabled();
  await box.press("Enter");
  await expect(ana.locator("#log .msg:not(.pending) .text")).toHaveText("y".repeat(3_950));
  await expect(note).toBeHidden();

  // A message in Arabic with a bidi override inside takes its own direction and stops at
  // its edge: the author's name and the time around it stay as they are.
  await say(ana, "مرحبا \u202Eevil");
  const text = ana.locator("#log .msg .text").last();
  await expect(text).toHaveCSS("unicode-bidi", "plaintext");
  await expect(ana.locator("#log .msg .author").last()).toHaveCSS("unicode-bidi", "isolate");
});
