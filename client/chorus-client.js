// Chorus's client library (docs/CLIENT.md): one chorus.v1 socket for every room a page follows,
// with exactly-once sending (a lasting client id and a ref per message), each room resumed after
// any break (`since`), an outbox kept across reloads, and sends paced under the limits the server
// announces. An ES module with no dependencies: the npm package `chorus-client`, and served by
// Chorus at /chorus-client.js for pages without a build step.

const PROTOCOL = "chorus.v1";
// Reconnect delays grow with full jitter, so a restarted server is not hit by every client at
// once, but stay short: a person is waiting.
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 3000;
// Browsers do not show WebSocket pings to pages: after this much silence the client asks with a
// JSON ping, and a pong that does not come within the deadline means the connection is dead.
const QUIET_MS = 10000;
const PONG_DEADLINE_MS = 5000;
const CONNECT_DEADLINE_MS = 10000; // from asking for a socket to its welcome
// A handshake not answered by then is tried again (the wait doubling with each try, up to the
// connect deadline): a lost SYN or a server that stopped accepting must not hold a return for
// 10 s. Once the socket is open the server is at work on it, and the connect deadline applies.
const HANDSHAKE_DEADLINE_MS = 3000;
const RETRY_MS = 1000; // after a refusal for rate or a server's passing trouble; doubles up to 8 s
const SPARE_FRAMES = 2; // of the socket's burst, left for pings, joins and typing
const MAX_SESSIONS = 100; // own sessions remembered, to know one's own messages
const TYPING_EVERY_MS = 2000; // the server relays one typing frame per 2 s and room

// Close codes (docs/PROTOCOL.md) after which the client stops until asked to connect again. (A
// 4005, replaced, is a duplicated tab that took this one's id before it took one of its own: it
// reconnects.)
const STOPS = { 4002: "disconnected" };
const ROOM_CLOSED = 4001;
const TOKEN_EXPIRED = 4003;
const NAME_TAKEN_BY_USER = 4009;
const RETRIED = new Set(["rate-limited", "unavailable", "unknown"]); // "unknown": it may have gone out; the same ref is safe

// A guest's generated name is not one a client may ask for: the server gives it again for the person.
const chosen = (name) => (/^guest-\d+$/.test(name ?? "") ? "" : name);
const randomId = () => Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36).padStart(7, "0")).join("");
const INTERNAL = Symbol("chorus");

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

// Ids are "epoch-offset": compared as pairs of integers.
export function isNewer(id, than) {
  if (than == null) return true;
  const [e1, s1] = id.split("-").map(Number);
  const [e2, s2] = than.split("-").map(Number);
  return e1 !== e2 ? e1 > e2 : s1 > s2;
}

/** A refusal the server gave as final, or a send's timeout: code is its error code (docs/PROTOCOL.md). */
export class ChorusError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ChorusError";
    this.code = code;
  }
}

// When a token expires (its `exp`, in ms), read without verifying: only to fetch the next in time.
function expiresAt(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" ? payload.exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}

class Emitter {
  #handlers = new Map();

  /** Calls handler for each event of that name; returns a function that stops it. */
  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
    return () => this.#handlers.get(event)?.delete(handler);
  }

  emit(event, value) {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        handler(value);
      } catch (e) {
        setTimeout(() => { throw e; }); // a page's handler failing must not stop the client
      }
    }
  }
}

