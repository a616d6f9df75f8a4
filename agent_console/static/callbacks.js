// The supervisors' keep-place callbacks (docs/callbacks.md): newest first, with their state, attempts and
// linked calls; refreshed every 5 s and when the language changes. Every value goes in with textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api, fmtTime = window.Console.fmtTime;
  var QUEUE_OF_BRANCH = { 2: "cdc", 3: "doctors", 4: "violations" };

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (cls) { td.className = cls; }
    tr.appendChild(td);
  }

  function row(item) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-id", item.id);
    tr.setAttribute("data-state", item.state);
    cell(tr, fmtTime(item.requested_at));
    cell(tr, item.number, "number");
    cell(tr, item.branch + " · " + t("queue." + (QUEUE_OF_BRANCH[item.branch] || item.queue)));
    cell(tr, t("callback.lang." + item.language));
    cell(tr, t("callback.state." + item.state) + (item.merged_into ? " → #" + item.merged_into : ""), "cb-state cb-state-" + item.state);
    cell(tr, item.attempts);
    cell(tr, item.agent_ext || "");
    cell(tr, item.linked_calls.join(", "), "calls");
    return tr;
  }

  function load() {
    var state = $("cb-state").value;
    $("cb-error").textContent = "";
    return api("GET", "/api/v1/callbacks?limit=200" + (state ? "&state=" + encodeURIComponent(state) : "")).then(function (r) {
      if (r.status !== 200) { $("cb-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      $("cb-rows").replaceChildren.apply($("cb-rows"), r.body.callbacks.map(row));
      $("cb-empty").hidden = r.body.callbacks.length > 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("cb-state").addEventListener("change", load);
    window.I18N.ready.then(function () { window.I18N.onChange(load); load(); setInterval(load, 5000); });
  });
})();
