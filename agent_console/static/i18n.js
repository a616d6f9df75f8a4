// The console's strings: one catalog (i18n.json), Vietnamese by default, choice remembered
// in localStorage and in a cookie (so server-rendered pages start in the same language).
"use strict";
(function () {
  var LANGS = ["vi", "en"];
  var stored = null;
  try { stored = window.localStorage.getItem("ivr1022.lang"); } catch (e) { stored = null; }
  var state = { lang: LANGS.indexOf(stored) >= 0 ? stored : "vi", catalog: null, listeners: [] };

  function t(key) {
    var words = state.catalog && state.catalog[state.lang];
    return (words && words[key]) || key;
  }

  function apply() {
    document.documentElement.lang = state.lang;
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = t(nodes[i].getAttribute("data-i18n"));
    }
    var holders = document.querySelectorAll("[data-i18n-placeholder]");
    for (var j = 0; j < holders.length; j++) {
      holders[j].placeholder = t(holders[j].getAttribute("data-i18n-placeholder"));
    }
    state.listeners.forEach(function (fn) { fn(state.lang); });
  }

  function setLang(lang) {
    state.lang = lang;
    try { window.localStorage.setItem("ivr1022.lang", lang); } catch (e) { /* private mode */ }
    document.cookie = "ivr1022_lang=" + lang + "; Path=/; SameSite=Strict; Max-Age=31536000";
    apply();
  }

  // Pages start from `ready` (a promise: it calls back whether the catalog came before or after the
  // page's script ran). Without the catalog the pages still work, with the words the server rendered.
  var ready = fetch("/static/i18n.json", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (catalog) { state.catalog = catalog; apply(); })
    .catch(function () { /* keep the server-rendered words */ });

  window.I18N = {
    t: t,
    lang: function () { return state.lang; },
    textIn: function (lang, key) { return (state.catalog && state.catalog[lang][key]) || key; },
    setLang: setLang,
    onChange: function (fn) { state.listeners.push(fn); },
    ready: ready
  };

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () { setLang(state.lang === "vi" ? "en" : "vi"); });
    }
  });
})();
