// Reference server for bin/bench --subprotocol chorus.v1: Bun doing the chat's JSON work. Each
// {"type":"send","text":…} is parsed; one {"type":"message",id,room,from,text,time} frame is built
// and published to everyone (uWebSockets' pub/sub), and {"type":"sent",id} goes to the sender.
let next = 0;
const server = Bun.serve({
  port: Number(process.env.PORT || 8080),
  fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname !== "/ws") return new Response("not found", { status: 404 });
    const protocol = req.headers.get("sec-websocket-protocol") === "chorus.v1" ? { "Sec-WebSocket-Protocol": "chorus.v1" } : undefined;
    if (srv.upgrade(req, { headers: protocol, data: { name: url.searchParams.get("name") || "guest" } })) return;
    return new Response("upgrade failed", { status: 400 });
  },
  websocket: {
    open(ws) {
      ws.subscribe("lobby");
    },
    message(ws, raw) {
      let frame;
      try {
        frame = JSON.parse(raw);
      } catch {
        return;
      }
      if (frame.type !== "send" || typeof frame.text !== "string") return;
      const id = String(++next);
      server.publish("lobby", JSON.stringify({ type: "message", id, room: "lobby", from: ws.data.name, text: frame.text, time: Date.now() }));
      ws.send(JSON.stringify({ type: "sent", id }));
    },
  },
});
