// The written-requests queue: oldest first with the time waited against the target; claim, reply
// (public, the citizen reads it) or note (internal), forward, resolve. Text only via textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api, when = window.Console.fmtTime;
  var me = (document.querySelector('meta[name="me-ext"]') || {}).content;
  var BRANCH = { 2: "queue.cdc", 3: "queue.doctors", 4: "queue.violations" };
  var state = { rows: [], target: 0, current: null, loadedAt: Date.now() };

  function waited(seconds) {
    var s = Math.max(0, Math.floor(seconds)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + " " + t("wr.hours") + " " : "") + m + " " + t("wr.minutes");
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) { td.className = className; }
    tr.appendChild(td);
    return td;
  }

  function drawQueue() {
    var body = $("wr-rows");
    body.replaceChildren();
    $("wr-target").textContent = state.target ? String(state.target / 3600) : "";
    $("wr-empty").hidden = state.rows.length > 0;
    state.rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.className = "clickable" + (r.overdue ? " overdue" : "");
      tr.setAttribute("data-id", r.id);
      tr.setAttribute("data-code", r.tracking_code || "");
      cell(tr, r.tracking_code, "code");
      cell(tr, t(BRANCH[r.branch]));
      var w = cell(tr, waited(r.waited_s) + (r.overdue ? " · " + t("wr.overdue") : ""), "waiting" + (r.overdue ? " hot" : ""));
      w.setAttribute("data-overdue", r.overdue ? "1" : "0");
      cell(tr, r.claimed_by || t("wr.unclaimed"));
      tr.addEventListener("click", function () { open(r.id); });
      body.appendChild(tr);
    });
  }

  function load() {
    var branch = $("wr-branch").value;
    return api("GET", "/api/v1/written-requests" + (branch ? "?branch=" + encodeURIComponent(branch) : ""))
      .then(function (r) {
        if (r.status !== 200) { $("wr-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
        $("wr-error").textContent = "";
        state.rows = r.body.requests; state.target = r.body.target_s; state.loadedAt = Date.now();
        drawQueue();
      });
  }

  // A row of the queue is enough to show a request not yet claimed; once it is the agent's, the ticket (with history).
  function open(id) {
    var row = state.rows.filter(function (r) { return r.id === id; })[0];
    $("d-error").textContent = "";
    if (row && row.claimed_by !== me) { state.current = Object.assign({ history: null }, row); drawDetail(); return; }
    api("GET", "/api/v1/tickets/" + id).then(function (r) {
      if (r.status === 200) { state.current = Object.assign({ waited_s: row ? row.waited_s : null }, r.body); drawDetail(); }
    });
  }

  function historyNote(h) {
    if (h.note === "claimed") { return t("wr.history_claimed"); }
    return h.note ? (h.public ? t("wr.public") : t("wr.internal")) + ": " + h.note : "";
  }

  function drawDetail() {
    var k = state.current;
    if (!k) { return; }
    $("wr-detail").hidden = false;
    $("d-code").textContent = k.tracking_code || "#" + k.id;
    $("d-status").textContent = t("ticket." + k.status);
    $("d-status").setAttribute("data-status", k.status);
    $("d-waited").textContent = k.waited_s === null || k.waited_s === undefined ? "—" : waited(k.waited_s);
    $("d-name").textContent = k.citizen_name || "—";
    $("d-phone").textContent = k.caller_number || "—";
    $("d-channel").textContent = k.channel ? t("rp.ch." + k.channel) : "—";
    var hint = k.channel === "sms" ? "wr.reply_hint_sms" : "wr.reply_hint";   // an SMS request's reply is an SMS
    $("reply-hint").setAttribute("data-i18n", hint);
    $("reply-hint").textContent = t(hint);
    $("d-area").textContent = k.citizen_area || "—";
    $("d-agency").textContent = k.agency || "—";
    $("d-claimed").textContent = k.claimed_by || t("wr.unclaimed");
    $("d-text").textContent = k.summary;
    drawCitizenCalls(k.citizen_calls);
    var mine = k.claimed_by === me, active = k.status !== "closed";
    $("claim").hidden = !!k.claimed_by || !active;
    $("work").hidden = !(mine && active);
    $("forward-form").hidden = k.status !== "open";
    var body = $("d-history");
    body.replaceChildren();
    (k.history || []).forEach(function (h) {
      var tr = document.createElement("tr");
      cell(tr, when(h.at)); cell(tr, h.by); cell(tr, t("ticket." + h.status)); cell(tr, historyNote(h));
      if (h.public) { tr.className = "public"; }
      body.appendChild(tr);
    });
  }

  // The calls from the request's phone number (only on the ticket itself: the claimer's or a supervisor's view).
  function drawCitizenCalls(calls) {
    var ul = $("d-calls");
    ul.replaceChildren();
    var lines = (calls || []).map(function (c) {
      return [when(c.started_at), c.queue ? t("queue." + c.queue) : "", c.outcome ? t("call." + c.outcome) : ""]
        .filter(function (part) { return part; }).join(" · ");
    });
    if (!lines.length) { lines = [t(calls ? "pop.none" : "wr.calls_after_claim")]; }
    lines.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
  }

  function done(r) {
    if (r.status !== 200) {
      $("d-error").textContent = r.status === 409 && state.current && !state.current.claimed_by
        ? t("wr.claimed_other") : t("error.generic") + ": " + (r.body.error || r.status);
      load();
      return;
    }
    $("d-error").textContent = "";
    state.current = Object.assign({ waited_s: state.current.waited_s }, r.body);
    drawDetail();
    load();
  }

  function claim() { api("POST", "/api/v1/tickets/" + state.current.id + "/claim").then(done); }

  function reply(isPublic) {
    var text = $("reply-text").value.trim();
    if (!text) { return; }
    api("POST", "/api/v1/tickets/" + state.current.id + "/replies", { text: text, "public": isPublic }).then(function (r) {
      if (r.status === 200) { $("reply-text").value = ""; }
      done(r);
    });
  }

  function move(status, agency) {
    var body = { status: status };
    if (agency) { body.agency = agency; }
    api("POST", "/api/v1/tickets/" + state.current.id + "/status", body).then(done);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("wr-branch").addEventListener("change", load);
    $("claim").addEventListener("click", claim);
    $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); reply(true); });
    $("save-note").addEventListener("click", function () { reply(false); });
    $("forward-form").addEventListener("submit", function (e) {
      e.preventDefault();
      move("forwarded", $("forward-agency").value.trim());
    });
    $("resolve").addEventListener("click", function () { move("closed"); });
    window.I18N.ready.then(function () {
      window.I18N.onChange(function () { drawQueue(); drawDetail(); });
      load();
    });
    window.setInterval(load, 30000);
  });
})();
