// Shared by the console's pages: the API call (same-origin cookie + CSRF header), time formatting
// and the call-recording player (the server decides who may play which call, and audits each play).
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

  function fmtTime(iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleString(window.I18N.lang() === "vi" ? "vi-VN" : "en-GB", { hour12: false });
  }

  // Plays a call's recording in ui.audio; ui.playing and ui.error get the status text.
  function playRecording(linkedid, ui) {
    var t = window.I18N.t;
    ui.error.textContent = "";
    if (!linkedid) { return Promise.resolve(); }
    return api("GET", "/api/v1/calls/" + encodeURIComponent(linkedid) + "/recording").then(function (r) {
      if (r.status === 404) { ui.error.textContent = t("sup.no_recording"); return; }
      if (r.status !== 200) { ui.error.textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      ui.playing.textContent = t("sup.playing") + " " + linkedid;
      ui.audio.src = "/api/v1/recordings/" + encodeURIComponent(r.body.id);
      ui.audio.load();
    });
  }

  window.Console = { api: api, fmtTime: fmtTime, playRecording: playRecording };
})();
