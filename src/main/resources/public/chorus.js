"use strict";
// The page: one chorus.v1 socket to /ws for the room named in the URL (/#room).
// Text goes in with textContent, never innerHTML. Reconnects resume with `since`, and what you
// send waits in an outbox (kept in localStorage) until the server confirms its `ref`, so nothing
// typed is lost and nothing is shown twice.
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const scroller = document.querySelector("main");
  const input = $("text");
  const nameInput = $("name");
  const roomInput = $("room");
  const sendButton = $("send");

  // Reconnect delays grow and carry jitter, so a restarted server is not hit by every tab at
  // once, but stay short: a person is waiting.
  const BASE_DELAY_MS = 250;
  const MAX_DELAY_MS = 3000;
  const NOTICE_MS = 6000;
  const NAME_KEY = "chorus.name"; // localStorage: the name last chosen, where a new tab starts
  const TAB_KEY = "chorus.tab"; // sessionStorage: this tab's own identity
  const OUTBOX_PREFIX = "chorus.outbox."; // localStorage, one per tab: survives a reload
  const OUTBOX_DAYS = 7; // an outbox left by a closed tab is dropped after this
  const MAX_LOG_ITEMS = 1000; // older lines leave from the top: a day-long tab stays light
  // Browsers do not show WebSocket pings to pages: after this much silence the page asks with
  // a JSON ping, and a pong that does not come within the deadline means the connection is dead.
  const QUIET_MS = 10000;
  const PONG_DEADLINE_MS = 5000;

  // The server's rule for names, mirrored from protocol/Names.java (keep the two in step): 1-32
  // characters after trimming and composing (NFC), at least one visible, and no control,
  // formatting (Cf: zero-width, bidi marks), unassigned, private-use or blank-letter characters.
  const normalizeName = (name) => name.trim().normalize("NFC");
  const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Co}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800\u034F\u180B-\u180F]/u;
  const nameProblem = (raw) => {
    const name = normalizeName(raw);
    const length = [...name].length;
    if (length < 1 || length > 32 || INVISIBLE.test(name) || !/[^\s\p{Zs}]/u.test(name)) {
      return "A name needs 1-32 characters, at least one visible, and no invisible or control characters.";
    }
    return null;
  };
  const ROOM_RULE = /^[A-Za-z0-9._-]{1,64}$/;

  // Ids the server accepts for `client` and `ref`; getRandomValues works on plain http too.
  const randomId = () => Array.from(crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36).padStart(7, "0")).join("");

  const readJson = (storage, key, fallback) => {
    try {
      return JSON.parse(storage.getItem(key)) ?? fallback;
    } catch {
      return fallback;
    }
  };

  // Each tab is its own person: its own client id (for exactly-once sending), its own sessions
  // (to know its own messages) and its own name. A new tab starts from the name last chosen.
  const tab = readJson(sessionStorage, TAB_KEY, {});
  if (typeof tab.client !== "string") tab.client = randomId();
  if (!Array.isArray(tab.sessions)) tab.sessions = [];
  const chosen = localStorage.getItem(NAME_KEY) || "";
  if (typeof tab.name !== "string" || nameProblem(tab.name)) tab.name = nameProblem(chosen) ? "" : normalizeName(chosen);
  const saveTab = () => sessionStorage.setItem(TAB_KEY, JSON.stringify(tab));
  saveTab();

  // A duplicated tab copies sessionStorage: the copy takes a new identity (and no generated name).
  const tabs = "BroadcastChannel" in window ? new BroadcastChannel("chorus.tabs") : null;
  if (tabs) {
    tabs.onmessage = (event) => {
      if (event.data.hello === tab.client) tabs.postMessage({ taken: tab.client });
      else if (event.data.taken === tab.client) becomeNewTab();
    };
    tabs.postMessage({ hello: tab.client });
  }

  let socket = null;
  let connected = false;
  let stopped = false; // an operator closed the room or disconnected us: wait for the button
  let attempt = 0;
  let retryTimer = null;
  let lastId = null; // the newest message shown: the resume point
  let lastDay = null; // the day of the newest message shown, for day separators
  let maxBytes = 16384; // the server's limit; each welcome says it
  let unread = 0;
  let room = "main";
  let presence = null;
  let shownName = ""; // the name the server last confirmed
  let verifiedAs = null; // the user id a token proved, from the welcome
  const inFlight = new Set(); // refs sent on this socket and not yet answered
  const pendingItems = new Map(); // ref → its line, in the order they stand at the bottom of the log
  const awaiting = new Map(); // id → a line of ours confirmed before its message arrived
  let lastHeard = 0; // when the current socket last said anything
  let pingSent = 0; // when a ping went out unanswered, or 0

  // ---- the outbox ----
  const outboxKey = () => OUTBOX_PREFIX + tab.client;
  let outbox = readJson(localStorage, outboxKey(), []);
  const saveOutbox = () => {
    if (outbox.length) localStorage.setItem(outboxKey(), JSON.stringify(outbox));
    else localStorage.removeItem(outboxKey());
  };
  for (let i = 0; i < localStorage.length; i++) { // outboxes of tabs closed long ago
    const key = localStorage.key(i);
    if (!key.startsWith(OUTBOX_PREFIX) || key === outboxKey()) continue;
    const entries = readJson(localStorage, key, []);
    if (!entries.length || entries.every((e) => Date.now() - e.at > OUTBOX_DAYS * 864e5)) localStorage.removeItem(key);
  }

  // The copy keeps the name only if it was chosen, and leaves the pending messages to the tab it
  // was copied from (anything it sent meanwhile went with that tab's client id: sent once).
  function becomeNewTab() {
    tab.client = randomId();
    tab.sessions = [];
    if (tab.name !== normalizeName(localStorage.getItem(NAME_KEY) || "")) tab.name = "";
    saveTab();
    outbox = [];
    inFlight.clear();
    pendingItems.forEach((item) => item.remove());
    pendingItems.clear();
    nameInput.value = tab.name;
    reconnectNow(true);
  }

  // ---- showing things ----
  // The log follows new messages while you are at the bottom, also when something above or
  // below it (a notice, a growing message box) changes its height.
  let following = true;
  scroller.addEventListener("scroll", () => {
    following = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 8;
  });
  const follow = () => {
    if (following) scroller.scrollTop = scroller.scrollHeight;
  };
  new ResizeObserver(follow).observe(scroller);

  // Messages go above the pending ones, which stay at the bottom until the server has them.
  function appendItem(item) {
    const firstPending = pendingItems.values().next().value || null;
    log.insertBefore(item, firstPending);
    while (log.children.length - pendingItems.size > MAX_LOG_ITEMS) {
      const oldest = log.firstElementChild;
      if (oldest.dataset.id) awaiting.delete(oldest.dataset.id);
      oldest.remove();
    }
    follow();
  }

  const dayLabel = (when) => {
    const day = new Date(when.getFullYear(), when.getMonth(), when.getDate());
    const now = new Date();
    const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const days = Math.round((today - day) / 864e5);
    if (days === 0) return "Today";
    if (days === 1) return "Yesterday";
    const options = { weekday: "long", month: "long", day: "numeric" };
    if (day.getFullYear() !== today.getFullYear()) options.year = "numeric";
    return when.toLocaleDateString([], options);
  };

  // A verified user's name (docs/AUTH.md) carries a mark only the server can have put there.
  function verifiedMark(user) {
    const mark = document.createElement("span");
    mark.className = "verified";
    mark.textContent = "✓";
    mark.title = `verified: ${user}`;
    mark.setAttribute("aria-label", `verified as ${user}`);
    return mark;
  }

  function fillMessage(item, from, when, text, own, user) {
    item.classList.toggle("own", own);
    const who = document.createElement("bdi");
    who.className = "from";
    who.textContent = from;
    if (user) who.append(" ", verifiedMark(user));
    const time = document.createElement("time");
    time.dateTime = when.toISOString();
    time.title = when.toLocaleString();
    time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const body = document.createElement("div");
    body.className = "text";
    body.dir = "auto";
    body.textContent = text;
    item.replaceChildren(who, " ", time, body);
  }

  const isOwn = (m) => tab.sessions.includes(m.session);

  // Ids are "epoch-seq"; compare as pairs of integers (docs/PROTOCOL.md).
  const idParts = (id) => id.split("-").map(Number);
  const isNewer = (id, than) => {
    if (than === null) return true;
    const [e1, s1] = idParts(id), [e2, s2] = idParts(than);
    return e1 !== e2 ? e1 > e2 : s1 > s2;
  };

  function showMessage(m) {
    if (!isNewer(m.id, lastId)) return; // already shown before a reconnect
    lastId = m.id;
    const when = new Date(m.ts);
    const day = when.toDateString();
    if (day !== lastDay) {
      lastDay = day;
      const separator = document.createElement("li");
      separator.className = "day";
      separator.textContent = dayLabel(when);
      appendItem(separator);
    }
    // A message of ours the server confirmed before it arrived is already on screen: fill it in.
    const waiting = awaiting.get(m.id);
    awaiting.delete(m.id);
    const item = waiting || document.createElement("li");
    item.dataset.id = m.id;
    delete item.dataset.ref;
    fillMessage(item, m.from, when, m.text, isOwn(m) || Boolean(waiting), m.user);
    if (!waiting) appendItem(item);
    if (document.hidden) {
      unread += 1;
      document.title = `(${unread}) Chorus`;
    }
  }

  let noticeTimer = null;
  function notify(text) {
    $("notice").textContent = text;
    clearTimeout(noticeTimer);
    if (text) noticeTimer = setTimeout(() => { $("notice").textContent = ""; }, NOTICE_MS);
  }

  function showLogNotice(text) {
    const item = document.createElement("li");
    item.className = "notice";
    item.textContent = text;
    appendItem(item);
  }

  function showPresence() {
    const list = $("online");
    if (!connected || !presence) {
      $("online-count").textContent = "–";
      const li = document.createElement("li");
      li.className = "offline";
      li.textContent = "Not connected";
      list.replaceChildren(li);
      return;
    }
    $("online-count").textContent = String(presence.online);
    let marked = false;
    const members = presence.members || presence.names.map((name) => ({ name }));
    list.replaceChildren(...members.map(({ name, user }) => {
      const li = document.createElement("li");
      const who = document.createElement("bdi");
      who.textContent = name;
      li.append(who);
      if (user) li.append(" ", verifiedMark(user));
      if (!marked && name === tab.name) {
        marked = true;
        li.className = "you";
        li.append(" (you)");
      }
      return li;
    }));
  }

  // ---- pending messages ----
  const pendingItem = (ref) => pendingItems.get(ref);

  function showPending(entry) {
    let item = pendingItem(entry.ref);
    if (!item) {
      item = document.createElement("li");
      item.className = "pending";
      item.dataset.ref = entry.ref;
      log.appendChild(item);
      pendingItems.set(entry.ref, item);
    }
    fillMessage(item, tab.name || "you", new Date(entry.at), entry.text, true);
    const status = document.createElement("p");
    status.className = "status";
    if (entry.refused) {
      item.classList.add("refused");
      status.textContent = `Not sent: ${entry.refused} `;
      const retry = document.createElement("button");
      retry.type = "button";
      retry.textContent = "Retry";
      retry.addEventListener("click", () => {
        entry.refused = null;
        saveOutbox();
        showPending(entry);
        flush();
      });
      const discard = document.createElement("button");
      discard.type = "button";
      discard.textContent = "Discard";
      discard.className = "secondary";
      discard.addEventListener("click", () => forget(entry.ref));
      status.append(retry, " ", discard);
    } else {
      item.classList.remove("refused");
      status.textContent = connected ? "Sending…" : "Waiting for the connection…";
    }
    item.append(status);
    follow();
  }

  function forget(ref) {
    outbox = outbox.filter((e) => e.ref !== ref);
    saveOutbox();
    inFlight.delete(ref);
    pendingItem(ref)?.remove();
    pendingItems.delete(ref);
  }

  // Sends what waits in this room's outbox, each once per socket, in the order it was typed.
  function flush() {
    if (!connected) return;
    for (const entry of outbox) {
      if (entry.room !== room || entry.refused || inFlight.has(entry.ref)) continue;
      inFlight.add(entry.ref);
      socket.send(JSON.stringify({ type: "send", text: entry.text, ref: entry.ref }));
    }
  }

  function confirmed(s) {
    const item = pendingItem(s.ref);
    outbox = outbox.filter((e) => e.ref !== s.ref);
    saveOutbox();
    inFlight.delete(s.ref);
    pendingItems.delete(s.ref);
    if (!item) return;
    if (!isNewer(s.id, lastId)) {
      item.remove(); // its message is already on screen (or was, above)
      return;
    }
    // Shown as sent now; the message frame that follows fills it in where it stands.
    item.classList.remove("pending", "refused");
    item.querySelector(".status")?.remove();
    item.dataset.id = s.id;
    awaiting.set(s.id, item);
    appendItem(item);
  }

  function refused(e) {
    const entry = outbox.find((x) => x.ref === e.ref);
    inFlight.delete(e.ref);
    if (!entry) return;
    if (e.code === "unknown") { // it may have gone out: resending the same ref is safe
      setTimeout(flush, 1000);
      return;
    }
    entry.refused = e.message;
    saveOutbox();
    showPending(entry);
  }

  // ---- the connection ----
  const STATE_TEXT = {
    connecting: "connecting…",
    connected: "connected",
    reconnecting: "offline: reconnecting…",
    offline: "offline: waiting for the network…",
    closed: "room closed",
    disconnected: "disconnected",
  };

  function setState(state) {
    connected = state === "connected";
    document.body.dataset.state = state;
    $("state").textContent = STATE_TEXT[state];
    sendButton.textContent = connected ? "Send" : "Send later";
    showPresence();
    outbox.filter((e) => e.room === room && !e.refused).forEach(showPending);
  }

  // A token an app handed this tab (/#room&token=JWT): kept for the tab, never in the address bar.
  const protocols = () => (tab.token ? ["chorus.v1", `chorus.token.${tab.token}`] : "chorus.v1");

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ room, client: tab.client });
    if (tab.name) params.set("name", tab.name);
    if (lastId) params.set("since", lastId);
    return `${scheme}//${location.host}/ws?${params}`;
  }

  const handlers = {
    welcome(w) {
      tab.name = w.name; // a generated name stays this tab's own, across reconnects
      shownName = w.name;
      verifiedAs = w.user || null;
      nameInput.readOnly = Boolean(verifiedAs); // a verified user's name is its token's
      if (verifiedAs) nameStatus(`✓ verified as ${verifiedAs}`, false, true);
      tab.sessions = [...tab.sessions.slice(-99), w.session];
      saveTab();
      maxBytes = w.maxBytes || maxBytes;
      if (document.activeElement !== nameInput) nameInput.value = tab.name; // never under someone's typing
      attempt = 0;
      setState("connected");
      updateCounter();
      flush();
    },
    message: showMessage,
    presence(p) {
      presence = p;
      showPresence();
    },
    sent: confirmed,
    reset(r) {
      if (lastId === null) return; // a first join has nothing on screen to be missing from
      showLogNotice(r.reason === "history-exceeded"
        ? "Some messages sent while you were away are no longer kept, so they are missing here."
        : "Chorus began this room's history again (it restarted or lost its storage): the messages above are from before.");
    },
    error(e) {
      if (e.ref) {
        refused(e);
      } else if (e.code === "bad-name" || e.code === "name-taken") {
        tab.name = shownName; // nothing changed on the server
        saveTab();
        if (chosenBefore !== undefined) {
          if (chosenBefore === null) localStorage.removeItem(NAME_KEY);
          else localStorage.setItem(NAME_KEY, chosenBefore);
          chosenBefore = undefined;
        }
        nameInput.value = shownName;
        nameStatus(`${e.message} You are still ${shownName}.`, true);
      } else {
        notify(e.message);
      }
    },
  };

  // Close codes an operator's action sends (docs/API.md); the page does not reconnect by itself.
  const OPERATOR_CLOSES = {
    4001: { state: "closed", text: "This room was closed by an operator." },
    4002: { state: "disconnected", text: "You were disconnected by an operator." },
    4003: { state: "disconnected", text: "Your sign-in for this chat expired: open it again from your app." },
  };

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    const current = new WebSocket(socketUrl(), protocols());
    socket = current;
    let opened = false;
    current.onopen = () => { opened = true; };
    current.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return; // not ours to read
      }
      if (socket !== current) return;
      lastHeard = Date.now();
      pingSent = 0; // anything heard answers the question a ping asks
      const handle = handlers[frame.type];
      if (handle) handle(frame);
    };
    current.onclose = (event) => {
      if (socket !== current) return; // replaced on purpose (room change, reconnect now)
      reconnectLater();
      // 4005: a duplicated tab joined with this tab's client id before it took one of its own
      // (the BroadcastChannel above): reconnecting after the usual pause settles it.
      if (event.code === 4009) { // a verified user took this name: come back as a guest, and say so
        notify(`${tab.name} is the name of a verified user who joined: you are a guest now. Choose another name.`);
        tab.name = "";
        saveTab();
      }
      if (!opened && tab.name && !verifiedAs) checkName(); // a browser hides the refusal's status: ask
      const stop = OPERATOR_CLOSES[event.code];
      if (stop) { // an operator's decision: say so, and come back only when asked
        clearTimeout(retryTimer);
        retryTimer = null;
        stopped = true;
        setState(stop.state);
        notify(stop.text);
        clearTimeout(noticeTimer); // this one stays: it explains the state
        $("rejoin").hidden = false;
      }
    };
  }

  // The connection is gone (closed, dead or offline): try again after a pause that grows.
  function reconnectLater(state = "reconnecting") {
    inFlight.clear();
    pingSent = 0;
    attempt += 1;
    setState(navigator.onLine ? state : "offline");
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 10));
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  // A connection that cannot be working (no pong, or the browser is offline) is given up now:
  // a dead TCP connection would otherwise look open until the server's timeout.
  function abandon(state) {
    const dead = socket;
    if (!dead) return;
    socket = null;
    dead.close(1000, "no answer");
    reconnectLater(state);
  }

  setInterval(() => {
    if (!connected || !socket) return;
    const now = Date.now();
    if (pingSent && now - pingSent > PONG_DEADLINE_MS) abandon("reconnecting");
    else if (!pingSent && now - lastHeard > QUIET_MS) {
      pingSent = now;
      socket.send(JSON.stringify({ type: "ping" }));
    }
  }, 1000);
  window.addEventListener("offline", () => abandon("offline"));

  // A 409 at the upgrade (the name is another person's here) looks like any failed connection.
  async function checkName() {
    const params = new URLSearchParams({ room, name: tab.name, client: tab.client });
    try {
      const answer = await fetch(`/name?${params}`, { cache: "no-store" });
      if (answer.status !== 409) return;
      const reason = await answer.text();
      tab.name = ""; // the next attempt gets a guest's name
      saveTab();
      nameInput.value = "";
      nameStatus(`${reason}. You are a guest for now.`, true);
      reconnectNow(true);
    } catch {
      // offline: the reconnect says so
    }
  }

  // Back online, or back to this tab: try now rather than at the next scheduled attempt.
  function reconnectNow(force) {
    if (stopped || (connected && !force)) return;
    const old = socket;
    socket = null;
    if (old) old.close(1000, "reconnecting");
    inFlight.clear(); // what was sent on the old socket goes again, under its ref, on the new one
    setState("connecting"); // a send meanwhile waits in the outbox
    connect();
  }
  window.addEventListener("online", () => reconnectNow(false));
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    unread = 0;
    document.title = "Chorus";
    if (retryTimer !== null) reconnectNow(false);
  });

  $("rejoin").addEventListener("click", () => {
    $("rejoin").hidden = true;
    notify("");
    stopped = false;
    attempt = 0;
    setState("connecting");
    connect();
  });

  function roomFromUrl() {
    const [raw, ...rest] = location.hash.slice(1).split("&");
    const token = new URLSearchParams(rest.join("&")).get("token");
    if (token) {
      tab.token = token;
      saveTab();
    }
    let asked;
    try {
      asked = decodeURIComponent(raw);
    } catch {
      asked = raw;
    }
    if (ROOM_RULE.test(asked)) return asked;
    if (asked) notify(`“${asked}” is not a room name (1-64 letters, digits, “-”, “_” or “.”), so you are in #main.`);
    return "main";
  }

  // The socket of a room being left stays until the messages sent on it are answered (a few
  // seconds at most): closed at once, their "sent" would be lost, and the outbox would send them
  // again on coming back, perhaps once the server no longer remembers their refs.
  function retire(old) {
    const owed = new Set(inFlight);
    inFlight.clear();
    const close = () => old.close(1000, "changing room");
    if (!owed.size) {
      close();
      return;
    }
    old.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!owed.delete(frame.ref)) return;
      if (frame.type === "sent") confirmed(frame); // a refused one stays in the outbox for its room
      if (!owed.size) close();
    };
    setTimeout(close, 5000);
  }

  function enterRoom() {
    $("rejoin").hidden = true;
    stopped = false;
    room = roomFromUrl();
    if (location.hash !== `#${room}`) history.replaceState(null, "", `#${room}`); // the room actually joined
    roomInput.value = room;
    $("room-name").textContent = room;
    log.replaceChildren();
    pendingItems.clear();
    awaiting.clear();
    lastId = null;
    lastDay = null;
    presence = null;
    attempt = 0;
    const old = socket;
    socket = null;
    if (old) retire(old);
    setState("connecting");
    connect();
  }

  // ---- the message box ----
  const byteLength = (text) => new TextEncoder().encode(text).length;

  function updateCounter() {
    const used = byteLength(input.value);
    const counter = $("counter");
    const over = used > maxBytes;
    input.setAttribute("aria-invalid", String(over));
    counter.classList.toggle("over", over);
    if (over) counter.textContent = `Too long by ${(used - maxBytes).toLocaleString()} bytes (limit ${maxBytes.toLocaleString()})`;
    else if (used > maxBytes * 0.8) counter.textContent = `${(maxBytes - used).toLocaleString()} bytes left`;
    else counter.textContent = "";
  }

  function growBox() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  }

  input.addEventListener("input", () => {
    updateCounter();
    growBox();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    $("composer").requestSubmit();
  });

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (byteLength(text) > maxBytes) {
      updateCounter();
      notify(`This message is too long to send: shorten it to ${maxBytes.toLocaleString()} bytes.`);
      return;
    }
    const entry = { ref: randomId(), room, text, at: Date.now(), refused: null };
    outbox.push(entry);
    saveOutbox();
    showPending(entry);
    input.value = "";
    updateCounter();
    growBox();
    following = true;
    follow();
    notify("");
    flush();
  });

  // ---- names: applied when the field loses focus or on Enter ----
  let nameStatusTimer = null;
  let chosenBefore; // the name a new tab started from before the rename in flight: back to it if refused
  function nameStatus(text, problem, lasting) {
    const status = $("name-status");
    status.textContent = text;
    status.classList.toggle("problem", problem);
    nameInput.setAttribute("aria-invalid", String(problem));
    clearTimeout(nameStatusTimer);
    if (!problem && text && !lasting) nameStatusTimer = setTimeout(() => { status.textContent = ""; }, 3000);
  }

  function applyName() {
    if (verifiedAs) return;
    const problem = nameProblem(nameInput.value);
    if (problem) {
      nameStatus(`${problem} You are still ${tab.name || "a guest"}.`, true);
      return;
    }
    const name = normalizeName(nameInput.value);
    nameInput.value = name;
    if (name === tab.name) {
      if (nameInput.getAttribute("aria-invalid") === "true") nameStatus("", false);
      return;
    }
    tab.name = name;
    saveTab();
    chosenBefore = localStorage.getItem(NAME_KEY);
    localStorage.setItem(NAME_KEY, name); // where the next new tab starts
    if (connected) socket.send(JSON.stringify({ type: "rename", name }));
    nameStatus(`✓ You are ${name}`, false);
  }

  $("name-form").addEventListener("submit", (event) => {
    event.preventDefault();
    applyName();
  });
  nameInput.addEventListener("blur", applyName);

  $("room-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (roomInput.checkValidity()) location.hash = roomInput.value;
  });

  window.addEventListener("hashchange", enterRoom);

  nameInput.value = tab.name;
  enterRoom();
})();
