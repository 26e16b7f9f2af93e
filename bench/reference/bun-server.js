// Reference server for bin/bench: Bun's built-in pub/sub (uWebSockets), every socket in one topic.
const server = Bun.serve({
  port: Number(process.env.PORT || 8080),
  fetch(req, srv) {
    if (new URL(req.url).pathname === "/ws" && srv.upgrade(req)) return;
    return new Response("not found", { status: 404 });
  },
  websocket: {
    open(ws) {
      ws.subscribe("all");
    },
    message(ws, message) {
      server.publish("all", message); // to every subscriber, the sender included
    },
  },
});
