// The client library (/chorus-client.js) against a real Chorus server, in Node: CHORUS_WS names
// the server's /ws (ClientLibraryTest starts it and runs this file).
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import fc from "fast-check";
import { SignJWT } from "jose";
import { Chorus, ChorusError } from "../../../client/chorus-client.js";

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
  // waits out its handshake deadline): a socket still connecting is cut as soon as it opens.
  const cutOne = (s) => {
    if (s.readyState === WebSocket.CONNECTING) s.addEventListener("open", () => s.close(4000, "cut"));
    else s.close(4000, "cut");
  };
  let opened = 0;
  class Counted extends CutSocket {
    constructor(...args) {
      super(...args);
      opened += 1;
    }
  }
  return { WebSocket: Counted, cut: () => open.splice(0).forEach(cutOne), opened: () => opened };
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

// A client following one room, connected: what most tests start from.
function follow(room, options) {
  const chorus = new Chorus({ url: URL, storage: memoryStorage(), ...options });
  const followed = chorus.room(room);
  chorus.connect();
  return { chorus, room: followed };
}

test("send resolves with the message's id once the server has it, and the room hears it once", async () => {
  const name = freshRoom("send");
  const ear = await listen(name);
  const chorus = new Chorus({ url: URL, name: "ann", storage: memoryStorage() });
  assert.equal(chorus.state, "stopped", "nothing happens before connect()");
  const states = [];
  chorus.on("state", (s) => states.push(s.state));
  const room = chorus.room(name);
  chorus.connect();
  const messages = [];
  room.on("message", (m) => messages.push(m));
  const { id } = await room.send("hello");
  assert.match(id, /^\d+-\d+$/);
  await until(() => messages.length === 1, "its own message");
  assert.equal(messages[0].id, id);
  assert.equal(messages[0].own, true);
  assert.equal(messages[0].room, name);
  // The listener's copy travels on its own socket: it may land a moment after the sender's.
  await until(() => ear.heard.length === 1, "the listener's copy");
  assert.deepEqual(ear.heard, ["hello"]);
  assert.deepEqual(states, ["connecting", "open"]);
  assert.equal(chorus.limits.maxBytes, 16384);
  await assert.rejects(room.send("x".repeat(16385)), (e) => e instanceof ChorusError && e.code === "too-long");
  chorus.close();
  assert.equal(chorus.state, "stopped");
  assert.equal(chorus.reason, "closed");
  ear.close();
});

test("one socket follows three rooms: each hears its own messages once, and resumes on its own after a cut", async () => {
  const names = [freshRoom("a"), freshRoom("b"), freshRoom("c")];
  const line = cuttable();
  const reader = new Chorus({ url: URL, name: "reader", storage: memoryStorage(), WebSocket: line.WebSocket });
  const seen = new Map(names.map((n) => [n, []]));
  for (const n of names) reader.room(n).on("message", (m) => seen.get(m.room).push(m.text));
  reader.connect();
  const writer = new Chorus({ url: URL, name: "writer", storage: memoryStorage() });
  const rooms = names.map((n) => writer.room(n));
  writer.connect();
  await until(() => reader.rooms.every((r) => r.online !== null), "every room's welcome");
  for (const r of rooms) await r.send(`${r.name} before`);
  await until(() => names.every((n) => seen.get(n).length === 1), "before");
  line.cut();
  for (const r of rooms) await r.send(`${r.name} while away`);
  await until(() => names.every((n) => seen.get(n).length === 2), "everything");
  await new Promise((r) => setTimeout(r, 200)); // a double would arrive by now
  for (const n of names) assert.deepEqual(seen.get(n), [`${n} before`, `${n} while away`]);
  assert.equal(line.opened(), 2, "one socket, and one after the cut");
  reader.close();
  writer.close();
});

