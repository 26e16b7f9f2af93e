// The rolling-deploy recipe's clients (DeployTest runs this): CLIENTS clients of the library on
// CHORUS_WS (a router in front of the instances), spread over ROOMS rooms, one sender per room
// sending a message every SEND_MS. Prints "ready" once every client is open; each line the test
// writes ("deploy <label>") marks when an instance was sent SIGTERM; "stop" ends the sending, and
// once every send is confirmed and heard, one JSON line sums it up: every return after a break
// (ms since the last mark) and, per room, whether every client heard every confirmed message
// exactly once and in order.
import { createInterface } from "node:readline";
import { Chorus } from "../../../client/chorus-client.js";

const URL = process.env.CHORUS_WS;
const CLIENTS = Number(process.env.CLIENTS ?? 1000);
const ROOMS = Number(process.env.ROOMS ?? 10);
const SEND_MS = Number(process.env.SEND_MS ?? 200);

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
}

let mark = Date.now();
let deploying = false;
const returns = []; // ms after the last SIGTERM at which a client was open again
const reasons = {}; // why clients were not open, and how often
const noticed = []; // ms after the last SIGTERM at which a client saw its socket end
const clients = [];
for (let i = 0; i < CLIENTS; i++) {
  const room = `deploy-${i % ROOMS}`;
  const chorus = new Chorus({ url: URL, name: `c${i}`, storage: memoryStorage() });
  const client = { chorus, room: chorus.room(room), heard: [], down: false };
  client.room.on("message", (m) => client.heard.push(m.text));
  chorus.on("state", ({ state, reason }) => {
    if (!deploying) return; // the first connects are not returns
    if (state === "open" && client.down) returns.push(Date.now() - mark);
    if (state !== "open" && !client.down) noticed.push(Date.now() - mark);
    if (state !== "open") reasons[reason ?? "broken"] = (reasons[reason ?? "broken"] ?? 0) + 1;
    client.down = state !== "open";
  });
  clients.push(client);
  chorus.connect();
}

const until = async (condition, ms) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return condition();
};

if (!(await until(() => clients.every((c) => c.chorus.state === "open"), 60000))) {
  console.log(JSON.stringify({ error: `${clients.filter((c) => c.chorus.state !== "open").length} clients never opened` }));
  process.exit(1);
}
console.log("ready");

const senders = clients.slice(0, ROOMS);
const confirmed = senders.map(() => []);
const sends = [];
let sending = true;
let n = 0;
const timer = setInterval(() => {
  if (!sending) return;
  n += 1;
  senders.forEach((s, r) => {
    const text = `${r}-${n}`;
    sends.push(s.room.send(text).then(() => confirmed[r].push(text), (e) => confirmed[r].push(`refused ${text}: ${e.code}`)));
  });
}, SEND_MS);

for await (const line of createInterface({ input: process.stdin })) {
  if (line.startsWith("deploy")) {
    mark = Date.now();
    deploying = true;
  }
  if (line === "stop") break;
}
sending = false;
clearInterval(timer);
await Promise.allSettled(sends);
const inOrder = (c) => {
  const sent = confirmed[Number(c.room.name.split("-")[1])];
  return c.heard.length === sent.length && c.heard.every((t, i) => t === sent[i]);
};
await until(() => clients.every(inOrder), 20000);
const wrong = clients.filter((c) => !inOrder(c));
console.log(JSON.stringify({
  returns: returns.sort((a, b) => a - b),
  reasons,
  noticed: noticed.sort((a, b) => a - b).filter((_, i, all) => i % Math.ceil(all.length / 10) === 0),
  confirmed: confirmed.reduce((a, c) => a + c.length, 0),
  refused: confirmed.flat().filter((t) => t.startsWith("refused")),
  wrong: wrong.slice(0, 5).map((c) => ({ room: c.room.name, heard: c.heard.length, sent: confirmed[Number(c.room.name.split("-")[1])].length,
    firstDifference: c.heard.findIndex((t, i) => t !== confirmed[Number(c.room.name.split("-")[1])][i]) })),
  wrongCount: wrong.length,
}));
clients.forEach((c) => c.chorus.close());
process.exit(0);
