// The browser phone (docs/webrtc.md): JsSIP (static/vendor/jssip.js, built from webphone/ by `make`)
// registers the signed-in person's own SIP account over the console's proxied WebSocket
// (/api/v1/phone/ws). The registration state is always on screen; a lost WebSocket is shown at
// once (the controller pauses the agent `phone-offline` until the phone registers again).
// window.Phone: its state, for the tests (registered, elapsed call seconds); each change of registration is a
// "phone:registration" event on document (agent.js keeps Ready off while the queues ring this phone and it is offline).
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api;
  var timer = { startedAt: null, handle: null };
  var phone = window.Phone = {
    registered: false, ua: null, session: null, state: "idle", wasConnected: false,
    elapsed: function () { return timer.startedAt ? Math.floor((Date.now() - timer.startedAt) / 1000) : 0; }
  };

  // A message: {key} from the catalog (kept as data-i18n, so it follows a language switch and a catalog
  // that arrives after it), or a text of SIP's or the server's as it is.
  function say(id, message) {
    var node = $(id);
    if (message && message.key) {
      node.setAttribute("data-i18n", message.key);
      node.textContent = t(message.key);
    } else {
      node.removeAttribute("data-i18n");
      node.textContent = message || "";
    }
  }

  // -- registration ----------------------------------------------------------------------------
  function showRegistration(reg, reason) {
    var node = $("phone-reg");
    node.setAttribute("data-reg", reg);
    node.setAttribute("data-i18n", "phone.reg." + reg);
    node.textContent = t("phone.reg." + reg);
    say("phone-reason", reason || "");
    phone.registered = reg === "registered";
    if (phone.state === "idle") { setPhone("idle"); }
    document.dispatchEvent(new CustomEvent("phone:registration", { detail: { registered: phone.registered } }));
  }

  function start() {
    if (!window.JsSIP) { showRegistration("unavailable", "JsSIP"); return; }
    api("GET", "/api/v1/phone/credential").then(function (r) {
      if (r.status !== 200) { showRegistration("unavailable", r.body.error || String(r.status)); return; }
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new window.JsSIP.WebSocketInterface(scheme + location.host + r.body.ws_path);
      var ua = phone.ua = new window.JsSIP.UA({
        sockets: [socket], uri: r.body.uri, authorization_user: r.body.authorization_user,
        password: r.body.password, display_name: r.body.display_name, register: true,
        register_expires: 120, session_timers: false, user_agent: "1022 console",
        connection_recovery_min_interval: 2, connection_recovery_max_interval: 10
      });
      bindUa(ua);
      ua.start();
    });
  }

  function bindUa(ua) {
    ua.on("connected", function () { phone.wasConnected = true; });
    ua.on("disconnected", function () {
      showRegistration(phone.wasConnected ? "reconnecting" : "failed", { key: "phone.reason.ws_lost" });
      if (phone.session) { say("phone-error", { key: "phone.reason.call_lost" }); }
    });
    ua.on("registered", function () { showRegistration("registered"); });
    ua.on("unregistered", function () {
      if (phone.registered) { showRegistration("reconnecting", { key: "phone.reason.ws_lost" }); }
    });
    ua.on("registrationFailed", function (e) { showRegistration("failed", e.cause || ""); });
    ua.on("newRTCSession", function (e) { if (e.originator === "remote") { incoming(e.session); } });
  }

  // -- a call ------------------------------------------------------------------------------------
  function setPhone(state) {
    phone.state = state;
    $("phone").setAttribute("data-phone", state);
    var shown = state === "idle" && !phone.registered ? "offline" : state;      // idle: ready only when registered
    $("phone-status").setAttribute("data-i18n", "phone.status." + shown);
    $("phone-status").textContent = t("phone.status." + shown);
    $("phone-ringing").hidden = state !== "ringing";
    $("phone-call").hidden = state !== "on_call" && state !== "on_hold";
    $("phone-timer").hidden = !timer.startedAt;
  }

  function incoming(session) {
    if (phone.session) { session.terminate({ status_code: 486 }); return; }     // one call at a time
    phone.session = session;
    say("phone-error", "");
    session.on("peerconnection", function (e) { attachAudio(e.peerconnection); });
    session.on("accepted", function () { startTimer(); setPhone("on_call"); });
    session.on("hold", function () { setPhone("on_hold"); toggle("phone-hold", true, "phone.unhold"); });
    session.on("unhold", function () { setPhone("on_call"); toggle("phone-hold", false, "phone.hold"); });
    session.on("muted", function () { toggle("phone-mute", true, "phone.unmute"); });
    session.on("unmuted", function () { toggle("phone-mute", false, "phone.mute"); });
    session.on("ended", ended);
    session.on("failed", function (e) {
      if (e.cause === window.JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) { micRefused(); }
      ended();
    });
    setPhone("ringing");
    loadTransferAgencies();     // the directory as it is now, by the time the agent may transfer
  }

  function attachAudio(pc) {
    pc.addEventListener("track", function (e) { $("phone-audio").srcObject = e.streams[0]; });
  }

  function ended() {
    phone.session = null;
    stopTimer();
    toggle("phone-hold", false, "phone.hold");
    toggle("phone-mute", false, "phone.mute");
    setPhone("idle");
  }

  function toggle(id, pressed, key) {
    var button = $(id);
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    button.setAttribute("data-i18n", key);
    button.textContent = t(key);
  }

  function answer() {
    if (!phone.session) { return; }
    var mic = $("phone-mic").value;
    phone.session.answer({
      mediaConstraints: { audio: mic ? { deviceId: { exact: mic } } : true, video: false },
      pcConfig: { iceServers: [] }, rtcOfferConstraints: { offerToReceiveAudio: true }
    });
  }

  // -- the call timer ----------------------------------------------------------------------------
  function startTimer() {
    timer.startedAt = Date.now();
    timer.handle = setInterval(tick, 1000);
    tick();
  }
  function stopTimer() { clearInterval(timer.handle); timer.startedAt = null; }
  function tick() {
    var s = Math.floor((Date.now() - timer.startedAt) / 1000);
    $("phone-timer").textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // -- the microphone --------------------------------------------------------------------------
  function micRefused() { say("phone-error", { key: "phone.mic_refused" }); }

  function listMicrophones() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) { return; }
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var select = $("phone-mic"), mics = devices.filter(function (d) { return d.kind === "audioinput"; });
      mics.forEach(function (d, i) {
        if (!d.deviceId || d.deviceId === "default") { return; }
        var option = document.createElement("option");
        option.value = d.deviceId;
        option.textContent = d.label || (t("phone.mic") + " " + (i + 1));
        select.appendChild(option);
      });
      if (!mics.length) { say("phone-error", { key: "phone.mic_missing" }); }
    });
  }

  // Blind transfer: a REFER to agent-transfer's target (dialplan/extensions_transfer.conf). Once Asterisk
  // says the caller is on their way (NOTIFY 2xx), this phone hangs up its leg and tells the page
  // ("phone:transferred" {target, label}: agent.js fills the wrap-up of a call forwarded to an agency); a
  // refusal keeps the call: a REFER answered with an error (404: no such target, e.g. an agency deactivated
  // since the menu was filled) or a failed NOTIFY.
  function transfer(session, target, label) {
    say("phone-error", "");
    var refused = function () { say("phone-error", { key: "phone.transfer_failed" }); };
    session.refer("sip:" + target + "@" + location.hostname, { eventHandlers: {
      accepted: function () {
        if (phone.session !== session) { return; }
        document.dispatchEvent(new CustomEvent("phone:transferred", { detail: { target: target, label: label } }));
        session.terminate();
      },
      requestFailed: refused, failed: refused
    } });
  }

  // The transfer menu's agencies: the directory's active entries with a phone (GET /api/v1/agencies), as
  // "name — number"; the target agency-<id> makes Asterisk dial the number the directory has then.
  function loadTransferAgencies() {
    if (!$("phone-transfer-form")) { return Promise.resolve(); }     // the supervisor's card: no transfers
    return api("GET", "/api/v1/agencies").then(function (r) {
      if (r.status !== 200) { return; }
      var group = $("phone-transfer-agencies");
      var reachable = r.body.agencies.filter(function (a) { return a.phone; });
      group.replaceChildren.apply(group, reachable.map(function (a) {
        var option = new Option(a.name + " — " + a.phone, "agency-" + a.id);
        option.setAttribute("data-name", a.name);
        return option;
      }));
      group.hidden = !reachable.length;
    });
  }

  function labelTransferGroups() {
    if (!$("phone-transfer-form")) { return; }
    $("phone-transfer-queues").label = t("phone.transfer.queues");
    $("phone-transfer-agencies").label = t("phone.transfer.agencies");
  }

  // -- buttons -----------------------------------------------------------------------------------
  function bindButtons() {
    $("phone-answer").addEventListener("click", answer);
    $("phone-decline").addEventListener("click", function () { if (phone.session) { phone.session.terminate({ status_code: 486 }); } });
    $("phone-hangup").addEventListener("click", function () { if (phone.session) { phone.session.terminate(); } });
    $("phone-mute").addEventListener("click", function () {
      if (!phone.session) { return; }
      if (phone.session.isMuted().audio) { phone.session.unmute({ audio: true }); } else { phone.session.mute({ audio: true }); }
    });
    $("phone-hold").addEventListener("click", function () {
      if (!phone.session) { return; }
      if (phone.session.isOnHold().local) { phone.session.unhold(); } else { phone.session.hold(); }
    });
    $("phone-keypad").addEventListener("click", function (e) {
      var key = e.target.getAttribute && e.target.getAttribute("data-key");
      if (key && phone.session) { phone.session.sendDTMF(key, { transportType: "RFC2833" }); }
    });
    if (!$("phone-transfer-form")) { return; }
    $("phone-transfer-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var chosen = $("phone-transfer").selectedOptions[0];
      if (phone.session && chosen) { transfer(phone.session, chosen.value, chosen.getAttribute("data-name") || ""); }
    });
  }

  bindButtons();
  window.I18N.onChange(labelTransferGroups);
  window.I18N.ready.then(labelTransferGroups);
  loadTransferAgencies();
  setPhone("idle");
  listMicrophones();
  start();
})();
