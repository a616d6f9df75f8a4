// Shared by the console's pages: the API call (same-origin cookie + CSRF header), time formatting,
// the call-recording player (the server decides who may play which call, and audits each play)
// and the live feed with its reconnect.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf ? csrf.content : "" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; });
    });
  }

  // Dates and times are the hotline's (meta hotline-tz, IVR_TIMEZONE), never the browser's zone or
  // locale: a supervisor's laptop on UTC must see the same "today" as the wallboard.
  var TZ = (document.querySelector('meta[name="hotline-tz"]') || {}).content || "Asia/Ho_Chi_Minh";
  var PARTS = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function hotlineParts(when) {
    var out = {};
    PARTS.formatToParts(when).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }

  // The hotline's local date of `when` (default: now) as YYYY-MM-DD.
  function hotlineDay(when) {
    var p = hotlineParts(when === undefined ? new Date() : when);
    return p.year + "-" + p.month + "-" + p.day;
  }

  // YYYY-MM-DD ↔ dd/mm/yyyy (the one way a date is shown, whatever the browser's locale).
  function fmtDay(isoDay) {
    if (!isoDay) { return ""; }
    var d = String(isoDay).split("-");
    return d[2] + "/" + d[1] + "/" + d[0];
  }
  function parseDay(text) {
    var m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text || "");
    if (!m) { return null; }
    var iso = m[3] + "-" + m[2].padStart(2, "0") + "-" + m[1].padStart(2, "0");
    var check = new Date(iso + "T00:00:00Z");
    return !isNaN(check) && check.toISOString().slice(0, 10) === iso ? iso : null;
  }

  // An ISO timestamp as dd/mm/yyyy HH:MM:SS in the hotline's zone.
  function fmtTime(iso) {
    if (!iso) { return ""; }
    var p = hotlineParts(new Date(iso));
    return p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute + ":" + p.second;
  }

  // What names a call for a person: its time (the hotline's) and the caller's number, never its linkedid.
  function callLabel(call) {
    return [fmtTime(call.started_at), call.caller_number].filter(function (x) { return x; }).join(" · ");
  }

  // Plays a call's recording in ui.audio; ui.playing and ui.error get the status text. `call` (from
  // a list of calls) names it; without one the call is fetched (the same access rule as the recording).
  function playRecording(linkedid, ui, call) {
    var t = window.I18N.t;
    ui.error.textContent = "";
    ui.playing.textContent = "";
    if (!linkedid) { return Promise.resolve(); }
    return api("GET", "/api/v1/calls/" + encodeURIComponent(linkedid) + "/recording").then(function (r) {
      if (r.status === 404) { ui.error.textContent = t("sup.no_recording"); return; }
      if (r.status !== 200) { ui.error.textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      ui.audio.src = "/api/v1/recordings/" + encodeURIComponent(r.body.id);
      ui.audio.load();
      var named = call ? Promise.resolve(call) : api("GET", "/api/v1/calls/" + encodeURIComponent(linkedid))
        .then(function (c) { return c.status === 200 ? c.body : {}; });
      return named.then(function (c) { ui.playing.textContent = t("sup.playing") + " " + (callLabel(c) || "—"); });
    });
  }

  function showLive(connected) {
    var node = document.getElementById("live-status"), key = connected ? "live.connected" : "live.reconnecting";
    node.setAttribute("data-i18n", key);
    node.textContent = window.I18N.t(key);
    node.className = connected ? "live on" : "live off";
  }

  // The live feed (/api/v1/ws), shown in #live-status. onOpen runs on every (re)connect, to fetch the
  // snapshot again (what changed while the socket was down); onMessage gets each message parsed.
  // A dropped socket is retried with exponential backoff, 0.5 s doubling up to 10 s.
  function live(onOpen, onMessage) {
    var backoff = 500;
    function connect() {
      var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/ws");
      ws.onopen = function () {
        backoff = 500;
        showLive(true);
        onOpen();
      };
      ws.onmessage = function (event) { onMessage(JSON.parse(event.data)); };
      ws.onclose = function () {
        showLive(false);
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 10000);
      };
    }
    connect();
  }

  window.Console = { api: api, fmtTime: fmtTime, fmtDay: fmtDay, parseDay: parseDay, callLabel: callLabel, hotlineDay: hotlineDay, tz: TZ,
                     playRecording: playRecording, live: live };
})();
