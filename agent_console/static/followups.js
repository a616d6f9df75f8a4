// The abandoned-call worklist: oldest first; "Call" rings my phone, then the citizen; then one of
// three outcomes. Supervisors: the surge switch per scope, with its log. Text only via textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api, when = window.Console.fmtTime;
  var BRANCH = { 1: "queue.emergency", 2: "queue.cdc", 3: "queue.doctors", 4: "queue.violations" };
  var OUTCOMES = ["reached", "no_answer", "wrong_number"];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function button(label, cls, onClick) {
    var b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function cell(tr, content, cls, label) {
    var td = el("td", typeof content === "string" || typeof content === "number" ? content : null, cls);
    if (label) { td.setAttribute("data-label", t(label)); }
    if (content && typeof content === "object") { td.appendChild(content); }
    tr.appendChild(td);
    return td;
  }

  function show(id, text) { $(id).textContent = text || ""; }

  function failed(r, where) {
    var error = (r.body && r.body.error) || String(r.status);
    // The refusal an agent meets most: his phone is not signed in. Said in his language.
    show(where, t("error.generic") + ": " + (error.indexOf("not registered") >= 0 ? t("fu.phone_offline") : error));
  }

  function row(f) {
    var tr = el("tr");
    tr.setAttribute("data-id", f.id);
    tr.setAttribute("data-number", f.number);
    cell(tr, f.number, "number", "fu.number");
    cell(tr, BRANCH[f.branch] ? t(BRANCH[f.branch]) : "—", null, "fu.branch");
    cell(tr, when(f.abandoned_at) + (f.callback_request_id ? " · " + t("fu.from_callback") : ""), null, "fu.when");
    cell(tr, f.wait_s === null ? "—" : Math.round(f.wait_s) + " " + t("fu.seconds"), null, "fu.wait");
    cell(tr, f.attempts + (f.last_agent ? " · " + f.last_agent : ""), "attempts", "fu.attempts");
    var actions = el("div", null, "actions");
    actions.appendChild(button(t("fu.call"), "primary call", function () { call(f.id); }));
    if (f.last_agent && f.last_outcome === null) {
      OUTCOMES.forEach(function (o) {
        var b = button(t("fu." + o), "outcome", function () { outcome(f.id, o); });
        b.setAttribute("data-outcome", o);
        actions.appendChild(b);
      });
    }
    cell(tr, actions);
    return tr;
  }

  function load() {
    return api("GET", "/api/v1/followups").then(function (r) {
      if (r.status !== 200) { failed(r, "fu-error"); return; }
      show("fu-error");
      var body = $("fu-rows");
      body.replaceChildren();
      r.body.followups.forEach(function (f) { body.appendChild(row(f)); });
      $("fu-empty").hidden = r.body.followups.length > 0;
      $("fu-count").textContent = String(r.body.followups.length);
    });
  }

  function call(id) {
    show("fu-status");
    api("POST", "/api/v1/followups/" + id + "/call").then(function (r) {
      if (r.status !== 202) { failed(r, "fu-error"); return; }
      show("fu-error");
      show("fu-status", t("fu.calling"));
      load();
    });
  }

  function outcome(id, value) {
    api("POST", "/api/v1/followups/" + id + "/outcome", { outcome: value }).then(function (r) {
      if (r.status !== 200) { failed(r, "fu-error"); return; }
      show("fu-error");
      show("fu-status", t("fu.saved") + " " + t("fu." + value));
      load();
    });
  }

  // -- the surge switch (supervisors) ------------------------------------------------------------
  function scopeName(s) { return s.scope === "all" ? t("surge.hotline") : t("queue." + s.scope); }

  function surgeRow(s) {
    var tr = el("tr", null, s.enabled ? "hot" : "");
    tr.setAttribute("data-scope", s.scope);
    cell(tr, scopeName(s));
    cell(tr, s.enabled ? t("surge.on") : t("surge.off"), "surge-state");
    cell(tr, s.message || "");
    cell(tr, button(s.enabled ? t("surge.turn_off") : t("surge.turn_on"), s.enabled ? "" : "primary",
                    function () { switchSurge(s, !s.enabled); }));
    return tr;
  }

  function loadSurge() {
    if (!$("surge-panel")) { return Promise.resolve(); }
    return api("GET", "/api/v1/surge").then(function (r) {
      if (r.status !== 200) { failed(r, "surge-error"); return; }
      var rows = $("surge-rows");
      rows.replaceChildren();
      r.body.surge.forEach(function (s) { rows.appendChild(surgeRow(s)); });
      var log = $("surge-log");
      log.replaceChildren();
      (r.body.history || []).slice(0, 8).forEach(function (h) {
        log.appendChild(el("li", when(h.changed_at) + " · " + h.changed_by + " · " + scopeName(h) + " · " +
                                 (h.enabled ? t("surge.on") : t("surge.off"))));
      });
    });
  }

  function switchSurge(s, enabled) {
    var body = { enabled: enabled, message: enabled ? $("surge-message").value : "" };
    if (s.branch) { body.branch = s.branch; }
    api("POST", "/api/v1/surge", body).then(function (r) {
      if (r.status !== 200) { failed(r, "surge-error"); return; }
      show("surge-error");
      show("surge-status", r.body.asterisk === "pending" ? t("surge.pending") : "");
      loadSurge();
    });
  }

  window.I18N.onChange(function () { load(); loadSurge(); });
  load();
  loadSurge();
  setInterval(load, 15000);
}());
