import { type BrowserContext, type Page } from "@playwright/test";
import { test, expect, contract, createRoom, guestPage, say, uniqueName, messages, serverURL, GENERAL } from "./helpers";

const CHAT = contract.namespaces.CHAT;
const MESSAGE = contract.requests[CHAT].MESSAGE;

/** Waits until the chat this page keeps in the browser (for an offline start) holds `text`. */
async function snapshotHolds(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (kept) => Object.keys(localStorage).some((key) => key.startsWith("tertulia.snapshot.") && localStorage.getItem(key)!.includes(kept)),
    text,
  );
}

/**
 * Lets the context's pages reach the server's socket only while `open()` says so: a page
 * whose socket is refused still loads (HTTP is untouched), as on a network that is down for
 * WebSockets only, so a reload can be tried while the chat cannot connect.
 */
async function socketGate(context: BrowserContext, open: () => boolean): Promise<void> {
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (open()) {
      ws.connectToServer();
    } else {
      ws.close();
    }
  });
}

/** How many `message` requests carrying `text` the page's sockets sent. */
function countSends(page: Page): (text: string) => number {
  const sent: string[] = [];
  page.on("websocket", (ws) => {
    ws.on("framesent", (frame) => {
      if (typeof frame.payload === "string" && frame.payload.includes(`"${MESSAGE}"`)) {
        sent.push(frame.payload);
      }
    });
  });
  return (text) => sent.filter((frame) => frame.includes(text)).length;
}

/** A second tab of `page`'s browser on the chat, connected and showing its room. */
async function secondTab(page: Page): Promise<Page> {
  const second = await page.context().newPage();
  await second.goto(`${serverURL()}/chat`);
  await expect(second.locator("#status")).toHaveText("connected");
  await expect(second.locator("#room-title")).toContainText(GENERAL);
  return second;
}

/** The outbox entries this page's browser keeps. */
function stored(page: Page): Promise<number> {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith("tertulia.outbox.")).length);
}

test("a message written offline waits in place, survives a reload and is delivered once", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  let open = true;
  await socketGate(ana.context(), () => open);
  const sends = countSends(ana);
  const text = uniqueName("written on the train ");

  await ana.context().setOffline(true);
  open = false;
  await expect(ana.locator("#status")).toHaveText("offline");
  // The composer stays usable and says what will happen.
  await expect(ana.locator("#msg")).toBeEnabled();
  await expect(ana.locator("#outbox-note")).toContainText("sent when the connection is back");
  await ana.locator("#msg").fill(text);
  await ana.locator("#msg").press("Enter");
  const waiting = ana.locator("#log .msg.pending").filter({ hasText: text });
  await expect(waiting.locator(".sending")).toHaveText("waiting for the connection");
  expect(await stored(ana)).toBe(1);

  // The network is back, the chat's socket still refused: a reload keeps the message.
  await ana.context().setOffline(false);
  await ana.reload();
  await expect(ana.locator("#status")).not.toHaveText("connected");
  expect(await stored(ana)).toBe(1);
  await expect(messages(bea).filter({ hasText: text })).toHaveCount(0);

  // The socket is let through: the message goes out once, and is stored once.
  open = true;
  await expect(ana.locator("#status")).toHaveText("connected", { timeout: 30_000 });
  await expect(messages(bea).filter({ hasText: text })).toHaveCount(1);
  await expect(ana.locator("#log .msg:not(.pending) .text").filter({ hasText: text })).toHaveCount(1);
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);
  expect(await stored(ana)).toBe(0);
  expect(sends(text)).toBe(1);
  // Still there, once, after another reload.
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(messages(ana).filter({ hasText: text })).toHaveCount(1);
});

test("two tabs offline: each one's messages show in both and are sent once, by one tab", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const second = await secondTab(ana);
  const sendsFirst = countSends(ana);
  const sendsSecond = countSends(second);
  const one = uniqueName("from the first tab ");
  const two = uniqueName("from the second tab ");

  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).toHaveText("offline");
  await expect(second.locator("#status")).toHaveText("offline");
  await ana.locator("#msg").fill(one);
  await ana.locator("#msg").press("Enter");
  await second.locator("#msg").fill(two);
  await second.locator("#msg").press("Enter");
  // Each tab shows both (the outbox is the user's, not the tab's), in the order written.
  for (const tab of [ana, second]) {
    await expect(tab.locator("#log .msg.pending .text")).toHaveText([one, two]);
  }

  await ana.context().setOffline(false);
  await expect(messages(bea).filter({ hasText: one })).toHaveCount(1);
  await expect(messages(bea).filter({ hasText: two })).toHaveCount(1);
  await expect(messages(bea).nth(-2)).toHaveText(one);
  await expect(messages(bea).last()).toHaveText(two);
  for (const tab of [ana, second]) {
    await expect(tab.locator("#log .msg.pending")).toHaveCount(0);
    await expect(messages(tab).filter({ hasText: one })).toHaveCount(1);
    await expect(messages(tab).filter({ hasText: two })).toHaveCount(1);
  }
  expect(sendsFirst(one) + sendsSecond(one)).toBe(1);
  expect(sendsFirst(two) + sendsSecond(two)).toBe(1);
  expect(await stored(ana)).toBe(0);
});

