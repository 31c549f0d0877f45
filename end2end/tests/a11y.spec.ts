import AxeBuilder from "@axe-core/playwright";
import { type Page } from "@playwright/test";
import { test, expect, contract, createAdmin, GENERAL, uniqueName } from "./helpers";

const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** Serious and critical accessibility problems axe finds on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const admin = uniqueName("axeadmin");
const password = "correct horse battery";

test.beforeAll(() => {
  createAdmin(admin, password);
});

for (const [size, viewport] of Object.entries(SIZES)) {
  for (const scheme of ["light", "dark"] as const) {
    test(`no serious accessibility problems on the landing, chat, board and admin pages (${size}, ${scheme})`, async ({ browser }) => {
      const context = await browser.newContext({ viewport, colorScheme: scheme });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (message) => {
        // The console level (not the wire's event of the same name).
        if (message.type().startsWith("err")) errors.push(message.text());
      });

      await page.goto("/");
      await expect(page.getByRole("button", { name: "Join the chat" })).toBeVisible();
      expect(await seriousViolations(page), "landing").toEqual([]);
      expect(errors, "an anonymous visit logs no console errors").toEqual([]);
      // Assets have content-hashed names and may be cached for good.
      const css = await page.locator('link[rel="stylesheet"]').getAttribute("href");
      expect(css).toMatch(/^\/pkg\/chat\.[\w-]{8,}\.css$/);
      const asset = await page.request.get(css!);
      expect(asset.headers()["cache-control"]).toContain("immutable");

      await page.getByRole("tab", { name: "Sign in" }).click();
      await page.getByLabel("Name").fill(admin);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.locator("#status")).toHaveText("connected");
      await expect(page.locator("#room-title")).toContainText(GENERAL);
      await page.locator("#msg").fill(`checking @${admin} **contrast** and \`code\``);
      await page.locator("#msg").press("Enter");
      await expect(page.locator("#log .msg").last().locator("strong")).toHaveText("contrast");
      expect(await seriousViolations(page), "chat").toEqual([]);

      await page.locator("#bell").click();
      expect(await seriousViolations(page), "chat with the bell open").toEqual([]);
      await page.keyboard.press("Escape");

      await page.goto("/board");
      await expect(page.locator("#status")).toHaveText("connected");
      expect(await seriousViolations(page), "board").toEqual([]);

      await page.goto(contract.links.ADMIN);
      await expect(page.locator("#stat-messages")).toHaveText(/^\d+$/);
      expect(await seriousViolations(page), "admin").toEqual([]);
      await context.close();
    });
  }
}
