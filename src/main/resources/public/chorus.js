// The page: the view of one Chorus client (/chorus-client.js), one socket for every room it
// follows; the room named in the URL (/#room) is the one shown, the others count what is unread.
// The library sends exactly once, resumes and paces; this file only shows. Text goes in with
// textContent, never innerHTML.
import { Chorus, isNewer } from "/chorus-client.js";

const $ = (id) => document.getElementById(id);
const log = $("log");
const scroller = document.querySelector("main");
const input = $("text");
const nameInput = $("name");
const roomInput = $("room");
const sendButton = $("send");

const NOTICE_MS = 6000;
const NAME_KEY = "chorus.name"; // localStorage: the name last chosen, where a new tab starts
const TAB_KEY = "chorus.tab"; // sessionStorage: this tab's name, token and rooms followed
const MAX_LOG_ITEMS = 1000; // older lines leave from the top: a day-long tab stays light
const MAX_KEPT = 200; // messages kept for each room not shown, for when it is shown again
const TYPING_SHOWN_MS = 5000; // after someone's last typing frame

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

const readJson = (storage, key, fallback) => {
  try {
    return JSON.parse(storage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
};

// Every tab of this browser is one person (the library keeps its id); a new tab starts from the
// name last chosen.
const tab = readJson(sessionStorage, TAB_KEY, {});
if (!Array.isArray(tab.rooms)) tab.rooms = [];
const chosen = localStorage.getItem(NAME_KEY) || "";
if (typeof tab.name !== "string" || nameProblem(tab.name)) tab.name = nameProblem(chosen) ? "" : normalizeName(chosen);
const saveTab = () => sessionStorage.setItem(TAB_KEY, JSON.stringify(tab));

let room = null; // the name of the room shown
let view = null; // its view (below)
const views = new Map(); // room name → { room, messages, unread }: every room followed
let lastDay = null; // the day of the newest message shown, for day separators
let newest = null; // the id of the newest message shown
let unread = 0;
let presence = null;
let noticeTimer = null;
const pendingItems = new Map(); // ref → its line, in the order they stand at the bottom of the log
const awaiting = new Map(); // id → a line of ours confirmed before its message arrived

// A token an app handed this tab (/#room&token=JWT): kept for the tab, never in the address bar.
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
  const stay = room ?? "main"; // a bad address keeps you where you are
  if (asked) notify(`“${asked}” is not a room name (1-64 letters, digits, “-”, “_” or “.”), so you are still in #${stay}.`);
  return stay;
}

room = roomFromUrl();
const chorus = new Chorus({ name: tab.name, token: tab.token ?? null });

// ---- showing things ----
// The log follows new messages while you are at the bottom, also when something above or
// below it (a notice, a growing message box) changes its height.
let following = true;
scroller.addEventListener("scroll", () => {
  following = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 8;
  if (following) $("below").hidden = true;
});
const follow = () => {
  if (following) scroller.scrollTop = scroller.scrollHeight;
};
new ResizeObserver(follow).observe(scroller);
$("below").addEventListener("click", () => {
  following = true;
  $("below").hidden = true;
  follow();
});

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

function showMessage(m, replayed = false) {
  newest = m.id;
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
  fillMessage(item, m.from, when, m.text, m.own || Boolean(waiting), m.user);
  if (!waiting) {
    appendItem(item);
    if (!following) $("below").hidden = false;
  }
  if (document.hidden && !replayed) {
    unread += 1;
    document.title = `(${unread}) Chorus`;
  }
}

function notify(text, lasting = false) {
  $("notice").textContent = text;
  clearTimeout(noticeTimer);
  if (text && !lasting) noticeTimer = setTimeout(() => { $("notice").textContent = ""; }, NOTICE_MS);
}

function showLogNotice(text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  appendItem(item);
}

function showPresence() {
  const list = $("online");
  if (chorus.state !== "open" || !presence) {
    $("online-count").textContent = "–";
    const li = document.createElement("li");
    li.className = "offline";
    li.textContent = "Not connected";
    list.replaceChildren(li);
    return;
  }
  $("online-count").textContent = String(presence.online);
  if (!presence.members) { // a room too big to list
    const li = document.createElement("li");
    li.textContent = `${presence.online.toLocaleString()} people: too many to list`;
    list.replaceChildren(li);
    return;
  }
  let marked = false;
  const shown = new Map(); // name → how many show it: two verified users may
  for (const { name } of presence.members) shown.set(name, (shown.get(name) ?? 0) + 1);
  list.replaceChildren(...presence.members.map(({ name, user }) => {
    const li = document.createElement("li");
    const who = document.createElement("bdi");
    who.textContent = name;
    li.append(who);
    if (user) li.append(" ", verifiedMark(user));
    if (user && shown.get(name) > 1) { // told apart by who they are
      const id = document.createElement("span");
      id.className = "user-id";
      id.textContent = ` (${user})`;
      li.append(id);
    }
    if (!marked && name === chorus.name && (user ?? null) === chorus.user) {
      marked = true;
      li.className = "you";
      li.append(" (you)");
    }
    return li;
  }));
}

// ---- pending messages: this room's outbox, at the bottom of the log ----
const excerpt = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

// What a pending line says; it is drawn again only when that changes (a long outbox would
// otherwise be redrawn, and the page laid out again, for every message confirmed).
const pendingStatus = (entry) => (entry.refused ? `refused ${entry.refused.code}`
  : chorus.state === "open" ? "sending" : chorus.state === "stopped" ? "stopped" : "waiting");

function showPending(entry) {
  let item = pendingItems.get(entry.ref);
  const shown = pendingStatus(entry);
  if (item?.dataset.status === shown) return;
  if (!item) {
    item = document.createElement("li");
    log.appendChild(item);
    pendingItems.set(entry.ref, item);
  }
  item.dataset.status = shown;
  item.className = entry.refused ? "refused own" : "pending";
  fillMessage(item, chorus.name || "you", new Date(entry.at), entry.text, true);
  const status = document.createElement("p");
  status.className = "status";
  if (entry.refused) refusedStatus(status, entry);
  else status.textContent = chorus.state === "open" ? "Sending…" : chorus.state === "stopped" ? "Not sent" : "Waiting for the connection…";
  item.append(status);
}

function showAllPending(entries) {
  entries.forEach(showPending);
  follow();
}

// Refused for good (the library retries what is passing): say why, and offer to try again.
function refusedStatus(status, entry) {
  const from = view.room;
  status.textContent = `Not sent: ${entry.refused.message} `;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.textContent = "Retry";
  retry.setAttribute("aria-label", `Retry sending “${excerpt(entry.text)}”`);
  retry.addEventListener("click", () => {
    from.discard(entry.ref);
    from.send(entry.text).catch(() => {});
  });
  const discard = document.createElement("button");
  discard.type = "button";
  discard.textContent = "Discard";
  discard.className = "secondary";
  discard.setAttribute("aria-label", `Discard “${excerpt(entry.text)}”`);
  discard.addEventListener("click", () => from.discard(entry.ref));
  status.append(retry, " ", discard);
}

function showOutbox({ entries, confirmed: done }) {
  if (done) confirmed(done);
  const refs = new Set(entries.map((e) => e.ref));
  for (const [ref, item] of pendingItems) {
    if (refs.has(ref)) continue;
    item.remove();
    pendingItems.delete(ref);
  }
  showAllPending(entries);
}

// Shown as sent now; the message that follows fills the line in where it stands.
function confirmed(s) {
  const item = pendingItems.get(s.ref);
  pendingItems.delete(s.ref);
  if (!item) return;
  if (!isNewer(s.id, newest)) {
    item.remove(); // its message is already on screen (or was, above)
    return;
  }
  item.classList.remove("pending");
  item.querySelector(".status")?.remove();
  item.dataset.id = s.id;
  awaiting.set(s.id, item);
  appendItem(item);
}

// ---- the connection's state ----
const STATE_TEXT = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  offline: "offline: waiting for the network…",
  closed: "room closed",
  disconnected: "disconnected",
  banned: "refused for a while",
  refused: "refused",
  expired: "signed out",
  ended: "closed",
};
// What each stop means to a person; the page reconnects only when asked (the button).
const STOP_TEXT = {
  closed: () => "This room was closed by an operator.",
  disconnected: () => "You were disconnected by an operator.",
  expired: () => "Your sign-in for this chat expired: open it again from your app.",
  banned: (reason) => `An operator refused you here for a while (${reason}).`,
  refused: (reason) => `The server refused this chat: ${reason}.`,
};
// Why a reconnect is taking long, when the server said.
const WAIT_TEXT = {
  unavailable: (message) => `reconnecting: ${message}`,
  busy: (message) => `reconnecting: ${message}`,
  unreachable: () => "reconnecting: the server does not answer",
};

