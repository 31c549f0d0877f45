// Group conversations (v1.20): ticked in People (or `/dm ana bea`), one private room for the
// same people, named on screen by the others, live for everyone in it (a browser and the
// standard JS client), and nobody else's.
import { type Socket } from "socket.io-client";
import { test, expect, contract, GENERAL, guestPage, guestToken, programSocket, say, sizedGuest, uniqueName } from "./helpers";

const CHAT = contract.namespaces.CHAT;
const REQ = contract.requests[CHAT];
const EVT = contract.events[CHAT];

function next<T = any>(socket: Socket, event: string, wanted: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T) => {
      if (wanted(value)) {
        socket.off(event, listener);
        resolve(value);
      }
    };
    socket.on(event, listener);
  });
}

test("three people start a group from People and talk in it; an outsider never sees it", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const cyName = uniqueName("cy");
  const ana = await guestPage(browser, anaName);
  const bea = await guestPage(browser, beaName);
  // Cy is a program on the standard client; Dan, an outsider, too.
  const cy = await programSocket(await guestToken(cyName));
  const dan = await programSocket(await guestToken(uniqueName("dan")));
  try {
    // Ana ticks Bea and Cy in the directory, across two searches.
    await ana.locator("#people-button").click();
    const dialog = ana.getByRole("dialog", { name: "People" });
    await ana.locator("#people-search").fill(beaName);
    await expect(dialog.locator("li.person")).toHaveCount(1);
    await dialog.getByRole("checkbox", { name: `Add ${beaName} to a group` }).check();
    await expect(dialog.locator("#start-group")).toBeDisabled();
    await expect(dialog.locator("#group-bar")).toContainText("Tick one more person");
    await ana.locator("#people-search").fill(cyName);
    await expect(dialog.locator("li.person")).toHaveCount(1);
    await dialog.getByRole("checkbox", { name: `Add ${cyName} to a group` }).check();
    await expect(dialog.locator("#group-bar .chip")).toHaveText([`${beaName}✕`, `${cyName}✕`]);
    await expect(dialog.locator("#start-group")).toHaveText("Start a group of 3");
    await ana.screenshot({ path: "artifacts/group-picking-1280-light.png" });
    await dialog.locator("#start-group").click();
    await expect(dialog).toHaveCount(0);
    await expect(ana.locator("#room-title")).toHaveText(`🔒 ${beaName}, ${cyName}`);
    await say(ana, "lunch at one?");

    // Bea finds it in her list, named by the other two, with the message; Cy's client gets it
    // live once it joins.
    const group = bea.locator("#joined li.room-item").filter({ hasText: `${anaName}, ${cyName}` });
    await expect(group).toHaveCount(1);
    await expect(group.locator(".room-name")).toHaveText(`${anaName}, ${cyName}`);
    await group.locator(".room-link").click();
    await expect(bea.locator("#room-title")).toHaveText(`🔒 ${anaName}, ${cyName}`);
    await expect(bea.locator("#log .msg .text").last()).toHaveText("lunch at one?");

    const saved = await cy.timeout(5000).emitWithAck(REQ.SAVED_ROOMS, {});
    const entry = saved.rooms.find((s: any) => s.room.dm_group?.includes(anaName));
    expect(entry.room.dm_group).toEqual([anaName, beaName]);
    const room: string = entry.room.name;
    const joined = await cy.timeout(5000).emitWithAck(REQ.JOIN, { room });
    expect(joined.ok).toBe(true);
    const heard = next<any>(cy, EVT.MESSAGE, (m) => m.room === room && m.text === "one works");
    await say(bea, "one works");
    expect((await heard).user.username).toBe(beaName);
    const fromCy = await cy.timeout(5000).emitWithAck(REQ.MESSAGE, { room, text: "see you there" });
    expect(fromCy.ok).toBe(true);
    await expect(ana.locator("#log .msg .text").last()).toHaveText("see you there");
    await expect(bea.locator("#log .msg .text").last()).toHaveText("see you there");
    await ana.screenshot({ path: "artifacts/group-conversation-1280-light.png" });

    // An outsider can neither join nor read it, and no one can invite more people in.
    const refused = await dan.timeout(5000).emitWithAck(REQ.JOIN, { room });
    expect(refused.error.code).toBe(contract.errors.NOT_FOUND);
    const invite = await cy.timeout(5000).emitWithAck(REQ.INVITE, { room, username: anaName });
    expect(invite.error.code).toBe(contract.errors.FORBIDDEN);
    await expect(ana.locator("#invite-name")).toHaveCount(0);

    // Bea leaves the group (not just hides it): asked first, gone from her list, and Ana's next
    // message does not bring it back.
    let asked = "";
    bea.once("dialog", (dialog) => {
      asked = dialog.message();
      dialog.accept();
    });
    await group.getByRole("button", { name: `Leave ${anaName}, ${cyName}` }).click();
    await expect(group).toHaveCount(0);
    expect(asked).toContain("Leave the group with");
    await say(ana, "bea left");
    await bea.reload();
    await expect(bea.locator("#status")).toHaveText("connected");
    await expect(bea.locator("#joined li.room-item").first()).toBeVisible();
    await expect(bea.locator("#joined li.room-item").filter({ hasText: cyName })).toHaveCount(0);
  } finally {
    cy.close();
    dan.close();
  }
});

