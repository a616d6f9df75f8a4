// The supervisors' report page: GET /api/v1/reports/summary for a date range, drawn as key
// figures, two SVG charts and tables (every formula: docs/metrics.md), with the CSV download.
// Every value is inserted with textContent; the charts are built with DOM calls, no library.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api, fmtDay = window.Console.fmtDay;
  var SVG = "http://www.w3.org/2000/svg";
  // The measures shown as key figures and as the columns of the day and branch tables.
  var FIGURES = ["received", "answered", "resolved", "forwarded", "abandoned", "transferred_115", "abandoned_ivr",
                 "success_rate", "service_level", "asa_s", "aht_s"];
  var report = null, intraday = null;

  // -- formatting ---------------------------------------------------------------------------
  function locale() { return window.I18N.lang() === "vi" ? "vi-VN" : "en-GB"; }
  function pct(x) {
    if (x === null || x === undefined) { return "—"; }
    return (x * 100).toLocaleString(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + "%";
  }
  function clock(s) {
    if (s === null || s === undefined) { return "—"; }
    s = Math.round(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
  }
  function figure(name, value) {
    if (name === "success_rate" || name === "service_level") { return pct(value); }
    if (name === "asa_s" || name === "aht_s") { return clock(value); }
    return value === null || value === undefined ? "—" : Number(value).toLocaleString(locale());
  }
  function branchName(b) { return t("rp.branch." + (b === null || b === undefined ? 0 : b)); }

  function row(body, cells, attrs) {
    var tr = document.createElement("tr");
    Object.keys(attrs || {}).forEach(function (k) { tr.setAttribute(k, attrs[k]); });
    cells.forEach(function (c) {
      var td = document.createElement("td");
      td.textContent = c.text;
      if (c.field) { td.setAttribute("data-field", c.field); }
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }

  function figureCells(first, r) {
    return [{ text: first }].concat(FIGURES.map(function (n) { return { text: figure(n, r[n]), field: n }; }));
  }

  function head(id, firstKey) {
    var tr = document.createElement("tr");
    [firstKey].concat(FIGURES.map(function (n) { return "rp.m." + n; })).forEach(function (k) {
      var th = document.createElement("th");
      th.textContent = t(k);
      tr.appendChild(th);
    });
    $(id).replaceChildren(tr);
  }

  // -- charts -------------------------------------------------------------------------------
  function node(name, attrs, text) {
    var n = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function bar(svg, cls, x, y, w, h, label, data) {
    var rect = node("rect", { x: x, y: y, width: Math.max(w, 1), height: Math.max(h, 0), "class": cls });
    Object.keys(data).forEach(function (k) { rect.setAttribute("data-" + k, data[k]); });
    rect.appendChild(node("title", {}, label));
    svg.appendChild(rect);
  }

  // Received (grey) and succeeded (green) side by side for each day; a label every few days.
  function chartDays(svg, days) {
    var W = svg.clientWidth || 720, H = 230, left = 40, bottom = 24, top = 10;   // drawn at the page's scale
    var max = Math.max(1, Math.max.apply(null, days.map(function (d) { return d.received; })));
    var slot = (W - left) / Math.max(days.length, 1), w = Math.max(slot * 0.4, 0.5);
    var every = Math.ceil(days.length / 12);
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("aria-label", t("rp.chart_days"));
    svg.appendChild(node("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom }));
    svg.appendChild(node("text", { x: left - 4, y: top + 10, "text-anchor": "end" }, String(max)));
    svg.appendChild(node("text", { x: left - 4, y: H - bottom, "text-anchor": "end" }, "0"));
    days.forEach(function (d, i) {
      var x = left + i * slot + slot * 0.1, scale = (H - bottom - top) / max;
      bar(svg, "received", x, H - bottom - d.received * scale, w, d.received * scale,
          fmtDay(d.day) + " · " + t("rp.m.received") + ": " + d.received, { day: d.day, measure: "received", value: d.received });
      bar(svg, "succeeded", x + w, H - bottom - d.succeeded * scale, w, d.succeeded * scale,
          fmtDay(d.day) + " · " + t("rp.m.succeeded") + ": " + d.succeeded, { day: d.day, measure: "succeeded", value: d.succeeded });
      if (i % every === 0) {
        svg.appendChild(node("text", { x: x + w, y: H - 8, "text-anchor": "middle" }, d.day.slice(5).split("-").reverse().join("/")));
      }
    });
  }

  // One horizontal bar per branch: received, with the number at its end.
  function chartBranches(svg, branches) {
    var W = svg.clientWidth || 720, left = 170, gap = 10, h = 24;
    var H = Math.max(branches.length, 1) * (h + gap) + gap;
    svg.style.height = H + "px";
    var max = Math.max(1, Math.max.apply(null, branches.map(function (b) { return b.received; })));
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("aria-label", t("rp.chart_branches"));
    branches.forEach(function (b, i) {
      var y = gap + i * (h + gap), w = (W - left - 60) * b.received / max;
      svg.appendChild(node("text", { x: left - 6, y: y + h * 0.7, "text-anchor": "end" }, branchName(b.branch)));
      bar(svg, "received", left, y, w, h, branchName(b.branch) + ": " + b.received,
          { branch: b.branch === null ? "" : b.branch, measure: "received", value: b.received });
      svg.appendChild(node("text", { x: left + w + 6, y: y + h * 0.7 }, figure("received", b.received)));
    });
  }

  // -- the report ---------------------------------------------------------------------------
  function render() {
    if (!report) { return; }
    var totals = $("r-totals");
    totals.replaceChildren();
    FIGURES.forEach(function (n) {
      var box = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
      box.className = "kpi";
      dt.textContent = t("rp.m." + n);
      dd.textContent = figure(n, report.totals[n]);
      dd.setAttribute("data-field", n);
      box.appendChild(dt); box.appendChild(dd); totals.appendChild(box);
    });
    chartDays($("chart-days"), report.by_day);
    chartBranches($("chart-branches"), report.by_branch);
    head("r-days-head", "rp.day");
    head("r-branches-head", "rp.branch");
    $("r-days").replaceChildren();
    report.by_day.forEach(function (d) { row($("r-days"), figureCells(fmtDay(d.day), d), { "data-day": d.day }); });
    $("r-branches").replaceChildren();
    report.by_branch.forEach(function (b) {
      row($("r-branches"), figureCells(branchName(b.branch), b), { "data-branch": b.branch === null ? "" : b.branch });
    });
    $("r-agencies").replaceChildren();
    report.totals.forwarded_by_agency.forEach(function (a) {
      row($("r-agencies"), [{ text: a.agency || t("rp.no_agency") }, { text: figure("forwarded", a.forwarded), field: "forwarded" }]);
    });
    $("r-pauses").replaceChildren();
    report.pauses.by_reason.forEach(function (p) {
      row($("r-pauses"), [{ text: p.reason || t("rp.no_reason") }, { text: clock(p.paused_s), field: "paused_s" }]);
    });
    $("r-agents").replaceChildren();
    report.agents.forEach(function (a) {
      row($("r-agents"), [{ text: a.ext }, { text: clock(a.available_s) }, { text: clock(a.on_call_s) },
        { text: clock(a.wrap_up_s) }, { text: clock(a.paused_s) }, { text: pct(a.occupancy), field: "occupancy" }],
        { "data-ext": a.ext });
    });
    renderChannels();
    renderCallerMinute();
    $("r-status").textContent = report.totals.received ? "" : t("rp.none");
    $("r-report").hidden = false;
  }

  // Issue 14: received per channel (phone, web portal, SMS) by day and in total.
  function renderChannels() {
    $("r-channels").replaceChildren();
    report.by_day.map(function (d) { return [fmtDay(d.day), d, { "data-day": d.day }]; })
      .concat([[t("rp.total"), report.totals, { "data-day": "" }]]).forEach(function (line) {
        var ch = line[1].by_channel;
        row($("r-channels"), [{ text: line[0] }, { text: figure("received", ch.phone), field: "phone" },
          { text: figure("received", ch.web), field: "web" }, { text: figure("received", ch.sms), field: "sms" },
          { text: figure("received", line[1].received), field: "received" }], line[2]);
      });
  }

  // Issue 12: time to 115 per day (and the total), the survey by day, branch and agent.
  function seconds(s) { return s === null || s === undefined ? "—" : s.toLocaleString(locale(), { maximumFractionDigits: 1 }) + " s"; }
  function score(x) { return x === null || x === undefined ? "—" : x.toLocaleString(locale(), { maximumFractionDigits: 2 }); }
  function renderCallerMinute() {
    var t115 = report.time_to_115;
    $("r-t115").replaceChildren();
    t115.by_day.map(function (d) { return Object.assign({ label: fmtDay(d.day) }, d); })
      .concat([Object.assign({ label: t("rp.total"), day: "" }, t115.totals)]).forEach(function (d) {
      row($("r-t115"), [{ text: d.label }, { text: String(d.dials), field: "dials" },
        { text: seconds(d.dial_p50_s), field: "dial_p50_s" }, { text: seconds(d.dial_p90_s), field: "dial_p90_s" },
        { text: seconds(d.answer_p50_s), field: "answer_p50_s" }, { text: seconds(d.answer_p90_s), field: "answer_p90_s" },
        { text: pct(d.answered_10s_share), field: "answered_10s_share" }], { "data-day": d.day });
    });
    var survey = report.survey, lines = [];
    survey.by_day.forEach(function (d) { lines.push([fmtDay(d.day), d, { "data-day": d.day }]); });
    survey.by_branch.forEach(function (b) { lines.push([branchName(b.branch), b, { "data-branch": b.branch === null ? "" : b.branch }]); });
    survey.by_agent.forEach(function (a) { lines.push([a.agent || "—", a, { "data-ext": a.agent || "" }]); });
    lines.push([t("rp.total"), survey.totals, { "data-total": "1" }]);
    $("r-survey").replaceChildren();
    lines.forEach(function (l) {
      row($("r-survey"), [{ text: l[0] }, { text: String(l[1].asked), field: "asked" },
        { text: String(l[1].answered), field: "answered" }, { text: score(l[1].average), field: "average" },
        { text: pct(l[1].answer_rate), field: "answer_rate" }], l[2]);
    });
  }

  // The range as the API takes it (YYYY-MM-DD, the hotline's days), or null when a date is not dd/mm/yyyy.
  function query() {
    var from = window.Console.parseDay($("r-from").value), to = window.Console.parseDay($("r-to").value);
    if (!from || !to) { return null; }
    var q = "from=" + from + "&to=" + to;
    if ($("r-short").value !== "") { q += "&short_abandon_s=" + encodeURIComponent($("r-short").value); }
    if ($("r-sl").value !== "") { q += "&service_level_s=" + encodeURIComponent($("r-sl").value); }
    return q;
  }

  function load(event) {
    if (event) { event.preventDefault(); }
    var q = query();
    $("r-error").textContent = q ? "" : t("rp.bad_date");
    if (!q) { return Promise.resolve(); }
    $("r-status").textContent = t("rp.loading");
    $("r-submit").disabled = true;
    return api("GET", "/api/v1/reports/summary?" + q).then(function (r) {
      $("r-submit").disabled = false;
      if (r.status !== 200) {
        $("r-status").textContent = "";
        $("r-error").textContent = t("error.generic") + ": " + (r.body.error || r.status);
        return;
      }
      report = r.body;
      $("r-short").placeholder = String(report.range.short_abandon_s);   // the configured default
      $("r-csv").href = "/api/v1/reports/summary?" + q + "&format=csv";
      $("r-csv").hidden = false;
      $("r-survey-csv").href = "/api/v1/reports/summary?" + q + "&format=csv&table=survey_agents";
      $("r-survey-csv").hidden = false;
      render();
      intraday.load();   // the range's last day, per hour (or per 15 minutes)
    });
  }

  // The last 7 of the hotline's days, today included (its zone, not the browser's).
  function defaultRange() {
    var today = window.Console.hotlineDay();
    var weekAgo = new Date(Date.parse(today + "T00:00:00Z") - 6 * 86400000).toISOString().slice(0, 10);
    $("r-from").value = fmtDay(weekAgo);
    $("r-to").value = fmtDay(today);
  }

  document.addEventListener("DOMContentLoaded", function () {
    defaultRange();
    intraday = window.Intraday.attach($("r-intraday"), function () { return window.Console.parseDay($("r-to").value); });
    $("report-form").addEventListener("submit", load);
    var redraw = null;
    window.addEventListener("resize", function () { clearTimeout(redraw); redraw = setTimeout(render, 200); });
    window.I18N.ready.then(function () { window.I18N.onChange(render); load(); });
  });
})();
