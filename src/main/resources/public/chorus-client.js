// Chorus's client library (docs/CLIENT.md): one chorus.v1 socket to one room at a time, with
// exactly-once sending (a lasting client id and a ref per message), resume after any break
// (`since`), an outbox kept across reloads, and sends paced under the limits the server
// announces. An ES module with no dependencies, served by Chorus at /chorus-client.js.

const PROTOCOL = "chorus.v1";
// Reconnect delays grow and carry jitter, so a restarted server is not hit by every client at
// once, but stay short: a person is waiting.
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 3000;
// Browsers do not show WebSocket pings to pages: after this much silence the client asks with a
// JSON ping, and a pong that does not come within the deadline means the connection is dead.
const QUIET_MS = 10000;
const PONG_DEADLINE_MS = 5000;
const CONNECT_DEADLINE_MS = 10000;
const RETIRE_MS = 5000; // how long a room's old socket waits for the answer to what was sent on it
const RETRY_MS = 1000; // after a refusal for rate or a server's passing trouble; doubles up to 8 s
const SPARE_FRAMES = 2; // of the socket's burst, left for pings and renames
const MAX_SESSIONS = 100; // own sessions remembered, to know one's own messages

// Close codes (docs/PROTOCOL.md) after which the client waits to be asked to reconnect.
const STOPS = { 4001: "closed", 4002: "disconnected" };
const TOKEN_EXPIRED = 4003;
const NAME_TAKEN_BY_USER = 4009;
const RETRIED = new Set(["rate-limited", "unavailable", "unknown"]); // "unknown": it may have gone out; the same ref is safe

// A guest's generated name is not one a client may ask for: the server gives it again for the client id.
const chosen = (name) => (/^guest-\d+$/.test(name ?? "") ? "" : name);
const randomId = () => Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36).padStart(7, "0")).join("");

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

// Ids are "epoch-seq": compared as pairs of integers.
export function isNewer(id, than) {
  if (than == null) return true;
  const [e1, s1] = id.split("-").map(Number);
  const [e2, s2] = than.split("-").map(Number);
  return e1 !== e2 ? e1 > e2 : s1 > s2;
}

/** A refusal the server gave as final: code is its error code (docs/PROTOCOL.md). */
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

export class Chorus {
  #url;
  #token;
  #getToken;
  #storage;
  #key;
  #WebSocket;
  #saved; // { client, sessions, outbox: [{ ref, room, text, at, sent }] }: sent, when it first went out
  #handlers = new Map();
  #waiters = new Map(); // ref → { resolve, reject }, for sends made since this page loaded
  #room;
  #name;
  #shownName = null; // the name the server shows
  #fallbackName = null; // the name shown before a rename in flight
  #user = null;
  #members = null; // who is in the room, as presence frames so far say
  #session = null;
  #pace = null;
  #state = "connecting";
  #socket = null;
  #attempt = 0;
  #retryTimer = null;
  #lastId = null; // the newest message delivered in this room: the resume point
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
  #started = false;
  #attempts = 0; // every connect, so one that waited for a token knows if another began meanwhile

