// Reference server for bin/bench: Node + ws, the broadcast loop from ws's own README.
const { WebSocketServer, WebSocket } = require("ws");

const wss = new WebSocketServer({ port: Number(process.env.PORT || 8080), path: "/ws" });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
});
