// The agent's view: my state and actions, live queues, the screen pop, the wrap-up form,
// my recent calls. Caller data is only ever inserted with textContent (never innerHTML).
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var meta = function (name) { return document.querySelector('meta[name="' + name + '"]').content; };
  var ME = meta("me-ext");
  var $ = function (id) { return document.getElementById(id); };
  var CATEGORIES = {
    cdc: ["vaccination", "testing", "quarantine", "other"],
    doctors: ["f0_care", "medicine", "other"],
    violations: ["gathering", "no_mask", "business", "other"],
    emergency: ["emergency", "other"]
  };
  var view = { state: null, pop: null, wrapFor: null, queues: {} };

  var api = window.Console.api;

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }

  var fmtTime = window.Console.fmtTime;

  function fmtWait(s) {
    s = Math.max(0, Math.round(s || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // -- my state ----------------------------------------------------------------------------
  // On a call: how long it has lasted; in wrap-up: what is left of the controller's limit
  // (IVR_WRAPUP_LIMIT), after which the controller makes me ready anyway. From `since`, each second.
  var WRAPUP_LIMIT_S = parseInt(meta("wrapup-limit-s"), 10) || 120;
  function tickTimer() {
    var s = view.state, box = $("my-timer");
    var timed = s && s.since && (s.state === "on_call" || s.state === "wrap_up");
    box.hidden = !timed;
    if (!timed) { return; }
    var elapsed = (Date.now() - Date.parse(s.since)) / 1000;
    var wrap = s.state === "wrap_up";
    $("my-timer-label").textContent = t(wrap ? "me.wrapup_left" : "me.on_call_for");
    $("my-timer-value").textContent = fmtWait(wrap ? Math.ceil(WRAPUP_LIMIT_S - elapsed) : Math.floor(elapsed));
    box.setAttribute("data-timer", wrap ? "wrap_up" : "on_call");
    box.className = "timer" + (wrap && WRAPUP_LIMIT_S - elapsed <= 30 ? " late" : "");
  }
  setInterval(tickTimer, 1000);

  function renderState(s) {
    view.state = s;
    tickTimer();
    var node = $("my-state");
    node.textContent = t("state." + s.state);
    node.setAttribute("data-state", s.state);
    $("my-reason").textContent = s.state === "paused" && s.reason ? pauseReason(s.reason) : "";
    $("my-phone").setAttribute("data-phone", s.phone || "");
    $("my-phone").textContent = s.phone ? t("me.rings." + s.phone) : "";      // which phone the queues ring
    $("btn-login").disabled = s.state !== "logged_out";
    var phoneOffline = browserPhoneOffline(s);
    $("btn-ready").disabled = s.state !== "paused" || phoneOffline;        // from wrap-up only by the form
    $("ready-blocked").hidden = !(s.state === "paused" && phoneOffline);
    $("btn-pause").disabled = ["ready", "paused"].indexOf(s.state) < 0;
    $("btn-logout").disabled = ["ready", "paused"].indexOf(s.state) < 0;
    if (s.state === "wrap_up" && s.linkedid) {
      showWrapup(s.linkedid);
    } else if (view.wrapFor && s.state !== "wrap_up") {
      $("wrapup").hidden = true;
      view.wrapFor = null;
    }
    if ((s.state === "ringing" || s.state === "on_call") && s.linkedid && !(view.pop && view.pop.linkedid === s.linkedid)) {
      showPop({ linkedid: s.linkedid, caller_number: "", caller_name: "", queue: "" });
    }
    if (s.state === "ready" || s.state === "paused" || s.state === "logged_out") { $("screen-pop").hidden = true; }
  }

  // The queues ring this browser's phone (login picked it) and it is not registered: being ready would change
  // nothing (no call is offered to an unregistered phone), so Ready waits for the phone (docs/webrtc.md).
  function browserPhoneOffline(s) {
    return s.phone === "browser" && !(window.Phone && window.Phone.registered);
  }

  // Reasons the controller sets itself have words in the catalog (reason.phone-offline); the agents' own
  // are already words.
  function pauseReason(reason) {
    var key = "reason." + reason, word = t(key);
    return word === key ? reason : word;
  }

  function command(name, body) {
    $("action-error").textContent = "";
    return api("POST", "/api/v1/agents/" + ME + "/" + name, body).then(function (r) {
      if (r.status === 200) { renderState(r.body); } else { $("action-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); }
    });
  }

  // -- screen pop --------------------------------------------------------------------------
  function showPop(msg) {
    view.pop = msg;
    $("screen-pop").hidden = false;
    $("pop-number").textContent = msg.caller_number || "—";
    $("pop-name").textContent = msg.caller_name || "—";
    $("pop-branch").textContent = msg.queue ? (msg.branch ? msg.branch + " · " : "") + t("queue." + msg.queue) : "—";
    $("pop-emergency").hidden = !msg.emergency;
    $("pop-callback").hidden = String(msg.linkedid || "").indexOf("cb-") !== 0;   // a keep-place callback's placeholder
    $("pop-callback-label").hidden = $("pop-callback-info").hidden = true;
    $("pop-path").textContent = pathText(msg.ivr_path);
    fillList("pop-calls", []);
    fillList("pop-tickets", []);
    fillList("pop-requests", []);
    if (msg.caller_number) {
      api("GET", "/api/v1/callers/" + encodeURIComponent(msg.caller_number) + "/history").then(function (r) {
        if (r.status !== 200 || !view.pop || view.pop.linkedid !== msg.linkedid) { return; }
        fillList("pop-calls", r.body.calls.map(function (c) {
          return [fmtTime(c.started_at), c.queue ? t("queue." + c.queue) : "", c.outcome ? t("call." + c.outcome) : ""]
            .filter(function (part) { return part; }).join(" · ");        // no stray " · " for a missing part
        }));
        fillList("pop-tickets", r.body.tickets.map(function (k) {
          return "#" + k.id + " · " + k.category + " · " + t("ticket." + k.status) + (k.agency ? " · " + k.agency : "");
        }));
        fillList("pop-requests", (r.body.open_requests || []).map(function (k) {
          return t("rp.ch." + k.channel) + " · " + (k.tracking_code || "#" + k.id) + " · " + k.category + " · " +
            t("ticket." + k.status) + (k.claimed_by ? " · " + k.claimed_by : "");
        }));
        if (r.body.ivr_path.length) { $("pop-path").textContent = pathText(r.body.ivr_path); }
      });
    }
  }

  function pathText(steps) {
    if (!steps || !steps.length) { return "—"; }
    return steps.map(function (p) {
      var label = t("step." + p.kind), value = p.value;
      if (p.kind === "language" && t("language." + value) !== "language." + value) { value = t("language." + value); }
      return (label === "step." + p.kind ? p.kind : label) + " " + value;
    }).join(" → ");
  }

  function fillList(id, items) {
    var ul = $(id);
    ul.replaceChildren();
    if (!items.length) { items = [t("pop.none")]; }
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
  }

  // -- wrap-up -----------------------------------------------------------------------------
  function showWrapup(linkedid) {
    if (view.wrapFor === linkedid) { return; }
    view.wrapFor = linkedid;
    var queue = view.pop && view.pop.linkedid === linkedid ? view.pop.queue : "";
    var select = $("wrap-category");
    select.replaceChildren();
    (CATEGORIES[queue] || ["other"]).forEach(function (key) {
      var option = document.createElement("option");
      option.value = key;
      option.setAttribute("data-i18n", "cat." + key);
      option.textContent = t("cat." + key);
      select.appendChild(option);
    });
    $("wrapup-form").reset();
    loadAgencies(view.pop && view.pop.linkedid === linkedid ? view.pop.branch : null).then(function () {
      prefillForwarded(linkedid);
    });
    $("wrap-agency-row").hidden = true;
    $("wrap-error").textContent = "";
    $("wrap-saved").textContent = "";
    $("wrapup").hidden = false;
  }

  // A call the browser phone transferred to an agency (phone.js "phone:transferred"): its wrap-up says so
  // already — outcome forwarded, that agency — and the agent may still change both.
  function prefillForwarded(linkedid) {
    var sent = view.transferred;
    var match = sent && sent.linkedid === linkedid && /^agency-(\d+)$/.exec(sent.target);
    if (!match || view.wrapFor !== linkedid) { return; }
    var select = $("wrap-agency");
    if (!Array.prototype.some.call(select.options, function (o) { return o.value === match[1]; })) {
      select.appendChild(new Option(sent.label || sent.target, match[1]));   // serves another branch
    }
    select.value = match[1];
    $("wrap-outcome").value = "forwarded";
    $("wrap-agency-row").hidden = false;
  }

  // The agency directory's active entries serving the call's branch (all of them when it is unknown).
  function loadAgencies(branch) {
    var select = $("wrap-agency");
    var pick = function () {
      var option = new Option(t("wrap.agency_pick"), "");
      option.setAttribute("data-i18n", "wrap.agency_pick");
      return option;
    };
    select.replaceChildren(pick());
    return api("GET", "/api/v1/agencies" + (branch ? "?branch=" + encodeURIComponent(branch) : "")).then(function (r) {
      if (r.status !== 200) { return; }
      select.replaceChildren.apply(select, [pick()].concat(r.body.agencies.map(function (a) {
        return new Option(a.name, String(a.id));
      })));
    });
  }

  function submitWrapup(event) {
    event.preventDefault();
    var outcome = $("wrap-outcome").value, agency = $("wrap-agency").value;
    if (outcome === "forwarded" && !agency) { $("wrap-error").textContent = t("wrap.agency_required"); return; }
    var option = $("wrap-category").selectedOptions[0];
    var body = { category: window.I18N.textIn("vi", "cat." + option.value), outcome: outcome, notes: $("wrap-notes").value };
    if (outcome === "forwarded") { body.agency_id = Number(agency); }
    api("POST", "/api/v1/calls/" + encodeURIComponent(view.wrapFor) + "/wrapup", body).then(function (r) {
      if (r.status !== 200) { $("wrap-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      $("wrapup").hidden = true;
      $("screen-pop").hidden = true;
      view.wrapFor = null;
      $("wrap-saved").textContent = t("wrap.saved") + " " + r.body.ticket.id;
      view.savedTicket = r.body.ticket.id;
      if (r.body.agent) { renderState(r.body.agent); }
      loadCalls();
    });
  }

  // -- queues and calls ----------------------------------------------------------------------
  function renderQueues() {
    var body = $("queue-rows");
    body.replaceChildren();
    Object.keys(view.queues).forEach(function (name) {
      var q = view.queues[name], tr = document.createElement("tr");
      tr.setAttribute("data-queue", name);
      cell(tr, t("queue." + name));
      cell(tr, q.waiting, "waiting" + (q.waiting > 0 ? " hot" : ""));
      cell(tr, fmtWait(q.longest_wait_s), "num");
      cell(tr, q.available, "num");
      body.appendChild(tr);
    });
  }

  function loadQueues() {
    return api("GET", "/api/v1/queues").then(function (r) {
      if (r.status !== 200) { return; }
      r.body.queues.forEach(function (q) { view.queues[q.queue] = q; });
      renderQueues();
    });
  }

  var queueTimer = null;
  function queueChanged(msg) {
    var q = view.queues[msg.queue] || { queue: msg.queue, longest_wait_s: 0, available: 0 };
    q.waiting = msg.waiting;
    view.queues[msg.queue] = q;
    renderQueues();
    refreshQueuesSoon();                           // longest wait and free agents
  }

  function refreshQueuesSoon() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(loadQueues, 400);
  }
  setInterval(loadQueues, 5000);                   // waits grow with no event to tell us

  function loadCalls() {
    return api("GET", "/api/v1/calls?limit=10").then(function (r) {
      if (r.status !== 200) { return; }
      var body = $("call-rows");
      body.replaceChildren();
      r.body.calls.forEach(function (c) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-linkedid", c.linkedid);
        cell(tr, fmtTime(c.started_at));
        cell(tr, c.caller_number);
        cell(tr, c.queue ? t("queue." + c.queue) : (c.branch || ""));
        cell(tr, c.outcome ? t("call." + c.outcome) : "");
        tr.appendChild(playCell(c));
        body.appendChild(tr);
      });
    });
  }

  // My own answered calls can be heard again (the server allows the agent who took the call).
  function playCell(c) {
    var td = document.createElement("td");
    if (c.agent === ME && c.outcome === "answered") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "act-play";
      button.textContent = t("calls.play");
      button.addEventListener("click", function () {
        window.Console.playRecording(c.linkedid, { audio: $("rec-audio"), playing: $("rec-playing"), error: $("rec-error") }, c);
      });
      td.appendChild(button);
    }
    return td;
  }

  function loadMe() {
    return api("GET", "/api/v1/agents").then(function (r) {
      if (r.status !== 200) { return; }
      var mine = r.body.agents.filter(function (a) { return a.ext === ME; })[0];
      renderState(mine || { ext: ME, state: "logged_out" });
    });
  }

  // A keep-place callback reached me: whom we call, for which branch, in which language, asked how long ago.
  var CALLBACK_QUEUES = { 2: "cdc", 3: "doctors", 4: "violations" };
  function showCallback(msg) {
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(msg.requested_at)) / 60000));
    $("screen-pop").hidden = false;
    $("pop-callback").hidden = false;
    $("pop-callback-label").hidden = $("pop-callback-info").hidden = false;
    $("pop-number").textContent = msg.number;
    $("pop-branch").textContent = msg.branch + " · " + t("queue." + CALLBACK_QUEUES[msg.branch]);
    $("pop-callback-info").textContent = [msg.number, msg.branch + " · " + t("queue." + CALLBACK_QUEUES[msg.branch]),
      t("callback.lang." + msg.language), minutes + " " + t("callback.ago"), t("callback.state." + msg.state)].join(" — ");
  }

  // -- live --------------------------------------------------------------------------------
  function connected() { loadMe(); loadQueues(); loadCalls(); }    // the snapshot after every (re)connect

  function liveMessage(msg) {
    if (msg.type === "ringing" && msg.ext === ME) { showPop(msg); }
    else if (msg.type === "callback" && msg.ext === ME) { showCallback(msg); }
    else if (msg.type === "agent" && msg.ext === ME) {
      renderState(msg);
      if (msg.state === "ready") { loadCalls(); }
      refreshQueuesSoon();                         // free agents change with my state
    }
    else if (msg.type === "queue") { queueChanged(msg); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The controller picks the phone: both when both are registered, else the one that is (phone.js: this browser's).
    $("btn-login").addEventListener("click", function () { command("login"); });
    $("btn-logout").addEventListener("click", function () { command("logout"); });
    $("btn-ready").addEventListener("click", function () { command("ready"); });
    $("btn-pause").addEventListener("click", function () { command("pause", { reason: $("pause-reason").value }); });
    $("wrap-outcome").addEventListener("change", function () { $("wrap-agency-row").hidden = $("wrap-outcome").value !== "forwarded"; });
    $("wrapup-form").addEventListener("submit", submitWrapup);
    document.addEventListener("phone:registration", function () { if (view.state) { renderState(view.state); } });
    document.addEventListener("phone:transferred", function (e) {
      view.transferred = { linkedid: view.state && view.state.linkedid, target: e.detail.target, label: e.detail.label };
      prefillForwarded(view.transferred.linkedid);          // the wrap-up may be open already
    });
    window.I18N.onChange(function () {
      if (view.state) { renderState(view.state); }
      if (view.savedTicket) { $("wrap-saved").textContent = t("wrap.saved") + " " + view.savedTicket; } renderQueues(); loadCalls(); });
    window.I18N.ready.then(function () { window.Console.live(connected, liveMessage); });
  });
})();
