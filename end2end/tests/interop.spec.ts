// The standard JavaScript client (socket.io-client 4) against our server, over websocket and
// over HTTP long-polling, without a browser.
import { expect, test } from "@playwright/test";
import { io, type Socket } from "socket.io-client";
import { baseURL } from "../playwright.config";
import { uniqueName } from "./helpers";

async function guestToken(name: string): Promise<string> {
  const response = await fetch(`${baseURL}/api/auth/guest`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name }),
  });
  expect(response.status).toBe(201);
  return (await response.json()).token;
}

function connect(token: string | undefined, transports: string[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(`${baseURL}/chat`, { auth: token ? { token } : {}, transports, reconnection: false });
    socket.on("connect", () => resolve(socket));
    socket.on("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

function next<T = any>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

for (const transports of [["websocket"], ["polling"]]) {
  test(`socket.io-client over ${transports[0]}: join, message, typing, history, errors`, async () => {
    const ana = await connect(await guestToken(uniqueName("jsana")), transports);
    const bea = await connect(await guestToken(uniqueName("jsbea")), transports);
    try {
      const joined = await ana.timeout(5000).emitWithAck("join", { room: "general" });
      expect(joined.ok).toBe(true);
      expect(joined.room.name).toBe("general");
      expect(Array.isArray(joined.history)).toBe(true);
      await bea.timeout(5000).emitWithAck("join", { room: "general" });

      const arrives = next(bea, "message");
      const sent = await ana.timeout(5000).emitWithAck("message", { room: "general", text: "from js" });
      expect(sent.ok).toBe(true);
      expect(await arrives).toEqual(sent.message);

      const typing = next(bea, "typing");
      ana.emit("typing", { room: "general", active: true });
      expect(await typing).toMatchObject({ room: "general", active: true });

      const history = await bea.timeout(5000).emitWithAck("history", { room: "general", limit: 1 });
      expect(history.messages.map((m: any) => m.text)).toEqual(["from js"]);

      const empty = await ana.timeout(5000).emitWithAck("message", { room: "general", text: "  " });
      expect(empty).toEqual({ ok: false, error: { code: "empty_message", message: expect.any(String) } });
      const errorEvent = next(ana, "error");
      ana.emit("leave", { room: 42 });
      expect((await errorEvent).code).toBe("bad_request");
    } finally {
      ana.close();
      bea.close();
    }
  });
}

test("socket.io-client without a token gets CONNECT_ERROR unauthorized", async () => {
  await expect(connect(undefined, ["websocket"])).rejects.toThrow("unauthorized");
  await expect(connect("not-a-token", ["polling"])).rejects.toThrow("unauthorized");
});
