// The client library (/chorus-client.js) against a real Chorus server, in Node: CHORUS_WS names
// the server's /ws (ClientLibraryTest starts it and runs this file).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SignJWT } from "jose";
import { Chorus, ChorusError } from "../../main/resources/public/chorus-client.js";

const URL = process.env.CHORUS_WS;
if (!URL) throw new Error("CHORUS_WS must name a Chorus server's /ws");
const SECRET = process.env.CHORUS_TOKEN_SECRET; // the server's TOKEN_SECRET

let rooms = 0;
const freshRoom = (what) => `${what}-${process.pid}-${++rooms}`;

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
}

// Sockets the tests can cut, as a network would: the library sees an unclean close.
function cuttable() {
  const open = [];
  class CutSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      open.push(this);
    }
  }
  // Node's WebSocket fires no close event for a socket closed while connecting (the library then
  // waits out its connect deadline): a socket still connecting is cut as soon as it opens.
  const cutOne = (s) => {
    if (s.readyState === WebSocket.CONNECTING) s.addEventListener("open", () => s.close(4000, "cut"));
    else s.close(4000, "cut");
  };
  return { WebSocket: CutSocket, cut: () => open.splice(0).forEach(cutOne) };
}

// Every text sent to a room, as a plain-mode client hears it.
async function listen(room) {
  const heard = [];
  const socket = new WebSocket(`${URL}?room=${room}&name=ear`);
  socket.onmessage = (e) => heard.push(e.data);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return { heard, close: () => socket.close() };
}