test("what a tab closed offline left behind is sent by the tab still open", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const second = await secondTab(ana);
  const text = uniqueName("left in a closed tab ");

  await ana.context().setOffline(true);
  await expect(second.locator("#status")).toHaveText("offline");
  await second.locator("#msg").fill(text);
  await second.locator("#msg").press("Enter");
  await expect(ana.locator("#log .msg.pending .text")).toHaveText([text]);
  await second.close();

  await ana.context().setOffline(false);
  await expect(messages(bea).filter({ hasText: text })).toHaveCount(1);
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);
  await expect(messages(ana).filter({ hasText: text })).toHaveCount(1);
  expect(await stored(ana)).toBe(0);
});

test("a message written offline that the server refuses when it goes is shown failed, its text kept", async ({ browser }) => {
  const owner = await guestPage(browser, uniqueName("owner"));
  const room = uniqueName("quiet");
  await createRoom(owner, room);
  const anaName = uniqueName("ana");
  const ana = await guestPage(browser, anaName);
  await ana.goto(`/chat?room=${room}`);
  await expect(ana.locator("#room-title")).toContainText(room);
  const text = uniqueName("said in the tunnel ");
  // Muted while she is still there (offline, she is not among the people present to mute).
  const member = owner.locator(`#people .member[data-user="${anaName}"]`);
  await member.locator(".member-menu summary").click();
  await member.getByRole("button", { name: "Mute 15 min" }).click();
  await expect(owner.locator(".room")).toContainText(`${anaName} is muted for 15 minutes`);

  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).toHaveText("offline");
  await ana.locator("#msg").fill(text);
  await ana.locator("#msg").press("Enter");
  await expect(ana.locator("#log .msg.pending .sending")).toHaveText("waiting for the connection");

  await ana.context().setOffline(false);
  const refused = ana.locator("#log .msg.pending").filter({ hasText: text });
  await expect(refused.locator(".failed")).toContainText("muted");
  await expect(refused.getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(messages(owner).filter({ hasText: text })).toHaveCount(0);
  // Kept across a reload, failed, until Ana discards it.
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(refused.locator(".failed")).toContainText("muted");
  await refused.getByRole("button", { name: "Discard" }).click();
  await expect(refused).toHaveCount(0);
  expect(await stored(ana)).toBe(0);
});

test("edits, reactions and deletions made offline show at once and reach the others once back", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const room = uniqueName("later");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  const row = (page: Page, text: string) =>
    page.locator("#log .msg").filter({ has: page.locator(".text", { hasText: text }) }).last();
  const act = async (text: string, action: "React" | "Edit" | "Delete") => {
    await row(ana, text).click({ position: { x: 4, y: 4 } });
    await row(ana, text).hover();
    await row(ana, text).getByRole("button", { name: action, exact: true }).click();
  };
  await say(ana, "see you at nine");
  await say(ana, "a message to take back");
  await say(bea, "nine works");

  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).toHaveText("offline");
  await act("see you at nine", "Edit");
  await ana.getByLabel("Edit the message").fill("see you at ten");
  await ana.getByLabel("Edit the message").press("Enter");
  await act("nine works", "React");
  await ana.getByRole("button", { name: "React with 🎉" }).click();
  ana.once("dialog", (dialog) => dialog.accept());
  await act("a message to take back", "Delete");
  // Shown here at once…
  await expect(row(ana, "see you at ten")).toBeVisible();
  await expect(row(ana, "nine works").locator(".reaction-chip")).toHaveText("🎉1");
  await expect(ana.locator("#log")).not.toContainText("a message to take back");
  // …and nowhere else yet.
  await expect(row(bea, "see you at nine")).toBeVisible();
  await expect(row(bea, "nine works").locator(".reaction-chip")).toHaveCount(0);

  await ana.context().setOffline(false);
  await expect(row(bea, "see you at ten").locator(".edited")).toHaveText("(edited)");
  await expect(row(bea, "nine works").locator(".reaction-chip")).toHaveText("🎉1");
  await expect(bea.locator("#log")).not.toContainText("a message to take back");
  await expect(bea.locator("#log .msg.is-deleted .text")).toHaveText("message deleted");
  expect(await stored(ana)).toBe(0);
  // Ana's page agrees with the server after a reload.
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(row(ana, "see you at ten")).toBeVisible();
  await expect(row(ana, "nine works").locator(".reaction-chip")).toHaveText("🎉1");
});

