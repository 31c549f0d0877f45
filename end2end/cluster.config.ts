import { defineConfig } from "@playwright/test";
import base from "./playwright.config";
import type { WorkerOptions } from "./tests/helpers";

// The same browser tests' settings, against a cluster: deploy/cluster.sh runs Redis,
// PostgreSQL, two nodes of the debug binary and nginx in front, and stops them afterwards.
const port = Number(process.env.TERTULIA_E2E_CLUSTER_PORT ?? 3300);
const clusterURL = `http://127.0.0.1:${port}`;

export default defineConfig<{}, WorkerOptions>({
  ...base,
  testDir: "./cluster",
  outputDir: "./test-results/cluster",
  // One cluster, one worker; the cluster brings its servers (no worker starts its own).
  workers: 1,
  use: { ...base.use, baseURL: clusterURL, ownServer: false },
  webServer: {
    command:
      `cd .. && bash deploy/cluster.sh --port ${port} --nodes 2 --data target/e2e-cluster ` +
      `--db tertulia_cluster_e2e --fresh`,
    env: { TERTULIA_AUTH_BURST: "1000", RUST_LOG: "warn" },
    url: `${clusterURL}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
  },
});