// The library's state and reason, as the page shows them.
function shownState({ state, reason }) {
  if (state === "open") return "connected";
  if (state === "stopped") return reason === "room-closed" ? "closed" : reason === "closed" ? "ended" : reason;
  if (state === "reconnecting" && reason === "offline") return "offline";
  return state;
}

function showState({ state, reason, message }) {
  const shown = shownState({ state, reason });
  document.body.dataset.state = shown;
  $("state").textContent = state === "reconnecting" && WAIT_TEXT[reason] ? WAIT_TEXT[reason](message) : STATE_TEXT[shown];
  sendButton.textContent = state === "open" ? "Send" : "Send later";
  sendButton.disabled = state === "stopped"; // nothing would send it: the person must act first
  const stop = state === "stopped" ? STOP_TEXT[shown] : null;
  $("rejoin").hidden = !stop;
  if (stop) notify(stop(message), true); // it stays: it explains the state
  showPresence();
  if (view) showAllPending(view.room.pending());
}

chorus.on("state", showState);
chorus.on("welcome", (w) => {
  // A generated name is not asked for again: the person id brings it back, across reconnects and reloads.
  tab.name = /^guest-\d+$/.test(w.name) ? "" : w.name;
  saveTab();
  nameInput.readOnly = Boolean(w.user); // a verified user's name is its token's
  if (w.user) nameStatus(`✓ verified as ${w.user}`, false, true);
  if (document.activeElement !== nameInput) nameInput.value = w.name; // never under someone's typing
  updateCounter();
});
chorus.on("error", (e) => {
  if (e.code !== "bad-name" && e.code !== "name-taken") {
    notify(e.message);
    return;
  }
  if (chosenBefore !== undefined) { // nothing changed: the next new tab starts from the name before
    if (chosenBefore === null) localStorage.removeItem(NAME_KEY);
    else localStorage.setItem(NAME_KEY, chosenBefore);
    chosenBefore = undefined;
  }
  tab.name = chorus.name;
  saveTab();
  nameInput.value = chorus.name;
  nameStatus(chorus.name ? `${e.message} You are still ${chorus.name}.` : `${e.message}. You are a guest for now.`, true);
});

