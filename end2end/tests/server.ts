import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { contract } from "./contract";

/**
 * One Tertulia server per Playwright worker: the debug binary `cargo leptos build` produced,
 * on its own port and its own fresh SQLite database, so workers run side by side without
 * seeing each other's rooms, messages or counts. Each worker is a process of its own, so the
 * module's state below is that worker's.
 */
export interface WorkerServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The database the server uses (for `server create-admin`). */
  databaseUrl: string;
}

let current: WorkerServer | undefined;

/**
 * The panics this worker's server reported on its standard error, in order (the line that
 * says where). A panic ends one task, not the server, so nothing else would notice: every test
 * fails that saw one (see `helpers.ts`).
 */
export const serverPanics: string[] = [];
/** How many of `serverPanics` a test has already been failed for. */
export const panicsSeen = { count: 0 };

/** The server of this worker (the cluster config sets its own, see `clusterURL`). */
export function workerServer(): WorkerServer {
  if (!current) {
    throw new Error("no server started for this worker (is the test imported from ./helpers?)");
  }
  return current;
}

/** The workspace root. */
export const root = join(__dirname, "..", "..");

/** The first port; the worker in parallel slot N listens on BASE_PORT + N. */
const BASE_PORT = Number(process.env.TERTULIA_E2E_PORT ?? 3100);

/** Starts this worker's server and waits until it answers; stops it when `use` returns. */
export async function runWorkerServer(workerIndex: number, use: (server: WorkerServer) => Promise<void>) {
  const started = await startServer(BASE_PORT + workerIndex, `worker${workerIndex}`, {});
  current = started.server;
  try {
    await use(current);
  } finally {
    current = undefined;
    await started.stop();
    // A panic after the worker's last test's check (its pages closing) fails the worker.
    const unseen = serverPanics.slice(panicsSeen.count);
    if (unseen.length > 0) {
      throw new Error(`the worker's server panicked after its tests' checks: ${unseen.join("; ")}`);
    }
  }
}

/**
 * A server of a test's own, with settings of its own (`env`, e.g. a short idle time), on
 * this worker's second port and its own fresh database; stopped when `use` returns. Its
 * panics fail the test like the worker server's.
 */
export async function withOwnServer(
  workerIndex: number,
  env: Record<string, string>,
  use: (server: WorkerServer) => Promise<void>,
) {
  const started = await startServer(BASE_PORT + OWN_SERVER_PORTS + workerIndex, `own${workerIndex}`, env);
  try {
    await use(started.server);
  } finally {
    await started.stop();
  }
}

/** How far above the workers' ports the tests' own servers listen. */
const OWN_SERVER_PORTS = 50;

/** Starts the debug server on `port` over a fresh database in `target/e2e-data/<name>`. */
async function startServer(port: number, name: string, env: Record<string, string>) {
  const dataDir = join("target", "e2e-data", name);
  rmSync(join(root, dataDir), { recursive: true, force: true });
  mkdirSync(join(root, dataDir), { recursive: true });
  const databaseUrl = `sqlite://${dataDir}/e2e.db?mode=rwc`;
  const child: ChildProcess = spawn(join(root, "target", "debug", "server"), [], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TERTULIA_FILES_DIR: join(dataDir, "files"),
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      TERTULIA_AUTH_BURST: "1000",
      // Every browser of the run comes from 127.0.0.1: its new rooms per hour are one budget.
      TERTULIA_ROOM_CREATE_BURST: "100",
      // Link previews fetch only from the test site on 127.0.0.2 (link-previews.spec.ts):
      // links to real sites in other tests are never fetched, whatever the network.
      TERTULIA_LINK_PREVIEW_PUBLIC: "false",
      TERTULIA_LINK_PREVIEW_ALLOW: "127.0.0.2/32",
      // Bots' command programs of bots.spec.ts run on this machine.
      TERTULIA_BOT_CALLBACK_ALLOW: "127.0.0.1/32",
      RUST_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", "inherit", "pipe"],
  });
  // Passed through as it comes; panics noted, line by line.
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.includes("panicked at")) serverPanics.push(line.trim());
    }
  });
  // Should the worker die without its teardown, the server goes with it.
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`the server on ${port} exited (${code}) before answering`))),
  );
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([waitForHealth(url), exited]);
  const stop = async () => {
    process.off("exit", kill);
    child.kill("SIGTERM");
    await new Promise((resolve) => {
      if (child.exitCode !== null) resolve(null);
      else child.once("exit", resolve);
    });
  };
  return { server: { url, databaseUrl }, stop };
}

/** Polls the health endpoint until it answers 200 (at most 60 s). */
async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const answer = await fetch(`${url}${contract.api.HEALTH.path}`);
      if (answer.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no server at ${url} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
