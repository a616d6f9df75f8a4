// Tickets (phản ánh): search, detail with history, status changes, a ticket without a call.
// Ticket text is only ever inserted with textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var NEXT = { open: ["forwarded", "closed"], forwarded: ["verified", "open", "closed"], verified: ["closed"], closed: ["open"] };
  var current = null;

  var api = window.Console.api;

  function row(parent, values, onClick) {
    var tr = document.createElement("tr");
    values.forEach(function (v) { var td = document.createElement("td"); td.textContent = v === null ? "" : String(v); tr.appendChild(td); });
    if (onClick) { tr.className = "clickable"; tr.addEventListener("click", onClick); }
    parent.appendChild(tr);
  }

  var when = window.Console.fmtTime;

  function search(event) {
    if (event) { event.preventDefault(); }
    var q = encodeURIComponent($("search-q").value), s = encodeURIComponent($("search-status").value);
    api("GET", "/api/v1/tickets/search?q=" + q + "&status=" + s).then(function (r) {
      var body = $("ticket-rows");
      body.replaceChildren();
      (r.body.tickets || []).forEach(function (k) {
        row(body, ["#" + k.id, k.caller_number, k.category, t("ticket." + k.status), when(k.updated_at)], function () { show(k.id); });
      });
    });
  }

  function show(id) {
    api("GET", "/api/v1/tickets/" + id).then(function (r) {
      if (r.status !== 200) { return; }
      current = r.body;
      render();
    });
  }

  // The wrap-up's history row is stored as "wrap-up: <outcome>" (db/wrapups.py); shown in the page's words.
  function note(text) {
    var m = /^wrap-up: ([a-z_]+)$/.exec(text || "");
    return m ? t("history.wrapup") + ": " + t("outcome." + m[1]) : text;
  }

  function render() {
    if (!current) { return; }
    var k = current;
    $("detail").hidden = false;
    $("d-id").textContent = k.id;
    $("d-number").textContent = k.caller_number || "—";
    $("d-category").textContent = k.category;
    $("d-status").textContent = t("ticket." + k.status);
    $("d-status").setAttribute("data-status", k.status);
    $("d-agency").textContent = k.agency || "—";
    $("d-summary").textContent = k.summary || "—";
    var select = $("move-status");
    select.replaceChildren();
    NEXT[k.status].forEach(function (s) {
      var o = document.createElement("option"); o.value = s; o.textContent = t("ticket." + s); select.appendChild(o);
    });
    var body = $("history-rows");
    body.replaceChildren();
    k.history.forEach(function (h) { row(body, [when(h.at), h.by, t("ticket." + h.status), note(h.note)]); });
  }

  function move(event) {
    event.preventDefault();
    var body = { status: $("move-status").value, note: $("move-note").value };
    if ($("move-agency").value.trim()) { body.agency = $("move-agency").value.trim(); }
    api("POST", "/api/v1/tickets/" + current.id + "/status", body).then(function (r) {
      if (r.status !== 200) { $("move-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      $("move-error").textContent = "";
      $("move-form").reset();
      current = r.body;
      render();
      search();
    });
  }

  function create(event) {
    event.preventDefault();
    var body = { caller_number: $("new-number").value, branch: parseInt($("new-branch").value, 10),
                 category: $("new-category").value, summary: $("new-summary").value };
    api("POST", "/api/v1/tickets", body).then(function (r) {
      if (r.status !== 201) { $("new-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      $("new-error").textContent = "";
      $("new-form").reset();
      current = r.body;
      render();
      search();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("search-form").addEventListener("submit", search);
    $("move-form").addEventListener("submit", move);
    $("new-form").addEventListener("submit", create);
    // The first list once the words are in, however late they come; then again on every language switch.
    window.I18N.ready.then(function () {
      window.I18N.onChange(function () { render(); search(); });
      search();
    });
  });
})();
