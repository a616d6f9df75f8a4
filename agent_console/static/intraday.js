// Intraday charts of one hotline day (macros.html intraday_card), from GET /api/v1/reports/intraday:
// per slot a column of received calls (grey) with the answered (green) and abandoned (red) stacked
// inside it; below, agents in the queues (bars) and the service level (dots). Drawn with DOM calls,
// no chart library; every bar and dot carries its figure in data-value (the Chromium test reads them).
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var t = function (key) { return window.I18N.t(key); };

  function node(name, attrs, text) {
    var n = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }

  function pct(x) { return x === null || x === undefined ? "—" : (Math.round(x * 1000) / 10) + "%"; }

  function shape(svg, name, attrs, slot, measure, value, label) {
    var n = node(name, attrs);
    n.setAttribute("data-slot", slot.time);
    n.setAttribute("data-measure", measure);
    n.setAttribute("data-value", value === null ? "" : String(value));
    n.setAttribute("class", measure);
    n.appendChild(node("title", {}, slot.time + " · " + label + ": " + (measure === "service_level" ? pct(value) : value)));
    svg.appendChild(n);
  }

  // The frame both charts share: width from the page, a label every 3 hours, the top value on the left.
  function frame(svg, slots, H, top, right) {
    var W = (svg.clientWidth || 360) - (right || 0), left = 30, bottom = 20;
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.style.height = H + "px";
    svg.appendChild(node("line", { x1: left, y1: H - bottom, x2: W, y2: H - bottom }));
    svg.appendChild(node("text", { x: left - 4, y: 12, "text-anchor": "end" }, String(top)));
    svg.appendChild(node("text", { x: left - 4, y: H - bottom, "text-anchor": "end" }, "0"));
    var slotW = (W - left) / Math.max(slots.length, 1), every = Math.max(1, Math.round(slots.length / 8));
    slots.forEach(function (s, i) {
      if (i % every === 0) {
        svg.appendChild(node("text", { x: left + i * slotW, y: H - 5, "text-anchor": "start" }, s.time));
      }
    });
    return { left: left, slotW: slotW, base: H - bottom, scale: (H - bottom - 16) / top };
  }

  function drawCalls(svg, slots) {
    var top = Math.max(1, Math.max.apply(null, slots.map(function (s) { return s.received; })));
    var f = frame(svg, slots, 200, top);
    slots.forEach(function (s, i) {
      var x = f.left + i * f.slotW + f.slotW * 0.1, w = Math.max(f.slotW * 0.8, 1);
      var hAnswered = s.answered * f.scale, hAbandoned = s.abandoned * f.scale, hReceived = s.received * f.scale;
      shape(svg, "rect", { x: x, y: f.base - hReceived, width: w, height: hReceived }, s, "received",
            s.received, t("rp.m.received"));
      shape(svg, "rect", { x: x, y: f.base - hAnswered, width: w, height: hAnswered }, s, "answered",
            s.answered, t("rp.m.answered"));
      shape(svg, "rect", { x: x, y: f.base - hAnswered - hAbandoned, width: w, height: hAbandoned }, s,
            "abandoned", s.abandoned, t("rp.m.abandoned"));
    });
  }

  function drawAgents(svg, slots) {
    var top = Math.max(1, Math.max.apply(null, slots.map(function (s) { return s.agents_logged_in; })));
    var f = frame(svg, slots, 150, top, 34), slScale = f.base - 16, W = svg.clientWidth || 360;
    svg.setAttribute("viewBox", "0 0 " + W + " 150");   // the right margin holds the service level's scale
    svg.appendChild(node("text", { x: W - 2, y: 20, "text-anchor": "end" }, "100%"));
    svg.appendChild(node("text", { x: W - 2, y: f.base, "text-anchor": "end" }, "0%"));
    slots.forEach(function (s, i) {
      var x = f.left + i * f.slotW + f.slotW * 0.1, w = Math.max(f.slotW * 0.8, 1), h = s.agents_logged_in * f.scale;
      shape(svg, "rect", { x: x, y: f.base - h, width: w, height: h }, s, "agents_logged_in", s.agents_logged_in,
            t("in.agents"));
      if (s.service_level !== null) {   // 100% at the top of the chart
        shape(svg, "circle", { cx: x + w / 2, cy: f.base - s.service_level * slScale, r: Math.min(4, Math.max(f.slotW / 3, 1.5)) },
              s, "service_level", s.service_level, t("rp.m.service_level"));
      }
    });
  }

  function table(body, slots) {
    body.replaceChildren();
    slots.forEach(function (s) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-slot", s.time);
      [s.time, s.received, s.answered, s.abandoned, pct(s.service_level), s.agents_logged_in, s.transferred_115,
       s.abandoned_ivr].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  // Attach to a card: dayOf() gives the day to show (YYYY-MM-DD). Returns {load, render}.
  function attach(card, dayOf) {
    var slotMin = 60, figures = null, q = function (sel) { return card.querySelector(sel); };
    function render() {
      if (!figures) { return; }
      q(".intraday-day").textContent = window.Console.fmtDay(figures.day);
      drawCalls(q(".intraday-calls"), figures.slots);
      drawAgents(q(".intraday-agents"), figures.slots);
      table(q(".intraday-rows"), figures.slots);
      card.setAttribute("data-day", figures.day);
      card.setAttribute("data-slot-min", String(figures.slot_min));
    }
    function load() {
      var day = dayOf();
      if (!day) { return Promise.resolve(); }
      return window.Console.api("GET", "/api/v1/reports/intraday?day=" + day + "&slot_min=" + slotMin).then(function (r) {
        if (r.status !== 200) {
          q(".intraday-error").textContent = t("error.generic") + ": " + (r.body.error || r.status);
          return;
        }
        q(".intraday-error").textContent = "";
        figures = r.body;
        render();
      });
    }
    card.querySelectorAll("button[data-slot]").forEach(function (b) {
      b.addEventListener("click", function () {
        slotMin = Number(b.getAttribute("data-slot"));
        card.querySelectorAll("button[data-slot]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
        load();
      });
    });
    var redraw = null;
    window.addEventListener("resize", function () { clearTimeout(redraw); redraw = setTimeout(render, 200); });
    window.I18N.onChange(render);
    return { load: load, render: render };
  }

  window.Intraday = { attach: attach };
})();
