// First-load figures, median of N cold loads in Chromium (a new context each: nothing cached).
//
//   node measure-first-load.mjs http://127.0.0.1:3200 [runs]         the start page, anonymous
//   node measure-first-load.mjs http://127.0.0.1:3200 [runs] chat    a signed-in `/chat` on a phone
//
// `start`: time until the start page is interactive (hydrated: `html[data-hydrated]`) and the
// bytes transferred. READY_SELECTOR overrides what "interactive" waits for (older builds,
// without the mark, enabled their form on hydration: READY_SELECTOR='#enter:enabled').
//
// `chat`: a guest whose room holds a page of messages (written here first, over the standard
// Socket.IO client) opens `/chat` on a phone profile: 390×844, slow 4G (1.6 Mbps down,
// 750 kbps up, 150 ms round trip) and the CPU slowed 4× (CDP throttling). Reported: when the
// first message is visible, when the page is interactive (hydrated), when it is connected,
// and the bytes transferred. The server must allow the burst of messages
// (TERTULIA_MESSAGE_BURST).
import { chromium } from "@playwright/test";
import { io } from "socket.io-client";

const base = process.argv[2] ?? "http://127.0.0.1:3200";
const runs = Number(process.argv[3] ?? 7);
const mode = process.argv[4] ?? "start";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
};

const transferred = (page) =>
  page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .concat(performance.getEntriesByType("navigation"))
      .reduce((sum, entry) => sum + (entry.transferSize || 0), 0),
  );

/** A guest's session token (as a program gets it). */
async function guestToken(name) {
  const response = await fetch(`${base}/api/auth/guest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name }),
  });
  if (response.status !== 201) throw new Error(`guest sign-in: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

/** Fills `room` with a page of everyday messages written by the guest of `token`. */
async function fillRoom(token, room, count) {
  const socket = io(`${base}/chat`, { auth: { token }, transports: ["websocket"], reconnection: false });
  await new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", reject);
  });
  const ask = (event, body) =>
    new Promise((resolve, reject) =>
      socket.timeout(10_000).emit(event, body, (error, answer) => {
        if (error) reject(error);
        else if (answer && answer.ok === false) reject(new Error(`${event}: ${JSON.stringify(answer)}`));
        else resolve(answer);
      }),
    );
  await ask("join", { room });
  const lines = [
    "Morning! Did the deploy go out?",
    "Yes, **v2.3** is live. Notes: https://example.com/releases/2.3",
    "```rust\nfn main() {\n    println!(\"hello\");\n}\n```",
    "Looks good. I'll check the dashboards after lunch.",
    "> quoted from the incident doc\nwe should add an alert for that",
  ];
  for (let i = 0; i < count; i++) {
    await ask("message", { room, text: `${lines[i % lines.length]} (${i + 1})` });
  }
  socket.close();
}

async function measureStart() {
  const ready = process.env.READY_SELECTOR ?? "html[data-hydrated]";
  const times = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(base + "/");
    await page.locator(ready).waitFor({ state: "attached" });
    times.push(Date.now() - started);
    bytes = await transferred(page);
    await context.close();
  }
  const t = median(times);
  return { mode: "start", runs, median_ms: t.median, min_ms: t.min, max_ms: t.max, transferred_bytes: bytes };
}

async function measureChat() {
  const name = `m${Date.now().toString(36)}`;
  const token = await guestToken(name);
  await fillRoom(token, "general", 40);
  const visible = [];
  const interactive = [];
  const connected = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 3,
    });
    await context.addCookies([{ name: "tertulia_session", value: token, url: base }]);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 150,
      downloadThroughput: (1.6 * 1024 * 1024) / 8,
      uploadThroughput: (750 * 1024) / 8,
    });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
    const started = Date.now();
    const since = () => Date.now() - started;
    await page.goto(base + "/chat", { waitUntil: "commit" });
    const seen = page
      .locator("#log .msg .text")
      .first()
      .waitFor({ state: "visible", timeout: 60_000 })
      .then(since);
    const hydrated = page
      .locator("html[data-hydrated]")
      .waitFor({ state: "attached", timeout: 60_000 })
      .then(since);
    const live = page
      .locator("#status", { hasText: /^connected$/ })
      .waitFor({ state: "attached", timeout: 60_000 })
      .then(since);
    visible.push(await seen);
    interactive.push(await hydrated);
    connected.push(await live);
    bytes = await transferred(page);
    await context.close();
  }
  const v = median(visible);
  const h = median(interactive);
  const c = median(connected);
  return {
    mode: "chat (phone: slow 4G, 4x CPU)",
    runs,
    messages_visible_ms: v,
    interactive_ms: h,
    connected_ms: c,
    transferred_bytes: bytes,
  };
}

const result = mode === "chat" ? await measureChat() : await measureStart();
await browser.close();
console.log(JSON.stringify(result));
