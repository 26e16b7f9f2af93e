"use strict";
// The page: one socket to /ws, a log, an input. Text goes in with textContent, never innerHTML.
(() => {
  const log = document.getElementById("log");
  const scroller = document.querySelector("main");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const stateText = document.getElementById("state");

  // Reconnect delays grow and carry jitter, so a restarted server is not hit by every tab at once.
  const BASE_DELAY_MS = 250;
  const MAX_DELAY_MS = 10000;
  let attempt = 0;
  let socket;

  function setState(state) {
    document.body.dataset.state = state;
    stateText.textContent = state;
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  function append(text) {
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 8;
    const item = document.createElement("li");
    item.textContent = text;
    log.appendChild(item);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function connect() {
    setState(attempt === 0 ? "connecting" : "reconnecting");
    socket = new WebSocket(socketUrl());
    socket.onopen = () => {
      attempt = 0;
      setState("connected");
    };
    socket.onmessage = (event) => append(event.data);
    socket.onclose = () => {
      attempt += 1;
      setState("reconnecting");
      const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 10));
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(text);
    input.value = "";
  });

  connect();
})();