  constructor({ room = "main", name = "", url, token = null, getToken = null, storage, key = "chorus", WebSocket: Impl } = {}) {
    this.#room = room;
    this.#name = name;
    this.#url = url ?? `${globalThis.location?.protocol === "https:" ? "wss:" : "ws:"}//${globalThis.location?.host}/ws`;
    this.#token = token;
    this.#getToken = getToken;
    this.#storage = storage ?? globalThis.sessionStorage ?? memoryStorage();
    this.#key = key;
    this.#WebSocket = Impl ?? globalThis.WebSocket;
    this.#saved = this.#load();
    this.#save();
    this.#watchTabs();
    this.#listen("online", () => this.#reconnectNow());
    this.#listen("offline", () => this.#abandon("offline"));
    this.#heartbeat = setInterval(() => this.#beat(), 1000);
    queueMicrotask(() => {
      if (!this.#started) this.#connect(); // unless join() came first
    });
  }

  get state() { return this.#state; }
  get room() { return this.#room; }
  /** The name the server shows for this client (after the welcome), else the one asked for. */
  get name() { return this.#shownName ?? this.#name; }
  /** The user id a token proved, or null. */
  get user() { return this.#user; }
  get client() { return this.#saved.client; }
  /** The limits the server announced: { maxBytes, rate, burst, addressRate, addressBurst }, or null before the first welcome. */
  get limits() { return this.#pace; }
  /** Whether a message came from this client (any of its sessions). */
  isOwn(message) { return this.#saved.sessions.includes(message.session); }

  /** This room's messages not yet confirmed, oldest first: [{ ref, text, at }]. */
  pending() {
    return this.#saved.outbox.filter((e) => e.room === this.#room).map(({ ref, text, at }) => ({ ref, text, at }));
  }

  /** Calls handler for each event of that name; returns a function that stops it. */
  on(event, handler) {
    if (!this.#handlers.has(event)) this.#handlers.set(event, new Set());
    this.#handlers.get(event).add(handler);
    return () => this.#handlers.get(event)?.delete(handler);
  }

  /**
   * Sends a text to the current room, exactly once however often the connection breaks: resolves
   * with { id } once the server has it, rejects (a ChorusError) only if the server refuses it for good.
   */
  send(text) {
    if (typeof text !== "string" || !text.trim()) return Promise.reject(new ChorusError("bad-message", "a message needs some text"));
    const bytes = new TextEncoder().encode(text).length;
    if (this.#pace && bytes > this.#pace.maxBytes) {
      return Promise.reject(new ChorusError("too-long", `messages are at most ${this.#pace.maxBytes} bytes`));
    }
    const entry = { ref: randomId(), room: this.#room, text, at: Date.now() };
    const promise = new Promise((resolve, reject) => this.#waiters.set(entry.ref, { resolve, reject }));
    this.#saved.outbox.push(entry);
    this.#save();
    this.#emit("outbox", this.pending());
    this.#pump();
    return promise;
  }

  /** Asks to be shown under another name; an "error" event (bad-name, name-taken) says if refused. */
  rename(name) {
    // The server answers only a refusal: until one comes, the new name is taken as shown.
    this.#fallbackName = this.#shownName;
    this.#name = name;
    if (this.#state === "open") {
      this.#shownName = name;
      this.#socket.send(JSON.stringify({ type: "rename", name }));
    }
  }

  /**
   * Moves to another room. What was sent in the old room and not yet answered is answered on its
   * socket (kept a few seconds for that); what waits unsent there is sent on coming back.
   */
  join(room) {
    if (room === this.#room && this.#socket) return;
    this.#room = room;
    this.#lastId = null;
    this.#attempt = 0;
    const old = this.#socket;
    this.#socket = null;
    if (old) this.#retire(old);
    this.#emit("outbox", this.pending());
    this.#connect();
  }

  /** Connects again now: after an operator's close, a ban or an expired sign-in, or to retry at once. */
  reconnect() {
    this.#attempt = 0;
    this.#reconnectNow(true);
  }

  /** Closes for good; the outbox stays for the next Chorus on this tab. */
  close() {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#paceTimer);
    for (const [target, type, listener] of this.#listeners) target.removeEventListener(type, listener);
    this.#tabs?.close();
    const old = this.#socket;
    this.#socket = null;
    old?.close(1000, "closed by the page");
    this.#setState("ended");
  }

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

  #save() {
    this.#storage.setItem(this.#key, JSON.stringify(this.#saved));
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
        this.#waiters.clear();
        this.#emit("outbox", []);
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

  // ---- events ----
  #emit(event, value) {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        handler(value);
      } catch (e) {
        setTimeout(() => { throw e; }); // a page's handler failing must not stop the client
      }
    }
  }

  #setState(state, reason = null) {
    if (state === this.#state && !reason) return;
    this.#state = state;
    this.#emit("state", { state, reason });
  }

  // ---- the connection ----
  async #connect() {
    this.#started = true;
    const attempt = ++this.#attempts;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#state === "ended") return;
    if (globalThis.navigator?.onLine === false) {
      this.#reconnectLater(); // says offline; the browser's "online" event comes sooner
      return;
    }
    this.#setState(this.#attempt ? "reconnecting" : "connecting");
    let token = this.#token;
    if (this.#getToken && (!token || expiresAt(token) < Date.now() + 10000)) {
      try {
        token = this.#token = await this.#getToken();
      } catch (e) {
        this.#emit("error", { code: "token", message: `getToken failed: ${e?.message ?? e}` });
        this.#reconnectLater();
        return;
      }
      if (attempt !== this.#attempts || this.#state === "ended") return; // joined or closed meanwhile
    }
    const params = new URLSearchParams({ room: this.#room, client: this.#saved.client });
    const person = this.#person();
    if (person) params.set("person", person);
    if (this.#name && !this.#user) params.set("name", this.#name);
    const resuming = this.#lastId !== null;
    if (resuming) params.set("since", this.#lastId);
    const url = `${this.#url}?${params}`;
    const socket = new this.#WebSocket(url, token ? [PROTOCOL, `chorus.token.${token}`] : [PROTOCOL]);
    this.#socket = socket;
    this.#openedAt = Date.now();
    let opened = false;
    socket.onopen = () => { opened = true; };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      const frame = Chorus.#read(event);
      if (!frame) return;
      this.#lastHeard = Date.now();
      this.#pingSent = 0; // anything heard answers what a ping asks
      this.#handle(frame, resuming);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return; // replaced on purpose
      this.#socket = null;
      this.#inFlight = null;
      this.#closed(event, opened, url, token);
    };
  }

  static #read(event) {
    try {
      const frame = JSON.parse(event.data);
      return frame && typeof frame.type === "string" ? frame : null;
    } catch {
      return null; // not ours to read
    }
  }

  #handle(frame, resuming) {
    switch (frame.type) {
      case "welcome":
        this.#session = frame.session;
        this.#shownName = frame.name;
        this.#name = chosen(frame.name); // a generated name comes back with the client id
        this.#user = frame.user ?? null;
        this.#saved.sessions = [...this.#saved.sessions.slice(1 - MAX_SESSIONS), frame.session];
        this.#save();
        this.#pace = { maxBytes: frame.maxBytes, rate: frame.rate, burst: frame.burst, addressRate: frame.addressRate, addressBurst: frame.addressBurst };
        this.#frames = Math.max(1, Math.min(frame.burst ?? 1, frame.addressBurst ?? 1) - SPARE_FRAMES);
        this.#filledAt = Date.now();
        this.#attempt = 0;
        this.#retryDelay = RETRY_MS;
        this.#emit("welcome", frame);
        this.#setState("open");
        this.#pump();
        break;
      case "message":
        if (!isNewer(frame.id, this.#lastId)) return; // delivered before a reconnect
        this.#lastId = frame.id;
        this.#emit("message", { ...frame, own: this.isOwn(frame) });
        break;
      case "sent":
        this.#confirmed(frame);
        break;
      case "presence":
        this.#emit("presence", this.#present(frame));
        break;
      case "reset":
        if (resuming) this.#emit("reset", frame); // a first join has nothing to be missing from
        break;
      case "error":
        if (frame.ref) this.#refused(frame);
        else {
          if (frame.code === "bad-name" || frame.code === "name-taken") { // nothing changed
            this.#shownName = this.#fallbackName ?? this.#shownName;
            this.#name = chosen(this.#shownName);
          }
          this.#emit("error", frame);
        }
        break;
      default: // pong, and types a newer server may add
    }
  }

  // Presence as a whole list, whichever form the frame took: the list (a member's first), what
  // changed since (joined, left), or a count alone (a room too big to list: members is null).
  #present(frame) {
    if (frame.members) this.#members = frame.members;
    else if (frame.joined) {
      const same = (a) => (b) => a.name === b.name && a.user === b.user;
      const kept = (this.#members ?? []).filter((m) => !frame.left.some(same(m)));
      this.#members = [...kept, ...frame.joined].sort((a, b) => {
        const folded = a.name.toLowerCase().localeCompare(b.name.toLowerCase());
        return folded !== 0 ? folded : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      });
    } else this.#members = null;
    const members = this.#members;
    return { ...frame, members, names: members ? members.map((m) => m.name) : [] };
  }

  #closed(event, opened, url, token) {
    const stop = STOPS[event.code];
    if (stop) {
      this.#setState(stop, event.reason);
    } else if (event.code === TOKEN_EXPIRED && this.#getToken) {
      this.#token = null; // the next connect fetches a fresh one and resumes with since
      this.#attempt = 0;
      this.#connect();
    } else if (event.code === TOKEN_EXPIRED) {
      this.#setState("expired", event.reason);
    } else if (event.code === NAME_TAKEN_BY_USER) {
      this.#beGuest();
      this.#emit("error", { code: "name-taken", message: event.reason || "a verified user took this name" });
      this.#reconnectLater();
    } else if (!opened) {
      this.#reconnectLater();
      this.#ask(url, token);
    } else {
      this.#reconnectLater();
    }
  }

  // A refused upgrade looks like any failed connection to a page: ask the server why.
  async #ask(url, token) {
    const check = url.replace(/^ws/, "http").replace(/\/ws\?/, "/check?");
    let verdict;
    try {
      const answer = await fetch(check, { method: "POST", body: token ?? "", cache: "no-store" });
      verdict = await answer.json();
    } catch {
      return; // offline, or not a Chorus that can say: the reconnect goes on
    }
    if (this.#socket || verdict.status === 200 || verdict.status === 503 || verdict.status === 429) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (verdict.status === 409) {
      this.#beGuest();
      this.#emit("error", { code: "name-taken", message: verdict.reason });
      this.#connect();
    } else if (verdict.status === 401 && this.#getToken && token) {
      this.#token = null;
      this.#reconnectLater();
    } else {
      this.#setState(verdict.banned ? "banned" : "refused", verdict.reason);
    }
  }

  // A name another person shows here cannot be had: the next welcome gives a guest's.
  #beGuest() {
    this.#name = "";
    this.#shownName = null;
    this.#fallbackName = null;
  }

  // The connection is gone: try again after a pause that grows.
  #reconnectLater() {
    this.#pingSent = 0;
    this.#attempt += 1;
    this.#setState(globalThis.navigator?.onLine === false ? "offline" : "reconnecting");
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(this.#attempt, 10));
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  #reconnectNow(force = false) {
    if (this.#state === "ended") return;
    if (!force && this.#state !== "reconnecting" && this.#state !== "offline") return;
    const old = this.#socket;
    this.#socket = null;
    this.#inFlight = null; // what was sent on the old socket goes again, under its ref
    old?.close(1000, "reconnecting");
    this.#connect();
  }

  // A connection that cannot be working (no pong, or offline) is given up now: a dead TCP
  // connection would otherwise look open until the server's timeout.
  #abandon(state) {
    const dead = this.#socket;
    if (!dead) return;
    this.#socket = null;
    this.#inFlight = null;
    dead.close(1000, "no answer");
    this.#reconnectLater();
    if (state === "offline") this.#setState("offline");
  }

  #beat() {
    if (!this.#socket) return;
    const now = Date.now();
    if (this.#state !== "open") { // a connection that hangs before its welcome is tried again
      if (now - this.#openedAt > CONNECT_DEADLINE_MS) this.#abandon("reconnecting");
      return;
    }
    if (this.#pingSent && now - this.#pingSent > PONG_DEADLINE_MS) this.#abandon("reconnecting");
    else if (!this.#pingSent && now - this.#lastHeard > QUIET_MS) {
      this.#pingSent = now;
      this.#socket.send(JSON.stringify({ type: "ping" }));
    }
  }

  // The socket of a room being left stays until what was sent on it is answered: closed at once,
  // its "sent" would be lost, and the message sent again on coming back, perhaps once the server
  // no longer remembers its ref.
  #retire(old) {
    const owed = this.#inFlight;
    this.#inFlight = null;
    const close = () => old.close(1000, "changing room");
    if (!owed) {
      close();
      return;
    }
    old.onclose = null;
    old.onmessage = (event) => {
      const frame = Chorus.#read(event);
      if (!frame || frame.ref !== owed) return;
      if (frame.type === "sent") this.#confirmed(frame, true); // a refused one stays in its room's outbox
      close();
    };
    setTimeout(close, RETIRE_MS);
  }

  // ---- the outbox: one message in flight at a time, paced under the announced limits ----
  #pump() {
    if (this.#state !== "open" || this.#inFlight || this.#paceTimer) return;
    const entry = this.#saved.outbox.find((e) => e.room === this.#room);
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
    this.#socket.send(JSON.stringify({ type: "send", text: entry.text, ref: entry.ref, age }));
  }

  #confirmed(sent, retired = false) {
    if (!retired && sent.ref === this.#inFlight) this.#inFlight = null;
    const entry = this.#saved.outbox.find((e) => e.ref === sent.ref);
    if (entry) {
      this.#saved.outbox = this.#saved.outbox.filter((e) => e !== entry);
      this.#save();
    }
    this.#retryDelay = RETRY_MS;
    this.#waiters.get(sent.ref)?.resolve({ id: sent.id, duplicate: sent.duplicate });
    this.#waiters.delete(sent.ref);
    if (entry) {
      this.#emit("sent", { ref: sent.ref, id: sent.id, room: entry.room, text: entry.text });
      this.#emit("outbox", this.pending());
    }
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
    this.#saved.outbox = this.#saved.outbox.filter((e) => e !== entry);
    this.#save();
    this.#waiters.get(error.ref)?.reject(new ChorusError(error.code, error.message));
    this.#waiters.delete(error.ref);
    this.#emit("refused", { ref: error.ref, room: entry.room, text: entry.text, code: error.code, message: error.message });
    this.#emit("outbox", this.pending());
    this.#pump();
  }
}
