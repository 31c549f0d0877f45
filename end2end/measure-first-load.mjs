// First-load figures for an anonymous visit: time until the start page is interactive
// (hydrated: `html[data-hydrated]`) and bytes transferred, median of N cold loads.
// Usage: node measure-first-load.mjs http://127.0.0.1:3200 [runs]
// READY_SELECTOR overrides what "interactive" waits for (older builds, without the mark, enabled
// their form on hydration: READY_SELECTOR='#enter:enabled').
import { chromium } from "@playwright/test";

const base = process.argv[2] ?? "http://127.0.0.1:3200";
const runs = Number(process.argv[3] ?? 7);
const ready = process.env.READY_SELECTOR ?? "html[data-hydrated]";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
const times = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const started = Date.now();
  await page.goto(base + "/");
  await page.locator(ready).waitFor({ state: "attached" });
  times.push(Date.now() - started);
  bytes = await page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .concat(performance.getEntriesByType("navigation"))
      .reduce((sum, entry) => sum + (entry.transferSize || 0), 0),
  );
  await context.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(JSON.stringify({ runs, median_ms: times[Math.floor(runs / 2)], min_ms: times[0], max_ms: times[runs - 1], transferred_bytes: bytes }));
