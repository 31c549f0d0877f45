// The standard JavaScript client (socket.io-client 4) against our server, over websocket and
// over HTTP long-polling, without a browser. Every name comes from the contract.
import { type Socket } from "socket.io-client";
import { test, expect, contract, GENERAL, guestToken, programSocket, serverURL, uniqueName } from "./helpers";

const CHAT = contract.namespaces.CHAT;
const REQ = contract.requests[CHAT];
const EVT = contract.events[CHAT];
const ERR = contract.errors;

function next<T = any>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, resolve));
}

for (const transports of [["websocket"], ["polling"]]) {
  test(`socket.io-client over ${transports[0]}: join, message, typing, history, errors`, async () => {
    const ana = await programSocket(await guestToken(uniqueName("jsana")), transports);
    const bea = await programSocket(await guestToken(uniqueName("jsbea")), transports);
    try {
      const joined = await ana.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });
      expect(joined.ok).toBe(true);
      expect(joined.room.name).toBe(GENERAL);
      expect(Array.isArray(joined.history)).toBe(true);
      await bea.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });

      const arrives = next(bea, EVT.MESSAGE);
      const sent = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "from js" });
      expect(sent.ok).toBe(true);
      expect(await arrives).toEqual(sent.message);

      const typing = next(bea, EVT.TYPING);
      ana.emit(REQ.TYPING, { room: GENERAL, active: true });
      expect(await typing).toMatchObject({ room: GENERAL, active: true });

      const history = await bea.timeout(5000).emitWithAck(REQ.HISTORY, { room: GENERAL, limit: 1 });
      expect(history.messages.map((m: any) => m.text)).toEqual(["from js"]);

      const empty = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "  " });
      expect(empty).toEqual({ ok: false, error: { code: ERR.EMPTY_MESSAGE, message: expect.any(String) } });
      const control = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "bell\u0007" });
      expect(control.error.code).toBe(ERR.BAD_REQUEST);
      const errorEvent = next(ana, contract.error_event);
      ana.emit(REQ.LEAVE, { room: 42 });
      expect((await errorEvent).code).toBe(ERR.BAD_REQUEST);

      // The full presence list is a request away (rooms too big for `members` broadcasts).
      const present = await bea.timeout(5000).emitWithAck(REQ.MEMBERS, { room: GENERAL });
      expect(present.ok).toBe(true);
      expect(present.total).toBeGreaterThanOrEqual(2);
    } finally {
      ana.close();
      bea.close();
    }
  });
}

test("socket.io-client edits, reacts, replies and deletes (contract v1.3)", async () => {
  const ana = await programSocket(await guestToken(uniqueName("jsana")), ["websocket"]);
  const bea = await programSocket(await guestToken(uniqueName("jsbea")), ["websocket"]);
  try {
    await ana.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });
    await bea.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });
    const sent = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "js v1" });

    const edited = next(bea, EVT.MESSAGE_EDITED);
    const edit = await ana.timeout(5000).emitWithAck(REQ.EDIT, { id: sent.message.id, text: "js v2" });
    expect(edit.ok).toBe(true);
    expect(await edited).toMatchObject({ id: sent.message.id, text: "js v2", edited_ts: expect.any(Number) });
    const theirs = await bea.timeout(5000).emitWithAck(REQ.EDIT, { id: sent.message.id, text: "mine now" });
    expect(theirs.error.code).toBe(ERR.FORBIDDEN);

    const reacted = next(ana, EVT.REACTION);
    expect((await bea.timeout(5000).emitWithAck(REQ.REACT, { id: sent.message.id, emoji: "👍", active: true })).ok).toBe(true);
    expect(await reacted).toMatchObject({ room: GENERAL, id: sent.message.id, emoji: "👍", active: true });

    const reply = await bea.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "re", reply_to: sent.message.id });
    expect(reply.message.reply_to).toMatchObject({ id: sent.message.id, excerpt: "js v2" });

    const deleted = next(bea, EVT.MESSAGE_DELETED);
    expect((await ana.timeout(5000).emitWithAck(REQ.DELETE, { id: sent.message.id })).ok).toBe(true);
    expect(await deleted).toEqual({ room: GENERAL, id: sent.message.id });
    const changes = await bea.timeout(5000).emitWithAck(REQ.CHANGES, { room: GENERAL, since: sent.message.ts - 1 });
    expect(changes.messages.find((m: any) => m.id === sent.message.id)).toMatchObject({ deleted: true, text: "" });
  } finally {
    ana.close();
    bea.close();
  }
});

test("a program uploads with fetch and sends files with socket.io-client (contract v1.4)", async () => {
  const anaToken = await guestToken(uniqueName("jsana"));
  const beaToken = await guestToken(uniqueName("jsbea"));
  const ana = await programSocket(anaToken, ["websocket"]);
  const bea = await programSocket(beaToken, ["websocket"]);
  try {
    await ana.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });
    await bea.timeout(5000).emitWithAck(REQ.JOIN, { room: GENERAL });
    const form = new FormData();
    form.append(contract.upload_fields.ROOM, GENERAL);
    form.append(contract.upload_fields.FILE, new Blob(["a,b\n1,2\n"]), "table.csv");
    const uploaded = await fetch(`${serverURL()}${contract.links.FILES}`, {
      method: "POST",
      headers: { authorization: `Bearer ${anaToken}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const file = await uploaded.json();
    expect(file).toMatchObject({ name: "table.csv", size: 8, content_type: "text/plain; charset=utf-8" });

    const arrives = next(bea, EVT.MESSAGE);
    const sent = await ana.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "", attachments: [file.id] });
    expect(sent.ok).toBe(true);
    expect((await arrives).attachments).toEqual([file]);
    const download = await fetch(`${serverURL()}${file.url}`, { headers: { authorization: `Bearer ${beaToken}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await download.text()).toBe("a,b\n1,2\n");

    // Someone else's upload cannot be sent.
    const stolen = await bea.timeout(5000).emitWithAck(REQ.MESSAGE, { room: GENERAL, text: "mine", attachments: [file.id] });
    expect(stolen.error.code).toBe(ERR.BAD_REQUEST);
    // Nobody but the room's creator or an admin sets a topic.
    const topic = await bea.timeout(5000).emitWithAck(REQ.SET_TOPIC, { room: GENERAL, topic: "hijacked" });
    expect(topic.error.code).toBe(ERR.FORBIDDEN);
  } finally {
    ana.close();
    bea.close();
  }
});

test("socket.io-client without a token gets CONNECT_ERROR unauthorized", async () => {
  await expect(programSocket(undefined, ["websocket"])).rejects.toThrow(contract.refusals.UNAUTHORIZED);
  await expect(programSocket("not-a-token", ["polling"])).rejects.toThrow(contract.refusals.UNAUTHORIZED);
});
