// Reference server for bin/bench --subprotocol chorus.v1: Node + ws doing the chat's JSON work.
// Each {"type":"send","text":…} is parsed; one {"type":"message",id,room,from,text,time} frame is
// built once and sent to everyone, and {"type":"sent",id} goes to the sender.
const { WebSocketServer, WebSocket } = require("ws");

let next = 0;
const wss = new WebSocketServer({
  port: Number(process.env.PORT || 8080),
  path: "/ws",
  handleProtocols: (protocols) => (protocols.has("chorus.v1") ? "chorus.v1" : false),
});
wss.on("connection", (ws, req) => {
  const name = new URL(req.url, "http://localhost").searchParams.get("name") || "guest";
  ws.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type !== "send" || typeof frame.text !== "string") return;
    const id = String(++next);
    const message = JSON.stringify({ type: "message", id, room: "lobby", from: name, text: frame.text, time: Date.now() });
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(message);
    }
    ws.send(JSON.stringify({ type: "sent", id }));
  });
});
