// The supervisor's wallboard: totals across queues and today's 115 calls, queue tiles (now + today)
// coloured by the configured thresholds, the live calls (menu, waiting, talking, 115), every
// agent's state with its time in state, sign-out / pause / listen actions, and playing a call's
// recording. Live over the WebSocket (agent messages; queue messages trigger a refetch) and a
// refetch of /api/v1/wallboard every 3 s. In large-screen mode (body.wall, /supervisor?wall=1) the
// page has no actions and no recordings. Every value is inserted with textContent (never innerHTML).
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var view = { agents: {}, queues: [], calls: [], totals: null, emergency: null, thresholds: {}, fetchedAt: 0 };
  var wall = function () { return document.body.classList.contains("wall"); };

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

  // -- thresholds: "" (fine), "warn" (amber) or "alarm" (red) --------------------------------
  // A wait or an abandon rate is bad above its limit, a service level below it.
  function level(kind, value) {
    var limits = view.thresholds[kind];
    if (!limits || value === null || value === undefined) { return ""; }
    var worse = kind === "service_level" ? function (v, l) { return v < l; } : function (v, l) { return v > l; };
    return worse(value, limits.alarm) ? "alarm" : worse(value, limits.warn) ? "warn" : "";
  }

  function pct(ratio) { return ratio === null || ratio === undefined ? "—" : Math.round(ratio * 100) + "%"; }

  // The longest wait grows between two snapshots: add the time since the snapshot while callers wait.
  function longestNow(item) {
    return item.waiting > 0 ? item.longest_wait_s + (Date.now() - view.fetchedAt) / 1000 : 0;
  }

  function figureList(dl, fields) {
    var worst = "";
    fields.forEach(function (f) {
      dl.appendChild(el("dt", t(f[0])));
      var dd = el("dd", f[1]);
      dd.setAttribute("data-field", f[2]);
      var lvl = f[3] || "";
      dd.setAttribute("data-level", lvl);
      if (lvl === "alarm" || (lvl === "warn" && worst === "")) { worst = lvl; }
      dl.appendChild(dd);
    });
    return worst;
  }

  function queueTile(q, key, title) {
    var tile = el("div", null, "tile" + (q.waiting > 0 ? " hot" : ""));
    tile.setAttribute("data-queue", key);
    tile.appendChild(el("h3", title));
    var dl = el("dl");
    var longest = longestNow(q);
    tile.setAttribute("data-level", figureList(dl, [
      ["sup.waiting", q.waiting, "waiting"],
      ["sup.longest", fmtDuration(longest), "longest", level("longest_wait_s", longest)],
      ["sup.available", q.available, "available"], ["sup.answered", q.answered, "answered"],
      ["sup.abandoned", q.abandoned, "abandoned"],
      ["sup.abandon_rate", pct(q.abandon_rate), "abandon-rate", level("abandon_rate", q.abandon_rate)],
      ["sup.service_level", pct(q.service_level), "service-level", level("service_level", q.service_level)]]));
    tile.appendChild(dl);
    return tile;
  }

  function renderQueues() {
    var box = $("queue-tiles");
    box.replaceChildren();
    view.queues.forEach(function (q) { box.appendChild(queueTile(q, q.queue, t("queue." + q.queue))); });
    var summary = $("wall-summary");
    summary.replaceChildren();
    if (view.totals) { summary.appendChild(queueTile(view.totals, "all", t("sup.all_queues"))); }
    if (view.emergency) {
      var tile = el("div", null, "tile emergency");
      tile.setAttribute("data-queue", "115");
      tile.appendChild(el("h3", t("sup.emergency")));
      var dl = el("dl");
      var now115 = view.calls.filter(function (c) { return c.phase === "calling_115" || c.phase === "at_115"; }).length;
      figureList(dl, [["sup.em_calls", view.emergency.calls, "em-calls"],
                      ["sup.em_transferred", view.emergency.transferred_115, "em-transferred"],
                      ["sup.em_fallback", view.emergency.fallback, "em-fallback"],
                      ["sup.em_now", now115, "em-now"]]);
      tile.appendChild(dl);
      summary.appendChild(tile);
    }
    if (view.followups) { summary.appendChild(followupTile(view.followups, view.surge || [])); }
  }

  // The abandoned-call worklist's size and oldest item, and the surge mode (docs/followups.md).
  function followupTile(f, surge) {
    var on = surge.filter(function (s) { return s.enabled; });
    var tile = el("div", null, "tile followups" + (on.length ? " hot" : ""));
    tile.setAttribute("data-queue", "followups");
    var link = el("a", t("wall.followups"));
    link.href = "/followups";
    var h = el("h3");
    h.appendChild(link);
    tile.appendChild(h);
    var dl = el("dl");
    var names = on.map(function (s) { return s.scope === "all" ? t("surge.hotline") : t("queue." + s.scope); });
    figureList(dl, [["fu.open", f.open, "followups-open"],
                    ["fu.oldest", f.oldest_at ? window.Console.fmtTime(f.oldest_at) : "—", "followups-oldest"],
                    ["wall.surge", names.length ? names.join(", ") : t("surge.off"), "surge-mode"]]);
    tile.appendChild(dl);
    return tile;
  }

  // -- live calls ----------------------------------------------------------------------------
  // Which column a phase is shown in (ivr/calls/live_view.py names the phases).
  var COLUMN = { menu: "menu", after: "menu", waiting: "waiting", talking: "talking", calling_115: "emergency",
                 at_115: "emergency" };

  function callDetail(c) {
    if (c.phase === "waiting") { return t("queue." + c.queue); }
    if (c.phase === "talking") {
      var agent = view.agents[c.agent];
      return [c.agent, agent && agent.name].filter(function (x) { return x; }).join(" · ");
    }
    if (c.phase === "menu") { return c.branch ? t("pop.branch") + " " + c.branch : ""; }
    return t("live." + c.phase);
  }

  function renderCalls() {
    var lists = {};
    ["menu", "waiting", "talking", "emergency"].forEach(function (col) {
      lists[col] = $("calls-" + col);
      lists[col].replaceChildren();
    });
    view.calls.forEach(function (c) {
      var col = COLUMN[c.phase];
      if (!col) { return; }
      var li = el("li", null, "call");
      li.setAttribute("data-linkedid", c.linkedid);
      li.setAttribute("data-phase", c.phase);
      li.appendChild(el("span", c.caller_number || t("live.no_number"), "caller"));
      if (c.caller_name) { li.appendChild(el("span", c.caller_name, "caller-name")); }
      if (c.emergency) { li.appendChild(el("span", t("pop.emergency"), "badge emergency")); }
      li.appendChild(el("span", callDetail(c), "detail"));
      var since = el("span", "", "since");
      since.setAttribute("data-since", c.since || "");
      since.setAttribute("data-kind", c.phase === "waiting" ? "wait" : "");
      li.appendChild(since);
      lists[col].appendChild(li);
    });
    Object.keys(lists).forEach(function (col) {
      document.querySelector('[data-count="' + col + '"]').textContent = String(lists[col].children.length);
      if (!lists[col].children.length) { lists[col].appendChild(el("li", t("live.none"), "none")); }
    });
    tick();
  }

  // -- agents --------------------------------------------------------------------------------
  var ORDER = ["ringing", "on_call", "wrap_up", "ready", "paused", "logged_out"];

  function renderAgents() {
    var body = $("agent-rows");
    body.replaceChildren();
    Object.keys(view.agents).map(function (ext) { return view.agents[ext]; }).sort(function (a, b) {
      return (ORDER.indexOf(a.state) - ORDER.indexOf(b.state)) || (a.ext < b.ext ? -1 : 1);
    }).filter(function (a) {
      return !wall() || (a.state && a.state !== "logged_out");   // the large screen: only agents in the queues
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
      if (wall()) { body.appendChild(tr); return; }       // the large screen has no actions
      var actions = el("td", null, "row-actions");
      var pause = el("button", t("sup.pause"), "act-pause");
      pause.type = "button";
      pause.disabled = ["ready", "paused"].indexOf(a.state) < 0;
      pause.addEventListener("click", function () { act(a.ext, "pause", { reason: $("sup-pause-reason").value }); });
      var out = el("button", t("sup.signout"), "act-logout");
      out.type = "button";
      out.disabled = ["ready", "paused"].indexOf(a.state) < 0;
      out.addEventListener("click", function () { act(a.ext, "logout"); });
      // Listen: the server rings the supervisor's own phone (this page's when registered), which then hears the call.
      var listen = el("button", t("sup.listen"), "act-listen");
      listen.type = "button";
      listen.title = t("sup.listen_title");
      listen.disabled = a.state !== "on_call";
      listen.addEventListener("click", function () { listenTo(a.ext, "listen"); });
      actions.appendChild(pause);
      actions.appendChild(out);
      actions.appendChild(listen);
      // Whisper (only the agent hears the supervisor) and barge (both parties do): the same phone, audited alike.
      ["whisper", "barge"].forEach(function (mode) {
        var speak = el("button", t("sup." + mode), "act-" + mode);
        speak.type = "button";
        speak.title = t("sup." + mode + "_title");
        speak.disabled = a.state !== "on_call";
        speak.addEventListener("click", function () { listenTo(a.ext, mode); });
        actions.appendChild(speak);
      });
      tr.appendChild(actions);
      body.appendChild(tr);
    });
    tick();
  }

  function tick() {
    var cells = document.querySelectorAll("#agent-rows td.in-state, #live-calls .since");
    for (var i = 0; i < cells.length; i++) {
      var since = cells[i].getAttribute("data-since");
      var seconds = since ? (Date.now() - Date.parse(since)) / 1000 : 0;
      cells[i].textContent = since ? fmtDuration(seconds) : "";
      if (cells[i].getAttribute("data-kind") === "wait") { cells[i].setAttribute("data-level", level("longest_wait_s", seconds)); }
    }
    tickLongest();
  }

  // The tiles' longest waits (and their colour) tick with the callers' waits.
  function tickLongest() {
    var items = view.queues.concat(view.totals ? [Object.assign({ queue: "all" }, view.totals)] : []);
    items.forEach(function (q) {
      var dd = document.querySelector('#queue-tiles .tile[data-queue="' + q.queue + '"] dd[data-field="longest"], ' +
                                      '#wall-summary .tile[data-queue="' + q.queue + '"] dd[data-field="longest"]');
      if (!dd) { return; }
      var longest = longestNow(q);
      dd.textContent = fmtDuration(longest);
      dd.setAttribute("data-level", level("longest_wait_s", longest));
      var tile = dd.closest(".tile");
      var levels = Array.prototype.map.call(tile.querySelectorAll("dd"), function (d) { return d.getAttribute("data-level"); });
      tile.setAttribute("data-level", levels.indexOf("alarm") >= 0 ? "alarm" : levels.indexOf("warn") >= 0 ? "warn" : "");
    });
  }

  function act(ext, command, body) {
    $("sup-error").textContent = "";
    $("sup-status").textContent = "";
    api("POST", "/api/v1/agents/" + encodeURIComponent(ext) + "/" + command, body).then(function (r) {
      if (r.status === 200) { agentChanged(r.body); }
      else { $("sup-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); }
    });
  }

  // The browser phone on this page rings when it is registered (phone.js), else the supervisor's desk phone.
  function listenTo(ext, mode) {
    $("sup-error").textContent = "";
    $("sup-status").textContent = "";
    var phone = window.Phone && window.Phone.registered ? "browser" : "desk";
    api("POST", "/api/v1/agents/" + encodeURIComponent(ext) + "/" + mode, { phone: phone }).then(function (r) {
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
      view.totals = r.body.totals;
      view.emergency = r.body.emergency;
      view.followups = r.body.followups;
      view.surge = r.body.surge;
      view.calls = r.body.calls;
      view.thresholds = r.body.thresholds || {};
      view.fetchedAt = Date.now();
      view.today = r.body.today;
      $("sup-today").textContent = window.Console.fmtDay(r.body.today);   // the server's day, in the hotline's zone
      r.body.agents.forEach(function (a) { view.agents[a.ext] = Object.assign(view.agents[a.ext] || {}, a); });
      renderQueues();
      renderAgents();
      renderCalls();
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
  function connected() { load(); if (!wall()) { loadCalls(); } }

  function liveMessage(msg) {
    if (msg.type === "hello") { view.me = msg.ext; }
    else if (msg.type === "listen") { if (msg.ext === view.me) { listenOutcome(msg); } }
    else if (msg.type === "agent") {
      agentChanged(msg);
      if ((msg.state === "wrap_up" || msg.state === "ready") && !wall()) { loadCalls(); }
      loadSoon();
    } else if (msg.type === "queue") { loadSoon(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var role = document.querySelector('meta[name="me-role"]');
    if (!wall()) {
      $("nav-audit").hidden = !(role && role.content === "admin");   // the page itself refuses anyone else
      $("nav-agencies").hidden = $("nav-audit").hidden;
      $("rec-form").addEventListener("submit", function (event) { event.preventDefault(); play($("rec-linkedid").value); });
    }
    window.I18N.onChange(function () { renderQueues(); renderAgents(); renderCalls(); if (!wall()) { loadCalls(); } });
    setInterval(tick, 1000);
    setInterval(load, 3000);
    // Today's intraday charts (the hotline's day), redrawn every minute.
    var intraday = window.Intraday.attach($("wall-intraday"), function () { return view.today || window.Console.hotlineDay(); });
    setInterval(intraday.load, 60000);
    window.I18N.ready.then(function () { window.Console.live(connected, liveMessage); intraday.load(); });
  });
})();
