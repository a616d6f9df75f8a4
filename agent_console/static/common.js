// Shared by the console's pages: the API call (same-origin cookie + CSRF header) and time formatting.
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

  window.Console = { api: api, fmtTime: fmtTime };
})();