test("a room left with a message in flight loses and doubles nothing, and its waiting messages go when it is followed again", async () => {
  const here = freshRoom("here");
  const ear = await listen(here);
  const storage = memoryStorage();
  const chorus = new Chorus({ url: URL, name: "ann", storage });
  const room = chorus.room(here);
  chorus.room(freshRoom("stay"));
  chorus.connect();
  await opened(chorus);
  await until(() => room.online !== null, "the welcome");
  const sent = room.send("in flight");
  room.leave();
  const { id } = await sent;
  assert.ok(id);
  const later = room.send("later").catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(ear.heard, ["in flight"], "a room not followed sends nothing");
  assert.deepEqual(room.pending().map((e) => e.text), ["later"]);
  const again = chorus.room(here);
  await later;
  await until(() => ear.heard.length >= 2, "the waiting message");
  await new Promise((r) => setTimeout(r, 300)); // time for a second copy, if one were coming
  assert.deepEqual(ear.heard, ["in flight", "later"]);
  assert.deepEqual(again.pending(), []);
  chorus.close();
  ear.close();
});

test("a room left and followed again at once gets its message through (the answer to the leave is not a put-out)", async () => {
  const name = freshRoom("again");
  const ear = await listen(name);
  const chorus = new Chorus({ url: URL, name: "ann", storage: memoryStorage() });
  const room = chorus.room(name);
  chorus.connect();
  await until(() => room.online !== null, "the welcome");
  room.leave();
  const again = chorus.room(name);
  await again.send("after coming back");
  await until(() => ear.heard.length === 1, "the message");
  assert.deepEqual(ear.heard, ["after coming back"]);
  assert.ok(chorus.rooms.includes(again), "still followed");
  chorus.close();
  ear.close();
});

test("an outbox filled while the server could not be reached is sent, once and in order, after a reload", async () => {
  const name = freshRoom("reload");
  const ear = await listen(name);
  const storage = memoryStorage();
  class Unreachable { // a socket that never opens: the server is away
    constructor() {
      setTimeout(() => this.onclose?.({ code: 1006, reason: "" }), 10);
    }
    close() {}
    send() { throw new Error("not open"); }
  }
  const away = new Chorus({ url: URL, name: "ann", storage, WebSocket: Unreachable });
  const room = away.room(name);
  away.connect();
  for (let i = 1; i <= 30; i++) room.send(`typed ${i}`).catch(() => {});
  assert.equal(room.pending().length, 30);
  away.close(); // the tab reloads
  const back = new Chorus({ url: URL, name: "ann", storage });
  const again = back.room(name);
  assert.equal(again.pending().length, 30);
  back.connect();
  await until(() => again.pending().length === 0, "the outbox to empty");
  await until(() => ear.heard.length === 30, "all 30");
  assert.deepEqual(ear.heard, Array.from({ length: 30 }, (_, i) => `typed ${i + 1}`));
  back.close();
  ear.close();
});

test("a connection whose handshake is never answered is tried again within seconds, not after the whole connect deadline", async () => {
  // A server that takes the TCP connection and never answers the upgrade: a dyno that stopped
  // accepting, or a lost response. The first socket goes there, the next ones to the real server.
  const hole = net.createServer(() => {});
  await new Promise((resolve) => hole.listen(0, "127.0.0.1", resolve));
  let made = 0;
  class FirstHangs extends WebSocket {
    constructor(url, protocols) {
      super(made++ === 0 ? `ws://127.0.0.1:${hole.address().port}/ws` : url, protocols);
    }
  }
  const started = Date.now();
  const { chorus } = follow(freshRoom("hangs"), { WebSocket: FirstHangs });
  await until(() => chorus.state === "open", "open", 15000);
  const took = Date.now() - started;
  assert.equal(made, 2, "one hung try, then one that worked");
  assert.ok(took < 7000, `open after ${took} ms: the hung handshake held the return for the whole connect deadline`);
  chorus.close();
  hole.close();
});