test("/dm with several names opens the group; the same people find the same one", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const beaName = uniqueName("bea");
  const cyName = uniqueName("cy");
  await guestToken(beaName);
  await guestToken(cyName);
  const ana = await guestPage(browser, anaName);
  const box = ana.locator("#msg");
  await box.fill(`/dm @${cyName}, ${beaName}`);
  await box.press("Enter");
  await expect(ana.locator("#room-title")).toHaveText(`🔒 ${beaName}, ${cyName}`);
  await expect(box).toHaveValue("");
  await say(ana, "first");
  // Asked again with the names the other way round: the same room, with its message.
  await ana.locator(`#joined li[data-room="${GENERAL}"] .room-link`).click();
  await expect(ana.locator("#room-title")).toContainText(GENERAL);
  await box.fill(`/dm ${beaName} ${cyName}`);
  await box.press("Enter");
  await expect(ana.locator("#room-title")).toHaveText(`🔒 ${beaName}, ${cyName}`);
  await expect(ana.locator("#log .msg .text").last()).toHaveText("first");
  await expect(ana.locator("#joined li.room-item").filter({ hasText: `${beaName}, ${cyName}` })).toHaveCount(1);
});

for (const [width, height, scheme] of [
  [1280, 800, "dark"],
  [390, 844, "light"],
  [390, 844, "dark"],
] as const) {
  test(`screenshot of a group being picked and its conversation, ${width}px, ${scheme}`, async ({ browser }) => {
    const beaName = uniqueName("bea");
    const cyName = uniqueName("cy");
    await guestToken(beaName);
    await guestToken(cyName);
    const ana = await sizedGuest(browser, uniqueName("ana"), { width, height }, scheme);
    const phone = width < 600;
    if (phone) {
      await ana.locator("#open-rooms").click();
    }
    await ana.locator("#people-button").click();
    const dialog = ana.getByRole("dialog", { name: "People" });
    for (const name of [beaName, cyName]) {
      await ana.locator("#people-search").fill(name);
      await expect(dialog.locator("li.person")).toHaveCount(1);
      await dialog.getByRole("checkbox", { name: `Add ${name} to a group` }).check();
    }
    await expect(dialog.locator("#start-group")).toBeEnabled();
    await ana.mouse.move(0, 0);
    await ana.screenshot({ path: `artifacts/group-picking-${width}-${scheme}.png` });
    await dialog.locator("#start-group").click();
    await expect(ana.locator("#room-title")).toHaveText(`🔒 ${beaName}, ${cyName}`);
    await say(ana, "who is in for lunch?");
    await ana.mouse.move(0, 0);
    await ana.screenshot({ path: `artifacts/group-conversation-${width}-${scheme}.png` });
  });
}