$("rejoin").addEventListener("click", () => {
  notify("");
  // A room that put this tab out (closed) is followed again only now, when asked.
  for (const [name, followed] of [...views]) if (!chorus.rooms.includes(followed.room)) views.delete(name);
  view = null;
  enterRoom(true);
  chorus.connect();
});

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  unread = 0;
  document.title = "Chorus";
  if (chorus.state === "reconnecting") chorus.connect();
});

// ---- rooms: every room followed is on the one socket; the one shown is in the URL ----
function followRoom(name) {
  let followed = views.get(name);
  if (followed) return followed;
  followed = { room: chorus.room(name), messages: [], unread: 0, typing: new Map(), presence: null };
  views.set(name, followed);
  const shown = () => view === followed;
  const { room: r } = followed;
  r.on("message", (m) => {
    followed.messages.push(m);
    if (followed.messages.length > (shown() ? MAX_LOG_ITEMS : MAX_KEPT)) followed.messages.shift();
    followed.typing.delete(m.session);
    if (shown()) {
      showMessage(m);
      showTyping();
    } else if (!m.own) {
      followed.unread += 1;
      showRooms();
    }
  });
  r.on("presence", (p) => {
    followed.presence = p;
    if (!shown()) return;
    presence = p;
    showPresence();
  });
  r.on("outbox", (outbox) => { if (shown()) showOutbox(outbox); });
  r.on("reset", (reset) => {
    const text = reset.reason === "history-exceeded"
      ? "Some messages sent while you were away are no longer kept, so they are missing here."
      : "Chorus began this room's history again (it restarted or lost its storage): the messages above are from before.";
    followed.messages.push({ notice: text });
    if (shown()) showLogNotice(text);
  });
  r.on("typing", (t) => {
    if (chorus.isOwn(t)) return;
    followed.typing.set(t.session, { name: t.name, until: Date.now() + TYPING_SHOWN_MS });
    if (shown()) showTyping();
  });
  r.on("left", (left) => {
    views.delete(name);
    saveRooms();
    if (left.code === 4001 && shown()) {
      document.body.dataset.state = "closed";
      $("state").textContent = STATE_TEXT.closed;
      sendButton.disabled = true;
      $("rejoin").hidden = false;
      notify(STOP_TEXT.closed(), true);
      views.set(name, followed); // shown still, until the person acts
    }
    showRooms();
  });
  r.on("error", (e) => {
    notify(`#${name}: ${e.message}`);
    if (!shown()) leaveRoom(name);
  });
  saveRooms();
  showRooms();
  return followed;
}