test("a send with a timeout that the server never answers is withdrawn and rejected as timeout", async () => {
  class Silent { // opens, and never hears back
    constructor() {
      setTimeout(() => this.onopen?.(), 5);
    }
    close() {}
    send() {}
  }
  const chorus = new Chorus({ url: URL, storage: memoryStorage(), WebSocket: Silent, sendTimeout: 300 });
  const room = chorus.room(freshRoom("timeout"));
  chorus.connect();
  await assert.rejects(room.send("never confirmed"), (e) => e instanceof ChorusError && e.code === "timeout");
  assert.deepEqual(room.pending(), []);
  chorus.close();
});

test("a token that expires is replaced through getToken: the socket resumes and nothing is lost or doubled", async () => {
  const name = freshRoom("expiry");
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
  const ann = follow(name, { getToken });
  const writer = follow(name, { name: "writer" });
  const states = [];
  ann.chorus.on("state", (s) => states.push(s.state));
  const seen = [];
  ann.room.on("message", (m) => seen.push(m.text));
  await opened(ann.chorus);
  assert.equal(ann.chorus.user, "u-ann");
  const sent = [];
  for (let i = 1; i <= 6; i++) { // over about five seconds: past two expiries
    sent.push(`across ${i}`);
    await writer.room.send(`across ${i}`);
    await new Promise((r) => setTimeout(r, 800));
  }
  await until(() => seen.length >= sent.length, "every message");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen, sent);
  assert.ok(minted >= 3, `only ${minted} tokens fetched`);
  assert.ok(!states.includes("stopped"), `states: ${states}`);
  assert.equal(ann.chorus.user, "u-ann");
  ann.chorus.close();
  writer.chorus.close();
});

// Random interleavings of sends to two rooms, cuts, leaving and following again, and reloads:
// whatever happens, each room hears every message sent to it exactly once, in the order sent.
test("property: nothing lost, nothing doubled, order kept per room", async () => {
  const command = fc.oneof(
    { arbitrary: fc.constantFrom({ kind: "send", to: 0 }, { kind: "send", to: 1 }), weight: 5 },
    { arbitrary: fc.constant({ kind: "cut" }), weight: 2 },
    { arbitrary: fc.constantFrom({ kind: "leave", to: 0 }, { kind: "leave", to: 1 }), weight: 1 },
    { arbitrary: fc.constantFrom({ kind: "follow", to: 0 }, { kind: "follow", to: 1 }), weight: 1 },
    { arbitrary: fc.constant({ kind: "reload" }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: "wait", ms })), weight: 2 },
  );
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
      const names = [freshRoom("p"), freshRoom("q")];
      const ears = await Promise.all(names.map(listen));
      const storage = memoryStorage();
      const line = cuttable();
      const make = () => {
        const c = new Chorus({ url: URL, name: "prop", storage, WebSocket: line.WebSocket });
        c.room(names[0]);
        c.connect();
        return c;
      };
      let chorus = make();
      const sent = [[], []];
      let n = 0;
      for (const c of commands) {
        if (c.kind === "send") {
          const text = `m${++n}`;
          sent[c.to].push(text);
          chorus.room(names[c.to]).send(text).catch(() => {});
        } else if (c.kind === "cut") line.cut();
        else if (c.kind === "leave") chorus.rooms.find((r) => r.name === names[c.to])?.leave();
        else if (c.kind === "follow") chorus.room(names[c.to]);
        else if (c.kind === "reload") {
          chorus.close();
          chorus = make();
        } else await new Promise((r) => setTimeout(r, c.ms));
      }
      // Follow both rooms until the outbox is empty, then let what is in flight land.
      const rooms = names.map((name) => chorus.room(name));
      await until(() => chorus.state === "open" && rooms.every((r) => r.pending().length === 0), "the outbox");
      await until(() => ears.every((ear, i) => ear.heard.length >= sent[i].length), "every message");
      await new Promise((r) => setTimeout(r, 200)); // a double would arrive by now
      chorus.close();
      ears.forEach((ear) => ear.close());
      ears.forEach((ear, i) => assert.deepEqual(ear.heard, sent[i]));
    }),
    { numRuns: 10 },
  );
});
