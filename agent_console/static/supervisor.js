// The supervisor's wallboard: queue tiles (now + today), every agent's state with its time in
// state, sign-out / pause / listen actions, and playing a call's recording. Live over the WebSocket
// (agent messages; queue messages trigger a refetch) and a refetch of /api/v1/wallboard every 5 s.
// Every value is inserted with textContent (never innerHTML).
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var view = { agents: {}, queues: [] };

  var api = window.Console.api;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function fmtDuration(s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
  }

  var fmtTime = window.Console.fmtTime;

  // -- queue tiles --------------------------------------------------------------------------
  function renderQueues() {
    var box = $("queue-tiles");
    box.replaceChildren();
    view.queues.forEach(function (q) {
      var tile = el("div", null, "tile" + (q.waiting > 0 ? " hot" : ""));
      tile.setAttribute("data-queue", q.queue);
      tile.appendChild(el("h3", t("queue." + q.queue)));
      var dl = el("dl");
      [["sup.waiting", q.waiting, "waiting"], ["sup.longest", fmtDuration(q.longest_wait_s), "longest"],
       ["sup.available", q.available, "available"], ["sup.answered", q.answered, "answered"],
       ["sup.abandoned", q.abandoned, "abandoned"],
       ["sup.service_level", q.service_level === null || q.service_level === undefined ? "—"
         : Math.round(q.service_level * 100) + "%", "service-level"]].forEach(function (f) {
        dl.appendChild(el("dt", t(f[0])));
        var dd = el("dd", f[1]);
        dd.setAttribute("data-field", f[2]);
        dl.appendChild(dd);
      });
      tile.appendChild(dl);
      box.appendChild(tile);
    });
  }

  // -- agents --------------------------------------------------------------------------------
  var ORDER = ["ringing", "on_call", "wrap_up", "ready", "paused", "logged_out"];

  function renderAgents() {
    var body = $("agent-rows");
    body.replaceChildren();
    Object.keys(view.agents).map(function (ext) { return view.agents[ext]; }).sort(function (a, b) {
      return (ORDER.indexOf(a.state) - ORDER.indexOf(b.state)) || (a.ext < b.ext ? -1 : 1);
    }).forEach(function (a) {
      var tr = el("tr");
      tr.setAttribute("data-ext", a.ext);
      tr.appendChild(el("td", a.ext));
      tr.appendChild(el("td", a.name || ""));
      var state = el("td", null, "agent-state");
      var label = el("span", t("state." + (a.state || "logged_out")), "state-label");
      label.setAttribute("data-state", a.state || "logged_out");
      state.appendChild(label);
      if (a.state === "paused" && a.reason) { state.appendChild(el("span", " (" + a.reason + ")", "agent-reason")); }
      tr.appendChild(state);
      var since = el("td", "", "num in-state");
      since.setAttribute("data-since", a.since || "");
      tr.appendChild(since);
      var actions = el("td", null, "row-actions");
      var pause = el("button", t("sup.pause"), "act-pause");
      pause.type = "button";
      pause.disabled = ["ready", "paused"].indexOf(a.state) < 0;
      pause.addEventListener("click", function () { act(a.ext, "pause", { reason: $("sup-pause-reason").value }); });
      var out = el("button", t("sup.signout"), "act-logout");
      out.type = "button";
      out.disabled = ["ready", "paused"].indexOf(a.state) < 0;
      out.addEventListener("click", function () { act(a.ext, "logout"); });
      // Listen: the server rings the supervisor's own phone, which then hears the agent's call.
      var listen = el("button", t("sup.listen"), "act-listen");
      listen.type = "button";
      listen.title = t("sup.listen_title");
      listen.disabled = a.state !== "on_call";
      listen.addEventListener("click", function () { listenTo(a.ext); });
      actions.appendChild(pause);
      actions.appendChild(out);
      actions.appendChild(listen);
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    tick();
  }

  function tick() {
    var cells = document.querySelectorAll("#agent-rows td.in-state");
    for (var i = 0; i < cells.length; i++) {
      var since = cells[i].getAttribute("data-since");
      cells[i].textContent = since ? fmtDuration((Date.now() - Date.parse(since)) / 1000) : "";
    }
  }

  function act(ext, command, body) {
    $("sup-error").textContent = "";
    $("sup-status").textContent = "";
    api("POST", "/api/v1/agents/" + encodeURIComponent(ext) + "/" + command, body).then(function (r) {
      if (r.status === 200) { agentChanged(r.body); }
      else { $("sup-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); }
    });
  }

  function listenTo(ext) {
    $("sup-error").textContent = "";
    $("sup-status").textContent = "";
    api("POST", "/api/v1/agents/" + encodeURIComponent(ext) + "/listen").then(function (r) {
      if (r.status === 202) { $("sup-status").textContent = t("sup.listen_calling") + " (" + ext + ")"; }
      else { $("sup-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); }
    });
  }

  // What became of this supervisor's own listen (ivr/acd/listen.py: listen_message).
  var LISTEN_OK = { answered: true, ended: true };
  function listenOutcome(msg) {
    var text = t("sup.listen_" + msg.result) + " " + msg.agent;
    $("sup-status").textContent = LISTEN_OK[msg.result] ? text : "";
    $("sup-error").textContent = LISTEN_OK[msg.result] ? "" : text;
  }

  function agentChanged(msg) {
    var old = view.agents[msg.ext] || { ext: msg.ext };
    var merged = Object.assign({}, old, msg);
    delete merged.type;
    view.agents[msg.ext] = merged;
    renderAgents();
  }

  // -- the wallboard snapshot -----------------------------------------------------------------
  function load() {
    return api("GET", "/api/v1/wallboard").then(function (r) {
      if (r.status !== 200) { return; }
      view.queues = r.body.queues;
      $("sup-today").textContent = window.Console.fmtDay(r.body.today);   // the server's day, in the hotline's zone
      r.body.agents.forEach(function (a) { view.agents[a.ext] = Object.assign(view.agents[a.ext] || {}, a); });
      renderQueues();
      renderAgents();
    });
  }

  var loadTimer = null;
  function loadSoon() {
    clearTimeout(loadTimer);
    loadTimer = setTimeout(load, 300);
  }

  // -- recordings ----------------------------------------------------------------------------
  function loadCalls() {
    return api("GET", "/api/v1/calls?limit=10").then(function (r) {
      if (r.status !== 200) { return; }
      var body = $("rec-calls");
      body.replaceChildren();
      r.body.calls.forEach(function (c) {
        var tr = el("tr", null, "clickable");
        tr.setAttribute("data-linkedid", c.linkedid);
        tr.appendChild(el("td", fmtTime(c.started_at)));
        tr.appendChild(el("td", c.caller_number));
        tr.appendChild(el("td", c.agent || ""));
        tr.appendChild(el("td", c.outcome ? t("call." + c.outcome) : ""));
        tr.addEventListener("click", function () { play(c.linkedid, c); });
        body.appendChild(tr);
      });
    });
  }

  function play(linkedid, call) {
    linkedid = (linkedid || "").trim();
    $("rec-linkedid").value = linkedid;
    window.Console.playRecording(linkedid, { audio: $("rec-audio"), playing: $("rec-playing"), error: $("rec-error") }, call);
  }

  // -- live ----------------------------------------------------------------------------------
  function connected() { load(); loadCalls(); }

  function liveMessage(msg) {
    if (msg.type === "hello") { view.me = msg.ext; }
    else if (msg.type === "listen") { if (msg.ext === view.me) { listenOutcome(msg); } }
    else if (msg.type === "agent") {
      agentChanged(msg);
      if (msg.state === "wrap_up" || msg.state === "ready") { loadCalls(); }
      loadSoon();
    } else if (msg.type === "queue") { loadSoon(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var role = document.querySelector('meta[name="me-role"]');
    $("nav-audit").hidden = !(role && role.content === "admin");   // the page itself refuses anyone else
    $("rec-form").addEventListener("submit", function (event) { event.preventDefault(); play($("rec-linkedid").value); });
    window.I18N.onChange(function () { renderQueues(); renderAgents(); loadCalls(); });
    setInterval(tick, 1000);
    setInterval(load, 5000);
    window.I18N.ready.then(function () { window.Console.live(connected, liveMessage); });
  });
})();
