// The supervisor's live view: every agent's state, kept current by the WebSocket.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var agents = {};

  function render() {
    var body = document.getElementById("agent-rows");
    body.replaceChildren();
    Object.keys(agents).sort().forEach(function (ext) {
      var a = agents[ext], tr = document.createElement("tr");
      [a.ext, a.name || "", t("state." + a.state) + (a.reason ? " (" + a.reason + ")" : "")].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function load() {
    fetch("/api/v1/agents", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (b) {
      (b.agents || []).forEach(function (a) { agents[a.ext] = a; });
      render();
    });
  }

  var backoff = 500;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/ws");
    ws.onopen = function () { backoff = 500; load(); };
    ws.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "agent") {
        agents[msg.ext] = Object.assign(agents[msg.ext] || {}, msg);
        render();
      }
    };
    ws.onclose = function () { setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000); };
  }

  document.addEventListener("DOMContentLoaded", function () {
    window.I18N.onChange(render);
    window.I18N.ready.then(connect);
  });
})();