const until = async (condition, what, ms = 15000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const opened = (chorus) => until(() => chorus.state === "open", "open");

test("send resolves with the message's id once the server has it, and the room hears it once", async () => {
  const room = freshRoom("send");
  const ear = await listen(room);
  const chorus = new Chorus({ url: URL, room, name: "ann", storage: memoryStorage() });
  assert.equal(chorus.state, "connecting");
  const states = [];
  chorus.on("state", (s) => states.push(s.state));
  const messages = [];
  chorus.on("message", (m) => messages.push(m));
  const { id } = await chorus.send("hello");
  assert.match(id, /^\d+-\d+$/);
  await until(() => messages.length === 1, "its own message");
  assert.equal(messages[0].id, id);
  assert.equal(messages[0].own, true);
  // The listener's copy travels on its own socket: it may land a moment after the sender's.
  await until(() => ear.heard.length === 1, "the listener's copy");
  assert.deepEqual(ear.heard, ["hello"]);
  assert.deepEqual(states, ["open"]);
  assert.equal(chorus.limits.maxBytes, 16384);
  await assert.rejects(chorus.send("x".repeat(16385)), (e) => e instanceof ChorusError && e.code === "too-long");
  chorus.close();
  ear.close();
});

test("a cut connection resumes where it was: what was sent meanwhile arrives once, in order", async () => {
  const room = freshRoom("resume");
  const line = cuttable();
  const reader = new Chorus({ url: URL, room, name: "reader", storage: memoryStorage(), WebSocket: line.WebSocket });
  const writer = new Chorus({ url: URL, room, name: "writer", storage: memoryStorage() });
  const seen = [];
  reader.on("message", (m) => seen.push(m.text));
  await opened(reader);
  await writer.send("before");
  await until(() => seen.length === 1, "before");
  line.cut();
  for (const text of ["while away 1", "while away 2"]) await writer.send(text);
  await writer.send("after");
  await until(() => seen.length === 4, "everything");
  assert.deepEqual(seen, ["before", "while away 1", "while away 2", "after"]);
  reader.close();
  writer.close();
});

test("a room change with a message in flight loses and doubles nothing", async () => {
  const here = freshRoom("here");
  const there = freshRoom("there");
  const ear = await listen(here);
  const storage = memoryStorage();
  const chorus = new Chorus({ url: URL, room: here, name: "ann", storage });
  await opened(chorus);
  const sent = chorus.send("in flight");
  chorus.join(there);
  const { id } = await sent;
  assert.ok(id);
  await opened(chorus);
  chorus.join(here);
  await opened(chorus);
  await until(() => ear.heard.length >= 1, "the message");
  await new Promise((r) => setTimeout(r, 300)); // time for a second copy, if one were coming
  assert.deepEqual(ear.heard, ["in flight"]);
  assert.deepEqual(chorus.pending(), []);
  chorus.close();
  ear.close();
});

test("an outbox filled while the server could not be reached is sent, once and in order, after a reload", async () => {
  const room = freshRoom("reload");
  const ear = await listen(room);
  const storage = memoryStorage();
  class Unreachable { // a socket that never opens: the server is away
    constructor() {
      setTimeout(() => this.onclose?.({ code: 1006, reason: "" }), 10);
    }
    close() {}
    send() { throw new Error("not open"); }
  }
  const away = new Chorus({ url: URL, room, name: "ann", storage, WebSocket: Unreachable });
  for (let i = 1; i <= 30; i++) away.send(`typed ${i}`).catch(() => {});
  assert.equal(away.pending().length, 30);
  away.close(); // the tab reloads
  const back = new Chorus({ url: URL, room, name: "ann", storage });
  assert.equal(back.pending().length, 30);
  await until(() => back.pending().length === 0, "the outbox to empty");
  await until(() => ear.heard.length === 30, "all 30");
  assert.deepEqual(ear.heard, Array.from({ length: 30 }, (_, i) => `typed ${i + 1}`));
  back.close();
  ear.close();
});

test("a token that expires is replaced through getToken: the socket resumes and nothing is lost or doubled", async () => {
  const room = freshRoom("expiry");
  let minted = 0;
  const getToken = async () => {
    minted += 1;
    return new SignJWT({ name: "ann" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u-ann")
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2) // the server closes with 4003 at exp
      .sign(new TextEncoder().encode(SECRET));
  };
  const ann = new Chorus({ url: URL, room, getToken, storage: memoryStorage() });
  const writer = new Chorus({ url: URL, room, name: "writer", storage: memoryStorage() });
  const states = [];
  ann.on("state", (s) => states.push(s.state));
  const seen = [];
  ann.on("message", (m) => seen.push(m.text));
  await opened(ann);
  assert.equal(ann.user, "u-ann");
  const sent = [];
  for (let i = 1; i <= 6; i++) { // over about five seconds: past two expiries
    sent.push(`across ${i}`);
    await writer.send(`across ${i}`);
    await new Promise((r) => setTimeout(r, 800));
  }
  await until(() => seen.length >= sent.length, "every message");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen, sent);
  assert.ok(minted >= 3, `only ${minted} tokens fetched`);
  assert.ok(!states.includes("expired") && !states.includes("closed"), `states: ${states}`);
  assert.equal(ann.user, "u-ann");
  ann.close();
  writer.close();
});

// Random interleavings of send, cut, room change and reload: whatever happens, each room hears
// every message sent to it exactly once, in the order it was sent.
test("property: nothing lost, nothing doubled, order kept per room", async () => {
  const command = fc.oneof(
    { arbitrary: fc.constant({ kind: "send" }), weight: 5 },
    { arbitrary: fc.constant({ kind: "cut" }), weight: 2 },
    { arbitrary: fc.constantFrom({ kind: "join", to: 0 }, { kind: "join", to: 1 }), weight: 2 },
    { arbitrary: fc.constant({ kind: "reload" }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: "wait", ms })), weight: 2 },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
      const names = [freshRoom("p"), freshRoom("q")];
      const ears = await Promise.all(names.map(listen));
      const storage = memoryStorage();
      const line = cuttable();
      const make = (room) => new Chorus({ url: URL, room, name: "prop", storage, WebSocket: line.WebSocket });
      let chorus = make(names[0]);
      const sent = [[], []];
      let n = 0;
      for (const c of commands) {
        if (c.kind === "send") {
          const text = `m${++n}`;
          sent[names.indexOf(chorus.room)].push(text);
          chorus.send(text).catch(() => {});
        } else if (c.kind === "cut") line.cut();
        else if (c.kind === "join") chorus.join(names[c.to]);
        else if (c.kind === "reload") {
          const room = chorus.room;
          chorus.close();
          chorus = make(room);
        } else await new Promise((r) => setTimeout(r, c.ms));
      }
      // Visit each room until its outbox is empty, then let what is in flight land.
      for (const room of names) {
        chorus.join(room);
        await until(() => chorus.state === "open" && chorus.pending().length === 0, `room ${room}'s outbox`);
      }
      await until(() => ears.every((ear, i) => ear.heard.length >= sent[i].length), "every message");
      await new Promise((r) => setTimeout(r, 200)); // a double would arrive by now
      chorus.close();
      ears.forEach((ear) => ear.close());
      ears.forEach((ear, i) => assert.deepEqual(ear.heard, sent[i]));
    }),
    { numRuns: 10 },
  );
});
