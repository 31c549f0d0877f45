import { type Page } from "@playwright/test";
import { test, expect, createRoom, guestPage, say, sizedGuest, uniqueName } from "./helpers";

// Fenced code blocks that name a language are coloured by the server (POST /api/highlight,
// protocol v1.18): plain at once, then the same text in coloured runs, for everyone.

const RUST = `fn main() {
    let answer = 42; // the answer
    println!("{answer} ☃");
}`;

/** Sends `text` (Markdown: the message shows differently from what was typed). */
async function send(page: Page, text: string): Promise<void> {
  await page.locator("#msg").fill(text);
  await page.locator("#msg").press("Enter");
}

/** The code block of the message in the room on screen whose block contains `text`. */
function block(page: Page, text: string) {
  return page.locator("#log .msg .text pre.code").filter({ hasText: text });
}

test("a fenced block is coloured for everyone, as the exact text that was sent", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("code");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);

  await send(ana, "```rust\n" + RUST + "\n```");
  for (const page of [ana, bea]) {
    const code = block(page, "the answer");
    await expect(code).toHaveAttribute("data-lang", "rust");
    await expect(code.locator(".tok-keyword", { hasText: /^fn$/ })).toBeVisible();
    await expect(code.locator(".tok-function", { hasText: /^main$/ })).toBeVisible();
    await expect(code.locator(".tok-number", { hasText: /^42$/ })).toBeVisible();
    await expect(code.locator(".tok-comment")).toHaveText("// the answer\n");
    await expect(code.locator(".tok-string", { hasText: "☃" })).toBeVisible();
    // Colour changes nothing of the text: a reader copies what was sent.
    expect(await code.locator("code").evaluate((element) => element.textContent)).toBe(RUST);
    // A coloured run has another colour than plain text.
    const colours = await code.evaluate((pre) => {
      const keyword = pre.querySelector(".tok-keyword") as HTMLElement;
      return [getComputedStyle(keyword).color, getComputedStyle(pre.querySelector("code")!).color];
    });
    expect(colours[0]).not.toBe(colours[1]);
  }

  // A reload shows it coloured again (from the server, which remembers the block).
  await bea.reload();
  await expect(block(bea, "the answer").locator(".tok-keyword").first()).toBeVisible();
});

test("blocks without a language, or with a hostile one, stay plain text; markup in code is text", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("plaincode");
  await createRoom(ana, room);
  let asked = 0;
  ana.on("request", (request) => {
    if (request.url().endsWith("/api/highlight")) asked += 1;
  });

  await send(ana, "```\nno language here = 1\n```");
  await expect(block(ana, "no language here")).toBeVisible();
  await send(ana, '```"><img src=x onerror=window.pwned=1>\nlet x = 1;\n```');
  await expect(block(ana, "let x = 1;")).toBeVisible();
  await send(ana, "```html\n<script>window.pwned = 2</script><b>bold?</b>\n```");
  const html = block(ana, "bold?");
  await expect(html.locator(".tok-tag").first()).toBeVisible();
  await send(ana, "```klingon\nqapla'\n```");
  await expect(block(ana, "qapla'")).toHaveAttribute("data-lang", "klingon");

  // Only the html and klingon blocks were sent to be read; the others named no language.
  await expect.poll(() => asked).toBe(2);
  for (const text of ["no language here", "let x = 1;", "qapla'"]) {
    await expect(block(ana, text).locator("span")).toHaveCount(0);
  }
  await expect(block(ana, "let x = 1;")).not.toHaveAttribute("data-lang");
  expect(await html.locator("code").textContent()).toBe("<script>window.pwned = 2</script><b>bold?</b>");
  await expect(html.locator("b, script, img")).toHaveCount(0);
  expect(await ana.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
});

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of coloured code, ${label}, ${colorScheme}`, async ({ browser }) => {
      const ana = await guestPage(browser, uniqueName("ana"));
      const room = uniqueName("codeshot");
      await createRoom(ana, room);
      await say(ana, "Here is the fix for the retry loop:");
      await send(
        ana,
        "```rust\n/// Waits before the next attempt.\nasync fn retry(attempt: u32) -> Result<(), Error> {\n    let delay = Duration::from_millis(250 * 2u64.pow(attempt));\n    tokio::time::sleep(delay).await;\n    Ok(())\n}\n```",
      );
      await send(ana, "```py\ndef greet(name: str) -> str:\n    return f\"hola, {name}\"  # friendly\n```");
      const bea = await sizedGuest(browser, uniqueName("bea"), viewport, colorScheme);
      await bea.goto(`/chat?room=${room}`);
      await expect(block(bea, "retry").locator(".tok-keyword").first()).toBeVisible();
      await expect(block(bea, "greet").locator(".tok-keyword").first()).toBeVisible();
      await bea.screenshot({ path: `artifacts/code-${label}-${colorScheme}.png` });
    });
  }
}
