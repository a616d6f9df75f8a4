// The admins' access log: who listened live to which call (and whether they heard it, for how
// long), and who played or downloaded which recording. Newest first, "More" pages on with
// next_before_id. Every value is inserted with textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api, fmtTime = window.Console.fmtTime;
  var MISSED = { no_answer: true, busy: true, congestion: true, failed: true };

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }

  function heardFor(row) {
    if (!row.answered_at || !row.ended_at) { return ""; }
    var s = Math.max(0, Math.round((Date.parse(row.ended_at) - Date.parse(row.answered_at)) / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // A row of a log: [text] or [text, class] per cell.
  function logRow(id, cells) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-id", id);
    cells.forEach(function (c) { cell(tr, c[0], c[1]); });
    return tr;
  }

  function resultClass(result) {
    return result === "answered" ? "result result-answered" : (MISSED[result] ? "result result-missed" : "result");
  }

  function listenRow(row) {
    return logRow(row.id, [[fmtTime(row.at)], [row.listener_ext], [t("role." + row.listener_role)], [row.agent_ext],
      [row.linkedid], [row.result ? t("audit.result." + row.result) : t("audit.ringing"), resultClass(row.result)],
      [heardFor(row), "heard"], [row.remote_addr]]);
  }

  function accessRow(row) {
    return logRow(row.id, [[fmtTime(row.at)], [row.ext], [t("role." + row.role)], [t("audit.action." + row.action)],
      [row.linkedid], [row.remote_addr]]);
  }

  // One log on the page: its API path, the key of its rows, and how a row is drawn.
  function Log(path, key, draw, ids) {
    var before = null;
    function load(more) {
      var url = path + "?limit=50" + (more && before ? "&before_id=" + before : "");
      $(ids.error).textContent = "";
      return api("GET", url).then(function (r) {
        if (r.status !== 200) { $(ids.error).textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
        var body = $(ids.rows);
        if (!more) { body.replaceChildren(); }
        r.body[key].forEach(function (row) { body.appendChild(draw(row)); });
        before = r.body.next_before_id;
        $(ids.more).hidden = !before;
      });
    }
    $(ids.more).addEventListener("click", function () { load(true); });
    return load;
  }

  // SIP bans (ivr/sip_guard.py): an active one has a button that lifts it (DELETE, then the list again).
  function banState(ban) {
    if (ban.active) { return [t("sipban.active"), "result result-missed"]; }
    return ban.lifted_by ? [t("sipban.lifted") + " " + ban.lifted_by, "result"] : [t("sipban.ended"), "result"];
  }

  function banRow(ban, reload) {
    var state = banState(ban);
    var tr = logRow(ban.id, [[ban.address], [fmtTime(ban.banned_at)], [fmtTime(ban.until)], [ban.failures],
      [ban.accounts], state]);
    var td = document.createElement("td");
    if (ban.active) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "lift";
      button.textContent = t("sipban.lift");
      button.addEventListener("click", function () {
        button.disabled = true;
        api("DELETE", "/api/v1/admin/sip-bans/" + ban.id).then(function (r) {
          if (r.status !== 200) { $("sipban-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); }
          reload();
        });
      });
      td.appendChild(button);
    }
    tr.appendChild(td);
    return tr;
  }

  function loadBans() {
    $("sipban-error").textContent = "";
    return api("GET", "/api/v1/admin/sip-bans").then(function (r) {
      if (r.status !== 200) { $("sipban-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      var body = $("sipban-rows");
      body.replaceChildren();
      r.body.bans.forEach(function (ban) { body.appendChild(banRow(ban, loadBans)); });
      if (!r.body.bans.length) {
        var tr = document.createElement("tr");
        cell(tr, t("sipban.none"), "hint");
        tr.firstChild.colSpan = 7;
        body.appendChild(tr);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var listens = Log("/api/v1/audit/live-listen", "listens", listenRow,
                      { rows: "listen-rows", more: "listen-more", error: "listen-error" });
    var accesses = Log("/api/v1/audit/recordings", "accesses", accessRow,
                       { rows: "access-rows", more: "access-more", error: "access-error" });
    function all() { listens(false); accesses(false); loadBans(); }
    window.I18N.ready.then(function () { window.I18N.onChange(all); all(); });
  });
})();