// Presence as a whole list, whichever form the frame took: the list (a member's first), what
// changed since (joined, left), or a count alone (a room too big to list: members is null).
function present(members, frame) {
  if (frame.members) return frame.members;
  if (!frame.joined) return null;
  const same = (a) => (b) => a.name === b.name && a.user === b.user;
  const kept = (members ?? []).filter((m) => !frame.left.some(same(m)));
  return [...kept, ...frame.joined].sort((a, b) => {
    const folded = a.name.toLowerCase().localeCompare(b.name.toLowerCase());
    return folded !== 0 ? folded : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** One room the client follows, on the client's one socket. Made by `chorus.room(name)`. */
export class Room {
  #chorus;
  #events = new Emitter();
  #typedAt = 0;
  /** The newest message delivered here: where a reconnect resumes. */
  lastId = null;
  /** Who is here, as presence says ([{ name, user }]), or null before it says or in a room too big to list. */
  members = null;
  /** How many people are here, or null before the first welcome. */
  online = null;

  constructor(chorus, name) {
    this.#chorus = chorus;
    this.name = name;
  }

  on(event, handler) { return this.#events.on(event, handler); }

  /**
   * Sends a text here, exactly once however often the connection breaks: resolves with
   * { id, duplicate } once the server has it; rejects (a ChorusError) when the server refuses it
   * for good, or with code "timeout" after `timeout` ms (then it is withdrawn, and if it had gone
   * out it may still be delivered).
   */
  send(text, { timeout } = {}) { return this.#chorus[INTERNAL].send(this, text, timeout); }

  /** This room's messages not yet confirmed, oldest first: [{ ref, text, at, refused }] (refused: { code, message }, kept until discarded). */
  pending() { return this.#chorus[INTERNAL].pending(this.name); }

  /** Forgets a refused message of the outbox. */
  discard(ref) { this.#chorus[INTERNAL].discard(ref); }

  /** Says the person is typing here; call it on every keystroke, it goes out at most every 2 s. */
  typing() {
    if (Date.now() - this.#typedAt < TYPING_EVERY_MS) return;
    if (this.#chorus[INTERNAL].frame({ type: "typing", room: this.name })) this.#typedAt = Date.now();
  }

  /** Stops following this room; what waits unsent for it stays in the outbox for when it is joined again. */
  leave() { this.#chorus[INTERNAL].leave(this); }

  // From the client, for this room's frames.
  [INTERNAL](event, value) {
    if (event === "presence") {
      this.members = present(this.members, value);
      this.online = value.online;
      value = { ...value, members: this.members, names: this.members ? this.members.map((m) => m.name) : [] };
    } else if (event === "welcome") {
      this.online = value.online;
    }
    this.#events.emit(event, value);
  }
}

export class Chorus {
  #url;
  #token;
  #getToken;
  #storage;
  #key;
  #WebSocket;
  #sendTimeout;
  #saved; // { client, sessions, outbox: [{ ref, room, text, at, sent, refused }] }: sent, when it first went out
  #events = new Emitter();
  #waiters = new Map(); // ref → { resolve, reject, timer }, for sends made since this page loaded
  #rooms = new Map(); // name → Room, in the order joined
  #joined = new Set(); // the rooms welcomed on the current socket
  #resuming = new Map(); // room → whether its join on the current socket resumes
  #name;
  #shownName = null; // the name the server shows
  #fallbackName = null; // the name shown before a rename in flight
  #user = null;
  #session = null;
  #pace = null;
  #state = "stopped";
  #reason = null;
  #socket = null;
  #attempt = 0;
  #retryTimer = null;
  #comeBackAt = 0; // when a server that said goodbye asked to be reconnected to (ms)
  #inFlight = null; // the ref sent on this socket and not yet answered: one at a time keeps the order
  #frames = 0; // the pacing bucket
  #filledAt = 0;
  #paceTimer = null;
  #retryDelay = RETRY_MS;
  #lastHeard = 0;
  #openedAt = 0; // when the current socket was asked for
  #pingSent = 0;
  #heartbeat = null;
  #tabs = null;
  #listeners = [];
  #attempts = 0; // every connect, so one that waited for a token knows if another began meanwhile

  constructor({ url, token = null, getToken = null, name = "", storage, key = "chorus", WebSocket: Impl, sendTimeout } = {}) {
    this.#name = name;
    this.#url = url ?? `${globalThis.location?.protocol === "https:" ? "wss:" : "ws:"}//${globalThis.location?.host}/ws`;
    this.#token = token;
    this.#getToken = getToken;
    this.#storage = storage ?? globalThis.sessionStorage ?? memoryStorage();
    this.#key = key;
    this.#WebSocket = Impl ?? globalThis.WebSocket;
    this.#sendTimeout = sendTimeout;
    this.#saved = this.#load();
    this.#save();
  }

  /** connecting, open, reconnecting or stopped; `reason` says why it is not open (null while all is well). */
  get state() { return this.#state; }
  get reason() { return this.#reason; }
  /** The name the server shows for this client (after the welcome), else the one asked for. */
  get name() { return this.#shownName ?? this.#name; }
  /** The user id a token proved, or null. */
  get user() { return this.#user; }
  get client() { return this.#saved.client; }
  /** The limits the server announced: { maxBytes, rate, burst, addressRate, addressBurst }, or null before the first welcome. */
  get limits() { return this.#pace; }
  /** The rooms followed, in the order joined. */
  get rooms() { return [...this.#rooms.values()]; }
  /** Whether a message came from this client (any of its sessions). */
  isOwn(message) { return this.#saved.sessions.includes(message.session); }

  on(event, handler) { return this.#events.on(event, handler); }

  /** Opens the connection (and keeps it open) for the rooms followed; again after a stop, at once. */
  connect() {
    if (!this.#heartbeat) {
      this.#watchTabs();
      this.#listen("online", () => this.#reconnectNow());
      this.#listen("offline", () => this.#abandon("offline"));
      this.#heartbeat = setInterval(() => this.#beat(), 1000);
    }
    this.#attempt = 0;
    this.#setState("connecting");
    this.#drop("reconnecting");
    this.#connect();
  }

  /** The room of that name, followed from now on (joined on the open socket, or at the next connect). */
  room(name) {
    let room = this.#rooms.get(name);
    if (room) return room;
    room = new Room(this, name);
    this.#rooms.set(name, room);
    if (this.#state === "open") this.#join(room);
    else if (this.#heartbeat && !this.#socket && this.#state !== "stopped") this.#connect();
    return room;
  }

  /** Asks to be shown under another name in every room; an "error" event (bad-name, name-taken) says if refused. */
  rename(name) {
    // The server answers only a refusal: until one comes, the new name is taken as shown.
    this.#fallbackName = this.#shownName;
    this.#name = name;
    if (this.#state === "open") {
      this.#shownName = name;
      this.#socket.send(JSON.stringify({ type: "rename", name }));
    }
  }

  /** Closes for good (until connect()); the outbox stays for the next Chorus in this tab. */
  close() {
    clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#paceTimer);
    this.#paceTimer = null;
    for (const [target, type, listener] of this.#listeners) target.removeEventListener(type, listener);
    this.#listeners = [];
    this.#tabs?.close();
    this.#tabs = null;
    this.#drop("closed by the page");
    this.#setState("stopped", "closed");
  }

  // What a Room asks of its client.
  [INTERNAL] = {
    send: (room, text, timeout = this.#sendTimeout) => {
      if (typeof text !== "string" || !text.trim()) return Promise.reject(new ChorusError("bad-message", "a message needs some text"));
      const bytes = new TextEncoder().encode(text).length;
      if (this.#pace && bytes > this.#pace.maxBytes) {
        return Promise.reject(new ChorusError("too-long", `messages are at most ${this.#pace.maxBytes} bytes`));
      }
      const entry = { ref: randomId(), room: room.name, text, at: Date.now() };
      const promise = new Promise((resolve, reject) => {
        const timer = timeout > 0 ? setTimeout(() => this.#timedOut(entry.ref, timeout), timeout) : null;
        this.#waiters.set(entry.ref, { resolve, reject, timer });
      });
      this.#saved.outbox.push(entry);
      this.#save();
      this.#outboxChanged(room.name);
      this.#pump();
      return promise;
    },
    pending: (name) => this.#saved.outbox.filter((e) => e.room === name)
      .map(({ ref, text, at, refused }) => (refused ? { ref, text, at, refused } : { ref, text, at })),
    discard: (ref) => this.#remove(ref),
    frame: (frame) => {
      if (this.#state !== "open" || !this.#joined.has(frame.room)) return false;
      this.#socket.send(JSON.stringify(frame));
      return true;
    },
    leave: (room) => {
      if (this.#rooms.get(room.name) !== room) return;
      this.#rooms.delete(room.name);
      if (this.#joined.delete(room.name) && this.#state === "open") this.#socket.send(JSON.stringify({ type: "leave", room: room.name }));
    },
  };

  // ---- storage ----
  #load() {
    let saved;
    try {
      saved = JSON.parse(this.#storage.getItem(this.#key)) ?? {};
    } catch {
      saved = {};
    }
    if (typeof saved.client !== "string") saved.client = randomId();
    if (!Array.isArray(saved.sessions)) saved.sessions = [];
    if (!Array.isArray(saved.outbox)) saved.outbox = [];
    return saved;
  }

  #save() {
    this.#storage.setItem(this.#key, JSON.stringify(this.#saved));
  }

  // One id for every tab of this browser (the outbox's client id is one tab's): the server takes
  // them for one person, who keeps one name and counts once.
  #person() {
    try {
      const store = globalThis.localStorage;
      if (!store) return null;
      const key = `${this.#key}.person`;
      let person = store.getItem(key);
      if (!person) store.setItem(key, (person = randomId()));
      return person;
    } catch {
      return null; // storage refused: a person per tab
    }
  }

  // A duplicated tab copies sessionStorage, client id and outbox with it: the copy takes a new
  // id and leaves the outbox to the tab it was copied from.
  #watchTabs() {
    if (this.#storage !== globalThis.sessionStorage || !globalThis.BroadcastChannel) return;
    this.#tabs = new BroadcastChannel(`chorus.tabs.${this.#key}`);
    this.#tabs.onmessage = (event) => {
      if (event.data.hello === this.#saved.client) this.#tabs.postMessage({ taken: this.#saved.client });
      else if (event.data.taken === this.#saved.client) {
        this.#saved = { client: randomId(), sessions: [], outbox: [] };
        this.#save();
        for (const waiter of this.#waiters.values()) clearTimeout(waiter.timer);
        this.#waiters.clear();
        for (const name of this.#rooms.keys()) this.#outboxChanged(name);
        this.#reconnectNow(true);
      }
    };
    this.#tabs.postMessage({ hello: this.#saved.client });
  }

  #listen(type, listener) {
    if (!globalThis.addEventListener) return;
    globalThis.addEventListener(type, listener);
    this.#listeners.push([globalThis, type, listener]);
  }

  #setState(state, reason = null, message = null) {
    if (state === this.#state && reason === this.#reason) return;
    this.#state = state;
    this.#reason = reason;
    this.#events.emit("state", { state, reason, message });
  }

  // The outbox view: what waits, and (confirmed) the message that just left it as delivered.
  #outboxChanged(name, confirmed = null) {
    this.#rooms.get(name)?.[INTERNAL]("outbox", { entries: this[INTERNAL].pending(name), confirmed });
  }

  // ---- the connection ----
  async #connect() {
    const attempt = ++this.#attempts;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (!this.#heartbeat) return; // closed
    const first = this.#rooms.values().next().value;
    if (!first) { // nothing to follow yet: room() connects
      this.#setState(this.#attempt ? "reconnecting" : "connecting");
      return;
    }
    if (globalThis.navigator?.onLine === false) {
      this.#reconnectLater("offline"); // the browser's "online" event comes sooner
      return;
    }
    this.#setState(this.#attempt ? "reconnecting" : "connecting", this.#attempt ? this.#reason : null);
    let token = this.#token;
    if (this.#getToken && (!token || expiresAt(token) < Date.now() + 10000)) {
      try {
        token = this.#token = await this.#getToken();
      } catch (e) {
        this.#events.emit("error", { code: "token", message: `getToken failed: ${e?.message ?? e}` });
        this.#reconnectLater("token");
        return;
      }
      if (attempt !== this.#attempts || this.#state === "stopped") return; // begun again or closed meanwhile
    }
    const params = new URLSearchParams({ room: first.name, client: this.#saved.client });
    const person = this.#person();
    if (person) params.set("person", person);
    if (this.#name && !this.#user) params.set("name", this.#name);
    if (first.lastId !== null) params.set("since", first.lastId);
    const url = `${this.#url}?${params}`;
    const socket = new this.#WebSocket(url, token ? [PROTOCOL, `chorus.token.${token}`] : [PROTOCOL]);
    this.#socket = socket;
    this.#joined.clear();
    this.#openedAt = Date.now();
    // A first join has nothing to be missing from: a reset is shown only to a room that resumes.
    this.#resuming = new Map([[first.name, first.lastId !== null]]);
    let opened = false;
    socket.onopen = () => { opened = true; };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      const frame = Chorus.#read(event);
      if (!frame) return;
      this.#lastHeard = Date.now();
      this.#pingSent = 0; // anything heard answers what a ping asks
      this.#handle(frame);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#inFlight = null;
      this.#closed(event, opened, url, token);
    };
  }

  // Each room after the URL's joins on the welcomed socket, resuming after its last message.
  #join(room) {
    this.#resuming.set(room.name, room.lastId !== null);
    this.#socket.send(JSON.stringify(room.lastId !== null ? { type: "join", room: room.name, since: room.lastId } : { type: "join", room: room.name }));
  }

  static #read(event) {
    try {
      const frame = JSON.parse(event.data);
      return frame && typeof frame.type === "string" ? frame : null;
    } catch {
      return null; // not ours to read
    }
  }

  #handle(frame) {
    const room = frame.room === undefined ? null : this.#rooms.get(frame.room);
    switch (frame.type) {
      case "welcome":
        if (this.#joined.size === 0 && this.#state !== "open") this.#welcomed(frame);
        if (!room) { // left before its welcome came
          this.#socket.send(JSON.stringify({ type: "leave", room: frame.room }));
          break;
        }
        this.#joined.add(room.name);
        room[INTERNAL]("welcome", frame);
        if (this.#state === "open") this.#pump();
        break;
      case "message":
        if (!room || !isNewer(frame.id, room.lastId)) return; // delivered before a reconnect
        room.lastId = frame.id;
        room[INTERNAL]("message", { ...frame, own: this.isOwn(frame) });
        break;
      case "sent":
        this.#confirmed(frame);
        break;
      case "goodbye": // the server is going: come back when it says, not with everyone else at once
        this.#comeBackAt = Date.now() + Math.max(0, Math.min(60000, Number(frame.reconnectIn) || 0));
        break;
      case "presence":
      case "typing":
        room?.[INTERNAL](frame.type, frame);
        break;
      case "reset":
        if (room && this.#resuming.get(room.name)) room[INTERNAL]("reset", frame);
        break;
      case "left":
        // Without a code it answers a leave of ours: the room was let go of then, and may be
        // followed again since (its join is on the way).
        if (!room || frame.code === undefined) break;
        this.#joined.delete(room.name);
        this.#rooms.delete(room.name); // put out (a closed room): not joined again by itself
        room[INTERNAL]("left", frame);
        break;
      case "error":
        if (frame.ref) this.#refused(frame);
        else if (room && frame.code !== "name-taken") room[INTERNAL]("error", frame); // a join refused
        else this.#nameRefused(frame);
        break;
      default: // pong, and types a newer server may add
    }
  }

  // The socket's first welcome: who this client is, and the limits it sends under.
  #welcomed(frame) {
    this.#session = frame.session;
    this.#shownName = frame.name;
    this.#name = chosen(frame.name); // a generated name comes back with the person id
    this.#user = frame.user ?? null;
    this.#saved.sessions = [...this.#saved.sessions.slice(1 - MAX_SESSIONS), frame.session];
    this.#save();
    this.#pace = { maxBytes: frame.maxBytes, rate: frame.rate, burst: frame.burst, addressRate: frame.addressRate, addressBurst: frame.addressBurst };
    this.#frames = Math.max(1, Math.min(frame.burst ?? 1, frame.addressBurst ?? 1) - SPARE_FRAMES);
    this.#filledAt = Date.now();
    this.#attempt = 0;
    this.#retryDelay = RETRY_MS;
    this.#events.emit("welcome", frame);
    this.#setState("open");
    for (const other of this.#rooms.values()) if (other.name !== frame.room) this.#join(other);
  }

  #nameRefused(frame) {
    if (frame.code === "bad-name" || frame.code === "name-taken") { // nothing changed
      this.#shownName = this.#fallbackName ?? this.#shownName;
      this.#name = chosen(this.#shownName);
    }
    this.#events.emit("error", frame);
  }

  #closed(event, opened, url, token) {
    const stop = STOPS[event.code];
    const comeBackAt = this.#comeBackAt;
    this.#comeBackAt = 0;
    if (comeBackAt && !stop) { // a deploy: the moment the server gave, and afresh if that try fails
      this.#attempt = 0;
      this.#setState("reconnecting", "restarting");
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#connect(), Math.max(0, comeBackAt - Date.now()));
    } else if (stop) {
      this.#setState("stopped", stop, event.reason);
    } else if (event.code === ROOM_CLOSED) { // the socket's only room was closed: the others follow without it
      const closed = this.#rooms.values().next().value;
      this.#rooms.delete(closed?.name);
      closed?.[INTERNAL]("left", { type: "left", room: closed.name, code: event.code, reason: event.reason });
      if (this.#rooms.size) this.#connect();
      else this.#setState("stopped", "room-closed", event.reason);
    } else if (event.code === TOKEN_EXPIRED && this.#getToken) {
      this.#token = null; // the next connect fetches a fresh one and resumes with since
      this.#attempt = 0;
      this.#connect();
    } else if (event.code === TOKEN_EXPIRED) {
      this.#setState("stopped", "expired", event.reason);
    } else if (event.code === NAME_TAKEN_BY_USER) {
      this.#beGuest();
      this.#events.emit("error", { code: "name-taken", message: event.reason || "a verified user took this name" });
      this.#reconnectLater(null);
    } else if (!opened) {
      this.#reconnectLater(null);
      this.#ask(url, token);
    } else {
      this.#reconnectLater(null);
    }
  }

  // A refused upgrade looks like any failed connection to a page: ask the server why (it answers
  // with the CORS headers a page of another allowed origin needs).
  async #ask(url, token) {
    const check = url.replace(/^ws/, "http").replace(/\/ws\?/, "/check?");
    let verdict;
    try {
      const answer = await fetch(check, { method: "POST", body: token ?? "", cache: "no-store" });
      verdict = await answer.json();
    } catch {
      // Offline, or not a Chorus that can say; from a page of an origin the server does not allow,
      // the browser hides the answer too. The reconnect goes on, and says what it can.
      if (globalThis.location && !url.startsWith(`ws${globalThis.location.protocol.slice(4)}//${globalThis.location.host}/`)) {
        this.#setState("reconnecting", "unreachable", "the server did not answer, or does not allow this page's origin (ALLOWED_ORIGINS)");
      }
      return;
    }
    if (this.#socket || verdict.status === 200 || verdict.status === 503 || verdict.status === 429) {
      if (!this.#socket && verdict.status !== 200) this.#setState("reconnecting", verdict.status === 503 ? "unavailable" : "busy", verdict.reason);
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (verdict.status === 409) {
      this.#beGuest();
      this.#events.emit("error", { code: "name-taken", message: verdict.reason });
      this.#connect();
    } else if (verdict.status === 401 && this.#getToken && token) {
      this.#token = null;
      this.#reconnectLater("token");
    } else {
      this.#setState("stopped", verdict.banned ? "banned" : "refused", verdict.reason);
    }
  }

  // A name another person shows here cannot be had: the next welcome gives a guest's.
  #beGuest() {
    this.#name = "";
    this.#shownName = null;
    this.#fallbackName = null;
  }

  // The connection is gone: try again after a pause that grows, half of it jitter.
  #reconnectLater(reason) {
    this.#pingSent = 0;
    this.#attempt += 1;
    const offline = globalThis.navigator?.onLine === false;
    this.#setState("reconnecting", offline ? "offline" : reason);
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(this.#attempt, 10));
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  #reconnectNow(force = false) {
    if (!this.#heartbeat) return;
    if (!force && this.#state !== "reconnecting") return;
    this.#drop("reconnecting");
    this.#connect();
  }

  #drop(why) {
    const old = this.#socket;
    this.#socket = null;
    this.#inFlight = null; // what was sent on the old socket goes again, under its ref
    this.#joined.clear();
    old?.close(1000, why);
  }

  // A connection that cannot be working (no pong, or offline) is given up now: a dead TCP
  // connection would otherwise look open until the server's timeout.
  #abandon(reason) {
    if (!this.#socket) return;
    this.#drop("no answer");
    this.#reconnectLater(reason);
  }

  #beat() {
    if (!this.#socket) return;
    const now = Date.now();
    if (this.#state !== "open") { // a connection that hangs before its welcome is tried again
      const handshaking = this.#socket.readyState === 0; // CONNECTING
      const deadline = handshaking ? Math.min(CONNECT_DEADLINE_MS, HANDSHAKE_DEADLINE_MS * 2 ** this.#attempt) : CONNECT_DEADLINE_MS;
      if (now - this.#openedAt > deadline) this.#abandon("no-answer");
      return;
    }
    if (this.#pingSent && now - this.#pingSent > PONG_DEADLINE_MS) this.#abandon("no-answer");
    else if (!this.#pingSent && now - this.#lastHeard > QUIET_MS) {
      this.#pingSent = now;
      this.#socket.send(JSON.stringify({ type: "ping" }));
    }
  }

  // ---- the outbox: one message in flight at a time, paced under the announced limits ----
  #pump() {
    if (this.#state !== "open" || this.#inFlight || this.#paceTimer) return;
    const entry = this.#saved.outbox.find((e) => !e.refused && this.#joined.has(e.room));
    if (!entry) return;
    const rate = Math.min(this.#pace.rate, this.#pace.addressRate);
    const ceiling = Math.max(1, Math.min(this.#pace.burst, this.#pace.addressBurst) - SPARE_FRAMES);
    const now = Date.now();
    this.#frames = Math.min(ceiling, this.#frames + ((now - this.#filledAt) / 1000) * rate);
    this.#filledAt = now;
    if (this.#frames < 1) {
      this.#paceTimer = setTimeout(() => {
        this.#paceTimer = null;
        this.#pump();
      }, Math.ceil(((1 - this.#frames) / rate) * 1000));
      return;
    }
    this.#frames -= 1;
    this.#inFlight = entry.ref;
    // A resend says how long ago it was first sent: past the server's window it is refused
    // (ref-expired) rather than perhaps delivered twice, and the page lets the person decide.
    const resend = typeof entry.sent === "number";
    if (!resend) {
      entry.sent = Date.now();
      this.#save();
    }
    const age = resend ? Math.max(0, Date.now() - entry.sent) : undefined;
    this.#socket.send(JSON.stringify({ type: "send", room: entry.room, text: entry.text, ref: entry.ref, age }));
  }

  #remove(ref, confirmed = null) {
    const entry = this.#saved.outbox.find((e) => e.ref === ref);
    if (!entry) return null;
    this.#saved.outbox = this.#saved.outbox.filter((e) => e !== entry);
    this.#save();
    this.#outboxChanged(entry.room, confirmed);
    return entry;
  }

  #settle(ref, outcome, value) {
    const waiter = this.#waiters.get(ref);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.#waiters.delete(ref);
    waiter[outcome](value);
  }

  #confirmed(sent) {
    if (sent.ref === this.#inFlight) this.#inFlight = null;
    this.#remove(sent.ref, { ref: sent.ref, id: sent.id, duplicate: sent.duplicate });
    this.#retryDelay = RETRY_MS;
    this.#settle(sent.ref, "resolve", { id: sent.id, duplicate: sent.duplicate });
    this.#pump();
  }

  #refused(error) {
    if (error.ref === this.#inFlight) this.#inFlight = null;
    const entry = this.#saved.outbox.find((e) => e.ref === error.ref);
    if (!entry) return;
    if (RETRIED.has(error.code)) { // passing: the same message again, first in line, after a pause
      this.#paceTimer = setTimeout(() => {
        this.#paceTimer = null;
        this.#pump();
      }, this.#retryDelay);
      this.#retryDelay = Math.min(8 * RETRY_MS, this.#retryDelay * 2);
      return;
    }
    // Kept, marked, until the page discards it: a page that reloaded has no promise to hear it by.
    entry.refused = { code: error.code, message: error.message };
    this.#save();
    this.#outboxChanged(entry.room);
    this.#settle(error.ref, "reject", new ChorusError(error.code, error.message));
    this.#pump();
  }

  #timedOut(ref, timeout) {
    const entry = this.#remove(ref);
    if (!entry) return;
    if (ref === this.#inFlight) this.#inFlight = null; // its answer, if it comes, finds nothing to confirm
    const gone = typeof entry.sent === "number";
    this.#settle(ref, "reject", new ChorusError("timeout", gone
      ? `not confirmed within ${timeout} ms: it may or may not have been delivered`
      : `not sent within ${timeout} ms: it was not delivered`));
    this.#pump();
  }
}