function leaveRoom(name) {
  const followed = views.get(name);
  if (!followed) return;
  followed.room.leave();
  views.delete(name);
  saveRooms();
  if (followed === view) location.hash = views.keys().next().value ?? "main";
  showRooms();
}

function saveRooms() {
  tab.rooms = [...views.keys()];
  saveTab();
}

function showRooms() {
  const list = $("rooms");
  list.replaceChildren(...[...views.entries()].map(([name, followed]) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${name}`;
    link.textContent = `#${name}`;
    if (followed === view) link.setAttribute("aria-current", "page");
    li.append(link);
    if (followed.unread > 0 && followed !== view) {
      const count = document.createElement("span");
      count.className = "unread";
      count.textContent = String(followed.unread);
      count.setAttribute("aria-label", `${followed.unread} unread`);
      link.append(" ", count);
    }
    if (views.size > 1) {
      const leave = document.createElement("button");
      leave.type = "button";
      leave.className = "secondary leave";
      leave.textContent = "×";
      leave.setAttribute("aria-label", `Leave #${name}`);
      leave.addEventListener("click", () => leaveRoom(name));
      li.append(" ", leave);
    }
    return li;
  }));
}

let typingTimer = null;
function showTyping() {
  const now = Date.now();
  const names = [];
  for (const [session, t] of view?.typing ?? []) {
    if (t.until < now) view.typing.delete(session);
    else names.push(t.name);
  }
  $("typing").textContent = names.length === 0 ? ""
    : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
  clearTimeout(typingTimer);
  if (names.length) typingTimer = setTimeout(showTyping, 1000);
}

function enterRoom(first) {
  room = roomFromUrl();
  if (location.hash !== `#${room}`) history.replaceState(null, "", `#${room}`); // the room actually shown
  roomInput.value = room;
  $("room-name").textContent = room;
  if (views.get(room) === view && !first) return;
  if (view) view.messages.splice(0, view.messages.length - MAX_KEPT); // the room no longer shown keeps less
  view = followRoom(room);
  view.unread = 0;
  log.replaceChildren();
  pendingItems.clear();
  awaiting.clear();
  newest = null;
  lastDay = null;
  presence = null;
  for (const m of view.messages) {
    if (m.notice) showLogNotice(m.notice);
    else showMessage(m, true);
  }
  presence = view.presence;
  showPresence();
  showTyping();
  showRooms();
  showAllPending(view.room.pending());
}

// ---- the message box ----
const byteLength = (text) => new TextEncoder().encode(text).length;
const maxBytes = () => chorus.limits?.maxBytes ?? 16384;

function updateCounter() {
  const used = byteLength(input.value);
  const limit = maxBytes();
  const counter = $("counter");
  const over = used > limit;
  input.setAttribute("aria-invalid", String(over));
  counter.classList.toggle("over", over);
  if (over) counter.textContent = `Too long by ${(used - limit).toLocaleString()} bytes (limit ${limit.toLocaleString()})`;
  else if (used > limit * 0.8) counter.textContent = `${(limit - used).toLocaleString()} bytes left`;
  else counter.textContent = "";
}

function growBox() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
}

input.addEventListener("input", () => {
  updateCounter();
  growBox();
  if (input.value.trim()) view?.room.typing();
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
  if (byteLength(text) > maxBytes()) {
    updateCounter();
    notify(`This message is too long to send: shorten it to ${maxBytes().toLocaleString()} bytes.`);
    return;
  }
  view.room.send(text).catch(() => {}); // a final refusal stays in the outbox, shown with its reason
  input.value = "";
  updateCounter();
  growBox();
  following = true;
  follow();
  notify("");
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
  if (chorus.user) return;
  const problem = nameProblem(nameInput.value);
  if (problem) {
    nameStatus(`${problem} You are still ${chorus.name || "a guest"}.`, true);
    nameInput.value = chorus.name; // the field shows who you are
    return;
  }
  const name = normalizeName(nameInput.value);
  nameInput.value = name;
  if (name === chorus.name) {
    if (nameInput.getAttribute("aria-invalid") === "true") nameStatus("", false);
    return;
  }
  tab.name = name;
  saveTab();
  chosenBefore = localStorage.getItem(NAME_KEY);
  localStorage.setItem(NAME_KEY, name); // where the next new tab starts
  chorus.rename(name);
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

window.addEventListener("hashchange", () => enterRoom(false));

nameInput.value = tab.name;
saveTab();
for (const name of tab.rooms) if (name !== room && ROOM_RULE.test(name)) followRoom(name);
enterRoom(true);
chorus.connect();
