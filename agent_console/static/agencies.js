// The admins' agency directory: GET /api/v1/agencies?all=1 lists every entry; the form creates one
// (POST /api/v1/admin/agencies) or edits the chosen one (PATCH .../{id}); "Deactivate"/"Activate"
// flips it. The transfer number (phone) is digits; a blank one is sent as "" and clears it. The API checks everything; its error is shown as it is. Values go in with textContent.
"use strict";
(function () {
  var t = function (key) { return window.I18N.t(key); };
  var $ = function (id) { return document.getElementById(id); };
  var api = window.Console.api;
  var editing = null, entries = [];

  function branchBoxes() { return Array.prototype.slice.call(document.querySelectorAll('input[name="ag-branch"]')); }

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function button(key, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = t(key);
    b.setAttribute("data-action", key);
    b.addEventListener("click", action);
    return b;
  }

  function render() {
    var body = $("ag-rows");
    body.replaceChildren();
    entries.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-id", a.id);
      tr.className = a.active ? "" : "inactive";
      cell(tr, a.name);
      cell(tr, a.contact);
      cell(tr, a.phone || "").setAttribute("data-field", "phone");
      cell(tr, a.branches.map(function (b) { return t("rp.branch." + b); }).join(", "));
      cell(tr, t(a.active ? "ag.active" : "ag.inactive")).setAttribute("data-field", "active");
      var actions = cell(tr, "");
      actions.className = "row-actions";
      actions.appendChild(button("ag.edit", function () { edit(a); }));
      actions.appendChild(button(a.active ? "ag.deactivate" : "ag.activate", function () {
        save(a.id, { active: !a.active });
      }));
      body.appendChild(tr);
    });
  }

  function load() {
    return api("GET", "/api/v1/agencies?all=1").then(function (r) {
      if (r.status !== 200) { $("ag-error").textContent = t("error.generic") + ": " + (r.body.error || r.status); return; }
      entries = r.body.agencies;
      render();
    });
  }

  function edit(a) {
    editing = a ? a.id : null;
    $("ag-name").value = a ? a.name : "";
    $("ag-contact").value = a ? a.contact : "";
    $("ag-phone").value = a && a.phone ? a.phone : "";
    branchBoxes().forEach(function (box) { box.checked = !!a && a.branches.indexOf(Number(box.value)) >= 0; });
    $("ag-active").checked = a ? a.active : true;
    $("ag-form-title").textContent = t(a ? "ag.editing" : "ag.new");
    $("ag-cancel").hidden = !a;
    $("ag-error").textContent = "";
  }

  function save(id, body) {
    $("ag-error").textContent = "";
    $("ag-status").textContent = "";
    var request = id === null ? api("POST", "/api/v1/admin/agencies", body)
                              : api("PATCH", "/api/v1/admin/agencies/" + id, body);
    return request.then(function (r) {
      if (r.status === 409) { $("ag-error").textContent = t("ag.taken"); return; }
      if (r.status !== 200 && r.status !== 201) {
        $("ag-error").textContent = t("error.generic") + ": " + (r.body.error || r.status);
        return;
      }
      $("ag-status").textContent = t("ag.saved") + " " + r.body.name;
      edit(null);
      return load();
    });
  }

  function submit(event) {
    event.preventDefault();
    var body = { name: $("ag-name").value, contact: $("ag-contact").value, phone: $("ag-phone").value.trim(),
                 active: $("ag-active").checked,
                 branches: branchBoxes().filter(function (b) { return b.checked; }).map(function (b) { return Number(b.value); }) };
    // The API refuses these too (400); said here in the page's language.
    if (!body.name.trim()) { $("ag-error").textContent = t("ag.need_name"); return; }
    if (!body.branches.length) { $("ag-error").textContent = t("ag.need_branch"); return; }
    if (body.phone && !/^[0-9]{3,15}$/.test(body.phone)) { $("ag-error").textContent = t("ag.bad_phone"); return; }
    save(editing, body);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("ag-form").addEventListener("submit", submit);
    $("ag-cancel").addEventListener("click", function () { edit(null); });
    window.I18N.onChange(function () { render(); $("ag-form-title").textContent = t(editing === null ? "ag.new" : "ag.editing"); });
    window.I18N.ready.then(load);
  });
})();
