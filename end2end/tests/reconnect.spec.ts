import { type Socket } from "socket.io-client";
import { test, expect, contract, guestPage, guestToken, messages, programSocket, say, uniqueName } from "./helpers";

const CHAT = contract.namespaces.CHAT;
const REQ = contract.requests[CHAT];

async function ask(socket: Socket, event: string, payload: object): Promise<any> {
  const answer = await socket.timeout(5000).emitWithAck(event, payload);
  expect(answer.ok, JSON.stringify(answer)).toBe(true);
  return answer;
}

test("going offline shows it, the composer says what will happen, and coming back catches up", async ({ browser }) => {
  const pageA = await guestPage(browser, uniqueName("ana"));
  const pageB = await guestPage(browser, uniqueName("bea"));
  // Texts unique to this run: the room is shared with every other test.
  const before = uniqueName("before the outage ");
  const during = uniqueName("while you were away ");
  await say(pageA, before);
  await expect(messages(pageB).last()).toHaveText(before);

  await pageB.context().setOffline(true);
  await expect(pageB.locator("#status")).toHaveText("offline");
  // Writing stays possible: it is kept and sent when the connection is back (outbox.spec.ts).
  await expect(pageB.locator("#msg")).toBeEnabled();
  await expect(pageB.locator("#outbox-note")).toBeVisible();
  await expect(pageB.locator("#attach")).toBeDisabled();

  await say(pageA, during);

  await pageB.context().setOffline(false);
  await expect(pageB.locator("#status")).toHaveText("connected");
  await expect(pageB.locator("#outbox-note")).toBeHidden();
  // Rejoined automatically, with the missed message, in order, and nothing twice.
  await expect(messages(pageB).last()).toHaveText(during);
  await expect(messages(pageB).filter({ hasText: before })).toHaveCount(1);
  await expect(messages(pageB).filter({ hasText: during })).toHaveCount(1);
  await expect(messages(pageB).nth(-2)).toHaveText(before);
  await say(pageB, "back again");
  await expect(messages(pageA).last()).toHaveText("back again");
});

test("a reload keeps the session and the history", async ({ browser }) => {
  const page = await guestPage(browser, uniqueName("fer"));
  const text = uniqueName("remember me ");
  await say(page, text);
  await page.reload();
  await expect(page.locator("#status")).toHaveText("connected");
  await expect(messages(page).last()).toHaveText(text);
});

test("a reader of many rooms gets what each of them missed after an outage", async ({ browser }) => {
  // Twelve rooms (a guest may create three), each with one message before the outage.
  const creators = await Promise.all([0, 1, 2, 3].map(async () => programSocket(await guestToken(uniqueName("host")))));
  const rooms: string[] = [];
  try {
    for (const creator of creators) {
      for (let n = 0; n < 3; n++) {
        const room = uniqueName("busy");
        await ask(creator, REQ.CREATE_ROOM, { name: room });
        await ask(creator, REQ.JOIN, { room });
        await ask(creator, REQ.MESSAGE, { room, text: `before in ${room}` });
        rooms.push(room);
      }
    }
    // Bea follows all twelve: joined from a program with her browser's session, they are in
    // her list, and her page follows each as it is added.
    const bea = await guestPage(browser, uniqueName("bea"));
    const session = (await bea.context().cookies()).find((cookie) => cookie.name.endsWith("_session"));
    expect(session).toBeDefined();
    // Every note shown from here on is recorded (notes close themselves after a few seconds).
    await bea.evaluate(() => {
      const seen: string[] = ((window as any).notesSeen = []);
      new MutationObserver(() => {
        document.querySelectorAll(".toast").forEach((note) => seen.push(note.textContent ?? ""));
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    // Her browser's session, used by a program.
    const beaProgram = await programSocket(session!.value);
    for (const room of rooms) {
      await ask(beaProgram, REQ.JOIN, { room });
    }
    beaProgram.close();
    await expect(bea.locator("#joined .room-item")).toHaveCount(rooms.length + 1);
    // The first room will miss more than a join brings back (its latest 50): the rest is
    // read page by page.
    const busiest = rooms[0];
    for (const creator of creators.slice(1)) {
      await ask(creator, REQ.JOIN, { room: busiest });
    }

    // While she is offline, each room gets a message. Back online, her page joins every room
    // again at once (more rooms than a socket may have requests in progress): none may be
    // left without its missed message.
    await bea.context().setOffline(true);
    await expect(bea.locator("#status")).toHaveText("offline");
    const gap = Array.from({ length: 60 }, (_, n) => `gap ${n} in ${busiest}`);
    for (const [n, text] of gap.entries()) {
      await ask(creators[n % creators.length], REQ.MESSAGE, { room: busiest, text });
    }
    for (const [n, room] of rooms.entries()) {
      await ask(creators[Math.floor(n / 3)], REQ.MESSAGE, { room, text: `missed in ${room}` });
    }
    await bea.context().setOffline(false);
    await expect(bea.locator("#status")).toHaveText("connected");
    for (const room of rooms) {
      await bea.locator(`#joined .room-item[data-room="${room}"] .room-link`).click();
      await expect(bea.locator("#room-title")).toContainText(room);
      const missed = room === busiest ? [...gap, `missed in ${room}`] : [`missed in ${room}`];
      await expect(messages(bea)).toHaveText([`before in ${room}`, ...missed]);
    }
    expect(await bea.evaluate(() => (window as any).notesSeen)).toEqual([]);
    // And they are followed live again.
    await ask(creators[0], REQ.MESSAGE, { room: rooms[0], text: "live again" });
    await bea.locator(`#joined .room-item[data-room="${rooms[0]}"] .room-link`).click();
    await expect(messages(bea).last()).toHaveText("live again");
  } finally {
    creators.forEach((creator) => creator.close());
  }
});
