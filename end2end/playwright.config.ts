import { defineConfig } from "@playwright/test";

// The server under test: the debug binary `cargo leptos build` produced, on its own port,
// with a fresh SQLite database for every run.
const port = Number(process.env.TERTULIA_E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  outputDir: "./test-results",
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command:
      `cd .. && rm -rf target/e2e-data && ` +
      `DATABASE_URL='sqlite://target/e2e-data/e2e.db?mode=rwc' TERTULIA_FILES_DIR=target/e2e-data/files LEPTOS_SITE_ADDR=127.0.0.1:${port} ` +
      `TERTULIA_AUTH_BURST=1000 RUST_LOG=warn ./target/debug/server`,
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
