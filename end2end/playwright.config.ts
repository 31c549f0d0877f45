import { defineConfig } from "@playwright/test";
import type { WorkerOptions } from "./tests/helpers";

// The servers under test: each worker starts the debug binary `cargo leptos build` produced,
// on its own port (3100 + the worker's index) with its own fresh SQLite database
// (tests/server.ts), so the workers' tests never share rooms, messages or counts.
const port = Number(process.env.TERTULIA_E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig<{}, WorkerOptions>({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Files are spread over the workers; the tests of one file run in order. The suite waits on
  // the network and the browser far more than it computes: on two cores, one worker took
  // 9.5 min, two 4.8, three 3.7 and four 4.4 (CPU-bound again), same machine, same hour.
  fullyParallel: false,
  workers: Number(process.env.TERTULIA_E2E_WORKERS ?? 3),
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
});