test("screenshots of writing offline: desktop and phone, light and dark", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await say(ana, "sent while online");
  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).toHaveText("offline");
  await ana.locator("#msg").fill("written offline, waiting");
  await ana.locator("#msg").press("Enter");
  await expect(ana.locator("#log .msg.pending .sending")).toHaveText("waiting for the connection");
  await ana.locator("#msg").fill("a draft in the box");
  for (const colorScheme of ["light", "dark"] as const) {
    for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
      await ana.setViewportSize(viewport);
      await ana.emulateMedia({ colorScheme });
      await expect(ana.locator("#outbox-note")).toBeVisible();
      // Finished transitions: the drawers slide away when the viewport narrows.
      await ana.screenshot({ path: `artifacts/outbox-${label}-${colorScheme}.png`, animations: "disabled" });
    }
  }
});

test("signing out with unsent messages asks first, then leaves nothing on the device", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  let open = true;
  await socketGate(ana.context(), () => open);
  await ana.context().setOffline(true);
  open = false;
  await expect(ana.locator("#status")).toHaveText("offline");
  await ana.locator("#msg").fill("not for the next person");
  await ana.locator("#msg").press("Enter");
  await ana.context().setOffline(false);
  expect(await stored(ana)).toBe(1);

  let asked = "";
  ana.once("dialog", (dialog) => {
    asked = dialog.message();
    void dialog.dismiss();
  });
  await ana.locator("#sign-out").click();
  await expect.poll(() => asked).toContain("1 of your messages or changes are not sent yet");
  await expect(ana).toHaveURL(/\/chat/);
  expect(await stored(ana)).toBe(1);

  ana.once("dialog", (dialog) => void dialog.accept());
  await ana.locator("#sign-out").click();
  await expect(ana).toHaveURL(/\/(\?.*)?$/);
  expect(await stored(ana)).toBe(0);
});

test("the app opens offline with the rooms, the last messages and the outbox, and reconnects by itself", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const room = uniqueName("kept");
  await createRoom(ana, room);
  const text = uniqueName("worth keeping ");
  await say(ana, text);
  // The service worker controls the page (it claims the pages open when it starts), and the
  // chat is kept in the browser (every few seconds).
  await ana.waitForFunction(() => navigator.serviceWorker?.controller != null);
  await expect
    .poll(() =>
      ana.evaluate(async (chatPage) => {
        const kept = (await (await caches.open("tertulia-assets-v1")).keys()).map((request) => request.url);
        return (await caches.match(chatPage)) !== undefined && kept.some((url) => url.endsWith(".wasm"));
      }, contract.links.CHAT),
    )
    .toBe(true);
  await snapshotHolds(ana, text);

  await ana.context().setOffline(true);
  await ana.reload();
  await expect(ana.locator("html")).toHaveAttribute("data-hydrated", "");
  await expect(ana.locator("#status")).not.toHaveText("connected");
  await expect(ana.locator(`#joined li[data-room="${room}"]`)).toBeVisible();
  await expect(ana.locator("#room-title")).toContainText(room);
  await expect(messages(ana).last()).toHaveText(text);
  const later = uniqueName("written after an offline start ");
  await ana.locator("#msg").fill(later);
  await ana.locator("#msg").press("Enter");
  await expect(ana.locator("#log .msg.pending .text")).toHaveText([later]);
  await ana.screenshot({ path: "artifacts/outbox-offline-start.png" });

  await ana.context().setOffline(false);
  await expect(ana.locator("#status")).toHaveText("connected", { timeout: 30_000 });
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);
  await bea.goto(`/chat?room=${room}`);
  await expect(messages(bea).filter({ hasText: later })).toHaveCount(1);
  await expect(messages(bea).last()).toHaveText(later);
});

