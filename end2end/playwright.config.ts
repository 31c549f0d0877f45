import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";
import type { WorkerOptions } from "./tests/helpers";

// The servers under test: each worker starts the debug binary `cargo leptos build` produced,
// on its own port (3100 + the worker's index) with its own fresh SQLite database
// (tests/server.ts), so the workers' tests never share rooms, messages or counts.
const port = Number(process.env.TERTULIA_E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

// The suite is bound by the browser's CPU on two cores, and two choices more than halve it
// (measured on avatars.spec.ts, one worker, machine CPU: 58 s → 27 s; the whole suite, three
// workers: 552 s → 300 s with traces of failures still kept, less again without them):
// - Debian's `chromium-headless-shell` (the old headless mode, as Playwright runs by default)
//   instead of the full browser without a window: 40% less CPU for the same Blink and V8;
// - no trace recording by default: a trace of every test, kept only if it fails, cost the
//   browsers and the workers a third of the CPU with its screencast (a JPEG of every frame),
//   15% with DOM snapshots alone. A failing test leaves its error, call log and a screenshot;
//   rerun it with `TERTULIA_E2E_TRACE=on npx playwright test <file>` for the whole trace.
const headlessShell = "/usr/bin/chromium-headless-shell";
const chromium = process.env.CHROMIUM_PATH ?? (existsSync(headlessShell) ? headlessShell : "/usr/bin/chromium");
const trace = (process.env.TERTULIA_E2E_TRACE ?? "off") as "on" | "off" | "retain-on-failure";

export default defineConfig<{}, WorkerOptions>({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  // Files are spread over the workers; the tests of one file run in order. The suite waits on
  // the network and the browser far more than it computes: on two cores, one worker took
  // 9.5 min, two 4.8, three 3.7 and four 4.4 (CPU-bound again), same machine, same hour
  // (with 103 tests; 162 tests on the full browser took 9.2 min on three, 5.0 on the shell).
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
    trace,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
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
