// The citizens' portal: send a request (POST /api/v1/public/requests), show the tracking code, look a
// request up by code and phone. No session, no CSRF token: the API is public and takes only JSON.
// Whatever the server or the citizen wrote is only ever put in with textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var TZ = (document.querySelector('meta[name="hotline-tz"]') || {}).content || "Asia/Ho_Chi_Minh";
  var PARTS = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var shown = null;        // the last looked-up request, drawn again on a language switch

  function when(iso) {
    var p = {};
    PARTS.formatToParts(new Date(iso)).forEach(function (x) { p[x.type] = x.value; });
    return p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute + ":" + p.second;
  }

  function call(method, path, body) {
    var init = { method: method, credentials: "omit", headers: {} };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return { status: r.status, body: b }; });
    });
  }

  // The page's own words for a refusal; the server's (bilingual) text when it names no known field.
  function problem(r) {
    if (r.status === 429) { return t("portal.err.too_many"); }
    if (r.status === 404) { return t("portal.err.not_found"); }
    if (r.status === 400 && r.body.field) { return t("portal.err." + r.body.field); }
    return t("portal.err.generic") + (r.body && r.body.error ? " (" + r.body.error + ")" : "");
  }

  function send(event) {
    event.preventDefault();
    var subject = document.querySelector('input[name="subject"]:checked');
    var body = { subject: subject ? subject.value : "", phone: $("phone").value, name: $("name").value,
                 area: $("area").value, text: $("text").value, website: $("website").value };
    $("send").disabled = true;
    call("POST", "/api/v1/public/requests", body).then(function (r) {
      $("send").disabled = false;
      if (r.status !== 201) { $("send-error").textContent = problem(r); return; }
      $("send-error").textContent = "";
      $("sent-code").textContent = r.body.tracking_code;
      $("sent").hidden = false;
      $("lookup-code").value = r.body.tracking_code;
      $("lookup-phone").value = body.phone;
      $("text").value = "";
    }, function () { $("send").disabled = false; $("send-error").textContent = t("portal.err.generic"); });
  }

  function render() {
    if (!shown) { return; }
    $("result").hidden = false;
    $("r-code").textContent = shown.tracking_code;
    $("r-status").textContent = t("portal.st." + shown.status);
    $("r-status").setAttribute("data-status", shown.status);
    $("r-sent").textContent = when(shown.created_at);
    var list = $("r-replies");
    list.replaceChildren();
    if (!shown.replies.length) {
      var none = document.createElement("li"); none.className = "none"; none.textContent = t("portal.no_replies");
      list.appendChild(none);
    }
    shown.replies.forEach(function (reply) {
      var li = document.createElement("li"), at = document.createElement("time"), text = document.createElement("p");
      at.textContent = when(reply.at);
      text.textContent = reply.text;
      li.appendChild(at); li.appendChild(text); list.appendChild(li);
    });
  }

  function lookup(event) {
    if (event) { event.preventDefault(); }
    var code = $("lookup-code").value.replace(/[\s-]/g, "").toUpperCase();
    var phone = $("lookup-phone").value.trim();
    if (!code || !phone) { $("lookup-error").textContent = t("portal.err.not_found"); return; }
    call("GET", "/api/v1/public/requests/" + encodeURIComponent(code) + "?phone=" + encodeURIComponent(phone))
      .then(function (r) {
        if (r.status !== 200) { shown = null; $("result").hidden = true; $("lookup-error").textContent = problem(r); return; }
        $("lookup-error").textContent = "";
        shown = r.body;
        render();
      }, function () { $("lookup-error").textContent = t("portal.err.generic"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("request-form").addEventListener("submit", send);
    $("lookup-form").addEventListener("submit", lookup);
    $("send").disabled = false;
    $("find").disabled = false;
    window.I18N.ready.then(function () { window.I18N.onChange(render); render(); });
  });
})();
