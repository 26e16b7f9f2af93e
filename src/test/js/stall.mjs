// Recipe 4 of #29, driven by StallTest: clients of the library on three instances (CHORUS_WS_LIST,
// the second behind a relay that StallTest freezes for 20 s, as a long GC pause would), each room
// at RATE messages a second, and a plain listener per room on the first instance. Prints "ready"
// once everyone is open and sending, then, after SEND_MS of sending and once every outbox is
// empty, one JSON line: per room, the texts sent and the texts heard.
import { Chorus } from "../../../client/chorus-client.js";

const urls = process.env.CHORUS_WS_LIST.split(",");
const rooms = Number(process.env.ROOMS);
const perRoom = Number(process.env.PER_ROOM);
const rate = Number(process.env.RATE);
const sendMs = Number(process.env.SEND_MS);

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
}
const until = async (condition, what, ms) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const names = Array.from({ length: rooms }, (_, i) => `stall-${process.pid}-${i}`);
const heard = names.map(() => []);
const ears = await Promise.all(names.map((room, i) => new Promise((resolve, reject) => {
  const socket = new WebSocket(`${urls[0]}?room=${room}&name=ear`);
  socket.onmessage = (e) => heard[i].push(e.data);
  socket.onopen = () => resolve(socket);
  socket.onerror = reject;
})));
const clients = [];
names.forEach((room, r) => {
  for (let c = 0; c < perRoom; c++) {
    const chorus = new Chorus({ url: urls[c % urls.length], name: `c${c}`, storage: memoryStorage() });
    clients.push({ room: r, chorus, followed: chorus.room(room), sent: 0 });
    chorus.connect();
  }
});
await until(() => clients.every((c) => c.chorus.state === "open"), "every client open", 20000);
const sent = names.map(() => []);
const every = (perRoom * 1000) / rate;
const timers = clients.map((client, i) => setInterval(() => {
  const text = `${names[client.room]}/${i}/${++client.sent}`;
  sent[client.room].push(text);
  client.followed.send(text).catch(() => {});
}, every));
console.log("ready");
await new Promise((r) => setTimeout(r, sendMs));
timers.forEach(clearInterval);
await until(() => clients.every((c) => c.chorus.state === "open" && c.followed.pending().length === 0), "every outbox empty", 60000);
await until(() => heard.every((h, i) => h.length >= sent[i].length), "every message heard", 10000).catch(() => {});
await new Promise((r) => setTimeout(r, 1000)); // a double would arrive by now
clients.forEach((c) => c.chorus.close());
ears.forEach((e) => e.close());
// Written out before exiting: a pipe takes a long line in several writes.
process.stdout.write(`${JSON.stringify(names.map((room, i) => ({ room, sent: sent[i], heard: heard[i] })))}\n`, () => process.exit(0));
