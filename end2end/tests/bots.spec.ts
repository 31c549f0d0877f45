import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { type AddressInfo } from "node:net";
import { type Browser, type Page } from "@playwright/test";
import { type Socket } from "socket.io-client";
import { test, expect, contract, createRoom, guestPage, memberPage, programSocket, say, uniqueName } from "./helpers";

// Bots (protocol v1.28) and their slash commands (v1.29): a person makes a bot in the account
// menu, a program signs in with its token (socket.io-client), registers a command answered by
// a small HTTP server here, and people use it from the message box.

const CHAT = contract.namespaces.CHAT;
const REQ = contract.requests[CHAT];

/** Opens the account menu's bots dialog. */
async function openBots(page: Page) {
  if ((await page.locator("#account").getAttribute("open")) === null) {
    await page.locator("#account summary").click();
  }
  await page.locator("#open-bots").click();
  const dialog = page.getByRole("dialog", { name: "Bots" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Bot name")).toBeFocused();
  return dialog;
}

/** Makes a bot named `name` in the dialog: its token. */
async function makeBot(page: Page, name: string): Promise<string> {
  const dialog = await openBots(page);
  await dialog.getByLabel("Bot name").fill(name);
  await dialog.getByRole("button", { name: "Create bot" }).click();
  const token = dialog.getByLabel("The bot's API token");
  await expect(token).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  await expect(dialog.locator(".webhook-list li", { hasText: name })).toBeVisible();
  return token.inputValue();
}

/** What the bot's program got: the call, and whether its signature was right. */
type Call = { body: any; signed: boolean };

/**
 * The bot's program: an HTTP server on 127.0.0.1 checking each call's signature with the
 * secret it is given later, answering `room …` into the room and anything else to the caller.
 */
async function program(): Promise<{ url: string; calls: Call[]; secret: { value: string }; server: Server }> {
  const calls: Call[] = [];
  const secret = { value: "" };
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const timestamp = String(req.headers["x-tertulia-timestamp"]);
    const expected = "v1=" + createHmac("sha256", secret.value).update(`${timestamp}.${raw}`).digest("hex");
    const body = JSON.parse(raw);
    calls.push({ body, signed: req.headers["x-tertulia-signature"] === expected });
    const answer = body.text.startsWith("room")
      ? { text: `Deploying ${body.text.slice(5)} for ${body.user.username} 🚀`, visibility: "room" }
      : { text: `Only you see this, ${body.user.username}: <b>${body.text}</b>` };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/command`, calls, secret, server };
}

/** The bot's program signs in with `token` and registers `/name` answered at `url`. */
async function botRegisters(token: string, name: string, url: string): Promise<{ socket: Socket; secret: string }> {
  const socket = await programSocket(token);
  const registered = await socket
    .timeout(5000)
    .emitWithAck(REQ.REGISTER_COMMAND, { name, description: "Deploys a branch", url });
  expect(registered.ok).toBe(true);
  return { socket, secret: registered.secret };
}

/** Types `line` in the message box and presses Enter. */
async function type(page: Page, line: string): Promise<void> {
  await page.locator("#msg").fill(line);
  await page.locator("#msg").press("Enter");
}

test("a bot made in the account menu answers its command, into the room or to the caller alone", async ({ browser }) => {
  const anaName = uniqueName("ana");
  const ana = await memberPage(browser, anaName);
  const room = uniqueName("deploys");
  await createRoom(ana, room);
  const bea = await guestPage(browser, uniqueName("bea"));
  await bea.goto(`/chat?room=${room}`);
  await expect(bea.locator("#room-title")).toContainText(room);
  // A guest has no bots.
  await bea.locator("#account summary").click();
  await expect(bea.locator("#open-bots")).toHaveCount(0);
  await bea.locator("#account summary").click();

  const botName = uniqueName("deployer");
  const token = await makeBot(ana, botName);
  await ana.keyboard.press("Escape");
  await expect(ana.getByRole("dialog")).toHaveCount(0);

  // Bea finds it in People, marked a bot (protocol v1.33).
  await bea.locator("#people-button").click();
  await bea.locator("#people-search").fill(botName);
  const row = bea.getByRole("dialog", { name: "People" }).locator(`li[data-user="${botName}"]`);
  await expect(row.locator(".bot-badge")).toHaveText("bot");
  await bea.keyboard.press("Escape");

  const site = await program();
  const command = uniqueName("deploy");
  const bot = await botRegisters(token, command, site.url);
  site.secret.value = bot.secret;
  try {
    // /help lists it with its bot.
    await type(ana, "/help");
    await expect(ana.locator(".toast")).toContainText(`/${command} (Deploys a branch · @${botName})`);

    // Into the room: both people see the bot's message, as a bot's; the box is empty again.
    await type(ana, `/${command} room main`);
    await expect(ana.locator("#msg")).toHaveValue("");
    for (const page of [ana, bea]) {
      const message = page.locator("#log .msg", { hasText: `Deploying main for ${anaName}` });
      await expect(message.locator(".author")).toHaveText(botName);
      await expect(message.locator(".bot-badge")).toHaveText("bot");
    }
    expect(site.calls[0].signed).toBe(true);
    expect(site.calls[0].body).toMatchObject({ command, text: "room main", room, user: { username: anaName } });

    // To the caller alone: ana reads it, as text; bea's next message is the one after it.
    await type(ana, `/${command} status`);
    await expect(ana.locator(".toast")).toContainText(`Only you see this, ${anaName}: <b>status</b>`);
    await say(ana, "after the private answer");
    await expect(bea.locator("#log .msg .text").last()).toHaveText("after the private answer");
    await expect(bea.locator("#log .msg", { hasText: "Only you see this" })).toHaveCount(0);

    // A typo is not sent: it stays in the box, with the list of commands.
    await type(ana, `/${command}x main`);
    await expect(ana.locator(".toast")).toContainText(`There is no /${command}x command`);
    await expect(ana.locator("#msg")).toHaveValue(`/${command}x main`);
    expect(site.calls.length).toBe(2);

    // A bot with a token takes direct messages: its name on its message opens its card, and
    // Message opens the conversation with it once the directory has it (a webhook's has none).
    const botLine = bea.locator("#log li.msg").filter({ hasText: `Deploying main for ${anaName}` });
    await botLine.getByRole("button", { name: botName }).click();
    const card = bea.getByRole("dialog", { name: `About ${botName}` });
    await expect(card.locator(".bot-badge")).toHaveText("bot");
    // Message comes once the directory answers; the keyboard stays where it started.
    await expect(card.getByRole("button", { name: "Message" })).toBeVisible();
    await expect(card.getByRole("button", { name: "Mention" })).toBeFocused();
    await card.getByRole("button", { name: "Message" }).click();
    await expect(bea.locator("#room-title")).toHaveText(`🔒 @${botName}`);

    // Deleting the bot: its program is cut off, and the command is gone for everyone.
    const dialog = await openBots(ana);
    const cutOff = new Promise((resolve) => bot.socket.once("disconnect", resolve));
    await dialog.getByRole("button", { name: `Delete the bot ${botName}` }).click();
    await dialog.getByRole("button", { name: `Really delete the bot ${botName}?` }).click();
    await expect(dialog.getByText("No bots yet.")).toBeVisible();
    await cutOff;
    await ana.keyboard.press("Escape");
    await type(bea, `/${command} room main`);
    await expect(bea.locator(".toast")).toContainText(`There is no /${command} command`);
  } finally {
    bot.socket.close();
    site.server.close();
  }
});

test("a new token cuts the old one off, and the dialog says so before it does", async ({ browser }) => {
  const ana = await memberPage(browser, uniqueName("ana"));
  const botName = uniqueName("helper");
  const first = await makeBot(ana, botName);
  const program = await programSocket(first);
  const cutOff = new Promise((resolve) => program.once("disconnect", resolve));
  const dialog = ana.getByRole("dialog", { name: "Bots" });
  await dialog.getByRole("button", { name: `New token for ${botName}` }).click();
  await dialog.getByRole("button", { name: `Really replace the token of ${botName}? The old one stops working` }).click();
  const token = dialog.getByLabel("The bot's API token");
  await expect(token).not.toHaveValue(first);
  await expect(token).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  await cutOff;
  await expect(programSocket(first)).rejects.toThrow();
  (await programSocket(await token.inputValue())).close();
});

/** A member's page in a new room of theirs, at this size and colour scheme. */
async function sizedMember(browser: Browser, name: string, room: string, viewport: { width: number; height: number }, colorScheme: "light" | "dark"): Promise<Page> {
  const page = await memberPage(browser, name);
  await createRoom(page, room);
  await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme });
  return page;
}

for (const [label, viewport] of [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]] as const) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`screenshot of the bots dialog and a bot's answer, ${label}, ${colorScheme}`, async ({ browser }) => {
      const ana = await sizedMember(browser, uniqueName("ana"), uniqueName("shots"), viewport, colorScheme);
      const botName = uniqueName("deployer");
      const token = await makeBot(ana, botName);
      await ana.screenshot({ path: `artifacts/bots-dialog-${label}-${colorScheme}.png` });
      await ana.keyboard.press("Escape");
      // The focus is back on the menu's Bots button; the menu closes like any.
      await expect(ana.locator("#open-bots")).toBeFocused();
      await ana.locator("#account summary").click();
      await expect(ana.locator("#open-bots")).toBeHidden();
      const site = await program();
      const command = uniqueName("deploy");
      const bot = await botRegisters(token, command, site.url);
      site.secret.value = bot.secret;
      try {
        await say(ana, "Shipping the release now");
        await type(ana, `/${command} room release-2.4`);
        await expect(ana.locator("#log .msg .bot-badge").last()).toBeVisible();
        await ana.screenshot({ path: `artifacts/bots-answer-${label}-${colorScheme}.png` });
      } finally {
        bot.socket.close();
        site.server.close();
      }
    });
  }
}
