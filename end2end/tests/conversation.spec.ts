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

test("named and www. links show their text and go only to web addresses", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("links");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  // Written as Markdown, shown as links (so not through `say`, which waits for the text as typed).
  await ana.locator("#msg").fill("read [the handbook](https://example.org/handbook) or www.example.org/faq.");
  await ana.locator("#msg").press("Enter");
  await say(ana, "not this: [click me](javascript:alert(1))");

  const links = bea.locator("#log .msg").filter({ hasText: "the handbook" }).locator("a");
  await expect(links).toHaveCount(2);
  await expect(links.nth(0)).toHaveText("the handbook");
  await expect(links.nth(0)).toHaveAttribute("href", "https://example.org/handbook");
  // The address shows on hover, whatever the text says.
  await expect(links.nth(0)).toHaveAttribute("title", "https://example.org/handbook");
  await expect(links.nth(0)).toHaveAttribute("rel", "noopener noreferrer nofollow");
  await expect(links.nth(1)).toHaveText("www.example.org/faq");
  await expect(links.nth(1)).toHaveAttribute("href", "https://www.example.org/faq");
  const refused = bea.locator("#log .msg").filter({ hasText: "not this" });
  await expect(refused.locator(".text")).toHaveText("not this: [click me](javascript:alert(1))");
  await expect(refused.locator("a")).toHaveCount(0);
});

test("a long message shows its start with Show more, and stays open once opened", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("long");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  const lines = Array.from({ length: 30 }, (_, n) => `step ${n + 1} of the runbook`).join("\n");
  await ana.locator("#msg").fill(lines);
  await ana.locator("#msg").press("Enter");
  await say(ana, "short one");

  const long = bea.locator("#log .msg").filter({ hasText: "step 1 of the runbook" });
  const more = long.getByRole("button", { name: "Show more" });
  await expect(more).toHaveAttribute("aria-expanded", "false");
  const folded = await long.locator(".text").evaluate((el) => el.getBoundingClientRect().height);
  await expect(long.locator(".text")).toContainText("step 30 of the runbook");
  await bea.screenshot({ path: "artifacts/long-message-folded.png" });
  await more.click();
  const less = long.getByRole("button", { name: "Show less" });
  await expect(less).toHaveAttribute("aria-expanded", "true");
  const open = await long.locator(".text").evaluate((el) => el.getBoundingClientRect().height);
  expect(open).toBeGreaterThan(folded * 1.5);
  // A reaction redraws the message: it stays open.
  await long.click({ position: { x: 4, y: 4 } });
  await long.hover();
  await long.getByRole("button", { name: "React", exact: true }).click();
  await bea.getByRole("button", { name: "React with 👍" }).click();
  await expect(long.locator(".reaction-chip")).toHaveText("👍1");
  await expect(long.getByRole("button", { name: "Show less" })).toBeVisible();
  await expect(bea.locator("#log .msg").filter({ hasText: "short one" }).getByRole("button", { name: "Show more" })).toHaveCount(0);
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

  // In a room of her own, where Bea is not, @ still finds Bea (from the whole directory), and
  // `/dm @name` opens the conversation with her.
  const alone = uniqueName("alone");
  await createRoom(ana, alone);
  await ana.locator("#msg").pressSequentially(`/dm @${beaName.slice(0, -2)}`);
  await expect(ana.locator("#mention-list")).toContainText(beaName);
  await ana.keyboard.press("Tab");
  await expect(ana.locator("#msg")).toHaveValue(`/dm @${beaName} `);
  await ana.keyboard.press("Enter");
  await expect(ana.locator("#room-title")).toHaveText(`🔒 @${beaName}`);
});

test("a paste over the limit is kept whole and says how much to cut; right-to-left text reads right", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("long");
  await createRoom(ana, room);
  const box = ana.locator("#msg");
  const note = ana.locator("#length-note");
  await expect(note).toBeHidden();

  // 4,100 characters pasted from the clipboard (a real paste, Ctrl+V): nothing is cut, the
  // box says how many are over, Send waits.
  await ana.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await ana.evaluate((text) => navigator.clipboard.writeText(text), "x".repeat(4_100));
  await box.focus();
  await ana.keyboard.press("Control+V");
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

  // The box takes the direction of what is typed in it: Arabic is written right to left.
  await box.fill("مرحبا");
  await expect(box).toHaveAttribute("dir", "auto");
  expect(await box.evaluate((el) => el.matches(":dir(rtl)"))).toBe(true);
  await box.fill("");
  // A message in Arabic with a bidi override inside takes its own direction and stops at
  // its edge: the author's name and the time around it stay as they are.
  await say(ana, "مرحبا \u202Eevil");
  const text = ana.locator("#log .msg .text").last();
  await expect(text).toHaveCSS("unicode-bidi", "plaintext");
  await expect(ana.locator("#log .msg .author").last()).toHaveCSS("unicode-bidi", "isolate");
});
