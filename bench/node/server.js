// The Node socket.io reference server for `loadgen`: the same /chat events as Tertulia
// (create_room, join, message, typing) with the same ack shapes, in memory, without authentication, storage,
// presence or limits.
const { createServer } = require("node:http");
const { Server } = require("socket.io");

// `--recovery`: Socket.IO's connection state recovery (a client that reconnects within two
// minutes gets the packets it missed and its rooms back), for the churn scenario.
const [host, port] = (process.argv[2] ?? "127.0.0.1:3400").split(":");
const recovery = process.argv.includes("--recovery");
const http = createServer();
const io = new Server(http, {
  transports: ["websocket", "polling"],
  serveClient: false,
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 } } : {}),
});
let nextId = 1;

io.of("/chat").on("connection", (socket) => {
  socket.on("join", ({ room }, ack) => {
    socket.join(room);
    ack?.({ ok: true, room: { name: room, topic: null, members: 0, private: false }, history: [], users: [] });
  });
  socket.on("create_room", ({ name }, ack) => ack?.({ ok: true, room: { name, topic: null, members: 0, private: false } }));
  socket.on("message", ({ room, text, client_id }, ack) => {
    const message = { id: nextId++, room, user: { id: 0, username: socket.id }, text, ts: Date.now(), client_id };
    io.of("/chat").to(room).emit("message", message);
    ack?.({ ok: true, message });
  });
  socket.on("typing", (typing) => socket.to(typing?.room).emit("typing", typing));
});

http.listen(Number(port), host, () => console.error(`reference socket.io server on ${host}:${port}`));