test("messages past the rate limit wait their turn and go out in order, none failed", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const bea = await guestPage(browser, uniqueName("bea"));
  const tag = uniqueName("burst");
  // Written offline, then sent at once: more than the 20 a user may send in 10 s.
  await ana.context().setOffline(true);
  await expect(ana.locator("#status")).toHaveText("offline");
  const texts = Array.from({ length: 26 }, (_, n) => `${tag} ${n + 1}`);
  for (const text of texts) {
    await ana.locator("#msg").fill(text);
    await ana.locator("#msg").press("Enter");
  }
  await ana.context().setOffline(false);
  await expect(ana.locator("#status")).toHaveText("connected", { timeout: 30_000 });
  // Those refused for now wait (not failed) and are sent again, in the order written.
  const seen = messages(bea).filter({ hasText: tag });
  await expect(seen).toHaveText(texts, { timeout: 45_000 });
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);
  await expect(ana.locator("#log .msg .failed")).toHaveCount(0);
});

test("after signing out and in again by script, the app still opens offline, as the new person", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  await ana.waitForFunction(() => navigator.serviceWorker?.controller != null);
  const chatKept = () => ana.evaluate(async (chatPage) => (await caches.match(chatPage)) !== undefined, contract.links.CHAT);
  await expect.poll(chatKept).toBe(true);
  // Signing out deletes the kept pages; the worker stays (it is already active).
  await ana.locator("#sign-out").click();
  await expect(ana).toHaveURL(/\/(\?.*)?$/);
  await expect.poll(chatKept).toBe(false);
  // Someone else signs in on this browser, by the start page's script (no page load).
  const cyName = uniqueName("cy");
  await ana.getByLabel("Name").fill(cyName);
  await ana.getByRole("button", { name: "Join the chat" }).click();
  await expect(ana.locator("#status")).toHaveText("connected");
  const text = uniqueName("kept for cy ");
  await say(ana, text);
  // The chat asks the worker to keep its page again: Cy's, never a signed-out one.
  await expect.poll(chatKept, { timeout: 30_000 }).toBe(true);
  await snapshotHolds(ana, text);
  await ana.context().setOffline(true);
  await ana.reload();
  await expect(ana.locator("html")).toHaveAttribute("data-hydrated", "");
  await expect(ana.locator("#account summary")).toContainText(cyName);
  await expect(messages(ana).last()).toHaveText(text);
  await ana.context().setOffline(false);
});

test("a message whose answer never comes shows once, as sent, when the room's copy arrives", async ({ browser }) => {
  const ana = await guestPage(browser, uniqueName("ana"));
  const text = uniqueName("answer lost ");
  // The server's answers (Socket.IO acks, packet type 3) to this message are lost on the way;
  // the room's `message` event, which names the message's client_id (v1.24), gets through.
  // Only the answers to the sends themselves: other answers that quote the text (a history
  // page asked for meanwhile) are the client's business and go through.
  let dropped = 0;
  const ackIds = new Set<string>();
  // An event's or an answer's namespace and ack id ("42/chat,17[…" / "43/chat,17[…").
  const ackId = (frame: string, type: "2" | "3") => {
    const found = new RegExp(`^4${type}(/[^,]*,)?(\\d+)\\[`).exec(frame);
    return found ? `${found[1] ?? ""}${found[2]}` : undefined;
  };
  await ana.context().routeWebSocket(/\/socket\.io\//, (page) => {
    const server = page.connectToServer();
    page.onMessage((frame) => {
      if (typeof frame === "string" && frame.includes(`"${MESSAGE}"`) && frame.includes(text)) {
        const id = ackId(frame, "2");
        if (id) ackIds.add(id);
      }
      server.send(frame);
    });
    server.onMessage((frame) => {
      const id = typeof frame === "string" ? ackId(frame, "3") : undefined;
      if (id && ackIds.has(id)) {
        dropped += 1;
      } else {
        page.send(frame);
      }
    });
  });
  const sends = countSends(ana);
  await ana.reload();
  await expect(ana.locator("#status")).toHaveText("connected");
  await expect(ana.locator("#room-title")).toContainText(GENERAL);

  await ana.locator("#msg").fill(text);
  await ana.locator("#msg").press("Enter");
  await expect.poll(() => dropped).toBe(1);
  // Once, stored (not "sending…"), and nothing left to send again.
  const shown = ana.locator("#log .msg").filter({ hasText: text });
  await expect(shown).toHaveCount(1);
  await expect(shown).not.toHaveClass(/pending/);
  await expect.poll(() => stored(ana)).toBe(0);
  // The outbox moves on: the next message goes at once, and the first is not sent again.
  const next = uniqueName("and the next one ");
  await ana.locator("#msg").fill(next);
  await ana.locator("#msg").press("Enter");
  await expect(messages(ana).filter({ hasText: next })).toHaveCount(1);
  await expect(ana.locator("#log .msg.pending")).toHaveCount(0);
  await expect(shown).toHaveCount(1);
  expect(sends(text)).toBe(1);
});
