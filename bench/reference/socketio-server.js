// Reference server for bin/bench: Socket.IO 4 doing the chat's JSON work, as its chat example
// does: each "send" event becomes one io.emit("message", {id, room, from, text, time}) to
// everyone, and a "sent" event {id} to the sender. WebSocket transport only; the bench's plain
// /ws URL is taken as Engine.IO's (the suite's clients speak Engine.IO packets to it).
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const http = createServer((req, res) => res.writeHead(404).end());
http.prependListener("upgrade", (req) => {
  if (req.url === "/ws" || req.url.startsWith("/ws?")) req.url = "/socket.io/?EIO=4&transport=websocket";
});
const io = new Server(http, { transports: ["websocket"], serveClient: false });
let next = 0;
io.on("connection", (socket) => {
  socket.on("send", (frame) => {
    if (typeof frame?.text !== "string") return;
    const id = String(++next);
    io.emit("message", { id, room: "lobby", from: "guest", text: frame.text, time: Date.now() });
    socket.emit("sent", { id });
  });
});
http.listen(Number(process.env.PORT || 8080));
