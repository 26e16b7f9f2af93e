"use strict";
// The page: one chorus.v1 socket to /ws for the room named in the URL (/#room).
// Text goes in with textContent, never innerHTML. Reconnects resume with `since`, so nothing
// is lost and nothing shown twice.
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const scroller = document.querySelector("main");
  const input = $("text");
  const nameInput = $("name");
  const roomInput = $("room");

  // Reconnect delays grow and carry jitter, so a restarted server is not hit by every tab at once.
  const BASE_DELAY_MS = 250;
  const MAX_DELAY_MS = 10000;
  const NAME_KEY = "chorus.name";

  let socket = null;
  let attempt = 0;
  let lastId = null; // the newest message shown: the resume point
  // The server's rule for names, mirrored from protocol/Names.java (keep the two in step): 1-32
  // characters after trimming and composing (NFC), at least one visible, and no control,
  // formatting (Cf: zero-width, bidi marks), unassigned, private-use or blank-letter characters.
  // A stored name that broke it would be refused at every reconnect.
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
  const validName = (name) => nameProblem(name) === null;
  const stored = localStorage.getItem(NAME_KEY) || "";
  let myName = validName(stored) ? normalizeName(stored) : "";
  let unread = 0;

  const roomFromUrl = () => {
    const room = decodeURIComponent(location.hash.slice(1));
    return /^[A-Za-z0-9._-]{1,64}$/.test(room) ? room : "main";
  };
  let room = roomFromUrl();

  // Ids are "epoch-seq"; compare as pairs of integers (docs/PROTOCOL.md).
  const idParts = (id) => id.split("-").map(Number);
  const isNewer = (id, than) => {
    if (than === null) return true;
    const [e1, s1] = idParts(id), [e2, s2] = idParts(than);
    return e1 !== e2 ? e1 > e2 : s1 > s2;
  };

  function setState(state) {
    document.body.dataset.state = state;
    $("state").textContent = state;
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ room });
    if (myName) params.set("name", myName);
    if (lastId) params.set("since", lastId);
    return `${scheme}//${location.host}/ws?${params}`;
  }

  function appendItem(item) {
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 8;
    log.appendChild(item);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function showMessage(m) {
    if (!isNewer(m.id, lastId)) return; // already shown before a reconnect
    lastId = m.id;
    const item = document.createElement("li");
    item.dataset.id = m.id;
    if (m.from === myName) item.classList.add("own");
    const from = document.createElement("span");
    from.className = "from";
    from.textContent = m.from;
    const time = document.createElement("time");
    const when = new Date(m.ts);
    time.dateTime = when.toISOString();
    time.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = m.text;
    item.append(from, time, text);
    appendItem(item);
    if (document.hidden) {
      unread += 1;
      document.title = `(${unread}) Chorus`;
    }
  }

  function showNotice(text) {
    const item = document.createElement("li");
    item.className = "notice";
    item.textContent = text;
    appendItem(item);
  }

  function showPresence(p) {
    $("online-count").textContent = String(p.online);
    const list = $("online");
    list.replaceChildren(...p.names.map((name) => {
      const li = document.createElement("li");
      li.textContent = name;
      return li;
    }));
  }

  const handlers = {
    welcome(w) {
      myName = w.name;
      localStorage.setItem(NAME_KEY, myName);
      if (document.activeElement !== nameInput) nameInput.value = myName; // never under someone's typing
    },
    message: showMessage,
    presence: showPresence,
    reset() {
      showNotice("Some earlier messages are no longer available.");
    },
    error(e) {
      $("notice").textContent = e.message;
    },
  };

  function connect() {
    setState(attempt === 0 ? "connecting" : "reconnecting");
    const current = new WebSocket(socketUrl(), "chorus.v1");
    socket = current;
    current.onopen = () => {
      attempt = 0;
      setState("connected");
      $("notice").textContent = "";
    };
    current.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      const handle = handlers[frame.type];
      if (handle) handle(frame);
    };
    current.onclose = (event) => {
      if (socket !== current) return; // replaced on purpose (room change)
      const stop = OPERATOR_CLOSES[event.code];
      if (stop) { // an operator's decision: say so, and come back only when asked
        setState(stop.state);
        $("notice").textContent = stop.text;
        $("rejoin").hidden = false;
        return;
      }
      attempt += 1;
      setState("reconnecting");
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 10));
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }

  // Close codes an operator's action sends (docs/API.md); the page does not reconnect by itself.
  const OPERATOR_CLOSES = {
    4001: { state: "closed", text: "This room was closed by an operator." },
    4002: { state: "disconnected", text: "You were disconnected by an operator." },
  };

  $("rejoin").addEventListener("click", () => {
    $("rejoin").hidden = true;
    $("notice").textContent = "";
    attempt = 0;
    connect();
  });

  function enterRoom() {
    $("rejoin").hidden = true;
    room = roomFromUrl();
    roomInput.value = room;
    $("room-name").textContent = room;
    log.replaceChildren();
    lastId = null;
    attempt = 0;
    const old = socket;
    socket = null;
    if (old) old.close(1000, "changing room");
    connect();
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: "send", text }));
    input.value = "";
  });

  $("name-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = nameProblem(nameInput.value);
    if (problem) {
      $("notice").textContent = problem;
      return;
    }
    const name = normalizeName(nameInput.value);
    if (name === myName) return;
    myName = name;
    localStorage.setItem(NAME_KEY, name);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "rename", name }));
  });

  $("room-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (roomInput.checkValidity()) location.hash = roomInput.value;
  });

  window.addEventListener("hashchange", enterRoom);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      unread = 0;
      document.title = "Chorus";
    }
  });

  nameInput.value = myName;
  enterRoom();
})();
