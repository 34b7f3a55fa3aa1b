// CrowdGuard control-room board: log in, load reports, units, tasks and places, follow the
// live stream, and do the control room's work through the API: grade overrides with a
// reason, duplicate marks, recommend and assign, unit moves, closing a task, the
// rest-of-day re-plan, and tasks opened from a call (no public report). Plain JavaScript,
// no library, no CDN.
//
// The stream is read with fetch() and a streaming reader, so the bearer token travels in
// the Authorization header (EventSource cannot send headers). The stream is opened
// *before* the REST snapshot is read, so no change made while the snapshot loads is lost.
// Every text goes into the page through textContent, never as HTML. The board holds no
// rule of its own: the moves a unit may make come with the unit (next_states), and every
// refusal shows the server's own message next to the control that was used.
"use strict";
(function () {
  const API = "/api/v1";
  const TOKEN_KEY = "crowdguard-token";
  const CGMap = window.CrowdGuardMap;
  const labels = JSON.parse(document.getElementById("board-labels").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const reportsBody = document.querySelector("#reports tbody");
  const unitsBody = document.querySelector("#units tbody");
  const recBody = document.querySelector("#recommendations tbody");
  const slotsBody = document.querySelector("#replan-slots tbody");
  const callsBody = document.querySelector("#calls tbody");
  const svg = $("board-map");

  let token = sessionStorage.getItem(TOKEN_KEY);
  let generation = 0;          // bumped on log-out: stops the running loop
  let controller = null;       // aborts the open stream
  let selected = null;         // the panel's report reference, or "task-ID" for a call's task
  let refreshTimer = null;     // reloads unit positions when the roster next moves one

  const reports = new Map();   // reference -> report summary (+ details once fetched)
  const units = new Map();     // callsign -> unit
  const tasks = new Map();     // task id -> task
  const missedBy = new Map();  // callsign -> {reference, missed, busy_until} from a recommendation
  const overrides = new Map(); // reference -> {by, reason, at} of the last override seen
  let places = { venues: new Map(), bases: new Map(), unitBases: {} };

  class AuthFailure extends Error {}
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // --- small helpers -------------------------------------------------------------------
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function when(iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleString("en-GB", {
      timeZone: "Europe/London", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString("en-GB", {
      timeZone: "Europe/London", hour: "2-digit", minute: "2-digit",
    });
  }

  // "14:05" today, "3 Dec 14:05" before (UK time).
  function shortWhen(iso) {
    if (!iso) { return ""; }
    const opts = { timeZone: "Europe/London" };
    const day = function (d) { return d.toLocaleDateString("en-GB", opts); };
    const at = new Date(iso);
    return day(at) === day(new Date()) ? clock(iso) : when(iso);
  }

  function setStatus(text, problem) {
    const line = $("status");
    line.textContent = text;
    line.classList.toggle("problem", Boolean(problem));
  }

  function words(value) { return String(value == null ? "" : value).replace(/_/g, " "); }
  function stateWords(state) { return labels.states[state] || words(state); }
  function gradeWords(grade) { return labels.grades[grade] || words(grade); }
  function placeLabel(id) {
    const place = places.venues.get(id) || places.bases.get(id);
    return place ? place.name : id;
  }

  function chip(cls, text) {
    const span = document.createElement("span");
    span.className = "chip " + cls;
    span.textContent = text;
    return span;
  }

  function button(text, cls, aria, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    if (aria) { b.setAttribute("aria-label", aria); }
    b.addEventListener("click", function () { onClick(b); });
    return b;
  }

  // Re-render a container only when what it shows has changed, so a control that has
  // the keyboard focus is not replaced by an identical one when an event arrives.
  function renderOnce(element, key, build) {
    if (element.dataset.key === key) { return; }
    element.dataset.key = key;
    element.textContent = "";
    build(element);
  }

  function showError(id, message) {
    const line = $(id);
    line.textContent = message || "";
    line.hidden = !message;
  }

  // The server's message: a string, or FastAPI's list of field errors.
  function detailText(detail) {
    if (typeof detail === "string") { return detail; }
    if (Array.isArray(detail)) {
      return detail.map(function (d) {
        const where = (d.loc || []).filter(function (p) { return p !== "body"; }).join(".");
        return (where ? where + ": " : "") + d.msg;
      }).join("; ");
    }
    return JSON.stringify(detail);
  }

  async function api(path, options) {
    const opts = Object.assign({}, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + token }, opts.headers || {});
    const response = await fetch(API + path, opts);
    if (response.status === 401) {
      throw new AuthFailure("Your session has ended: please log in again.");
    }
    if (!response.ok) {
      let detail = "HTTP " + response.status;
      try { detail = detailText((await response.json()).detail); } catch (ignored) { /* not JSON */ }
      throw new ApiError(response.status, detail);
    }
    return response.status === 204 ? null : response.json();
  }

  function post(path, body) {
    return api(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  }

  // Run an API call from a control: disable it meanwhile; on refusal, the server's message
  // goes to errorId (next to the control). Returns the answer, or null when refused.
  async function act(control, errorId, prefix, call) {
    if (control) { control.disabled = true; }
    showError(errorId, "");
    try {
      return await call();
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return null; }
      showError(errorId, prefix + error.message);
      return null;
    } finally {
      if (control && control.isConnected) { control.disabled = false; }
    }
  }

  // --- reports -------------------------------------------------------------------------
  function fromRecord(item) {
    const r = item.report;
    // A report located by venue only is placed at the venue (as the server does).
    const venue = r.location.lat == null && r.location.venue_id
      ? places.venues.get(r.location.venue_id) : null;
    const triage = item.triage || {};
    // The latest override (who, when, why) is kept with the report since migration 0007.
    if (item.override) { overrides.set(r.reference, item.override); }
    return {
      reference: r.reference, received_at: r.received_at, category: r.category,
      grade: item.grade, code: item.code, status: r.status, where: r.location.text || "",
      venue_id: r.location.venue_id,
      lat: venue ? venue.lat : r.location.lat, lon: venue ? venue.lon : r.location.lon,
      duplicates: item.duplicates, duplicate_of: r.duplicate_of, description: r.description,
      contact: r.contact, advice: triage.advice || [], anonymous: r.anonymous,
      weapons_seen: r.weapons_seen, casualties: r.casualties, overridden: item.overridden,
      rules: triage.reasons || [], triage_grade: triage.grade, triage_code: triage.code,
      detailed: true,
    };
  }

  function placeName(r) {
    const venue = r.venue_id ? places.venues.get(r.venue_id) : null;
    const parts = [];
    if (venue) { parts.push(venue.name); } else if (r.venue_id) { parts.push(r.venue_id); }
    if (r.where) { parts.push(r.where); }
    if (!parts.length && r.lat != null) { parts.push(r.lat.toFixed(4) + ", " + r.lon.toFixed(4)); }
    return parts.join(": ");
  }

  function located(r) { return r.lat != null && r.lon != null; }

  // A task opened from a call (no public report) is selected as "task-ID".
  function isCall(key) { return typeof key === "string" && key.indexOf("task-") === 0; }
  function callId(key) { return Number(key.slice(5)); }
  function keyOfTask(t) { return t.report_ref || "task-" + t.id; }
  function taskStateWords(state) {
    const text = stateWords(state);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function nameOf(key) { return isCall(key) ? "task " + callId(key) : key; }
  function targetOf(key) { return isCall(key) ? { task: callId(key) } : { report: key }; }
  function callPlace(t) {
    let found = null;
    places.venues.forEach(function (v) {
      if (Math.abs(v.lat - t.lat) < 1e-6 && Math.abs(v.lon - t.lon) < 1e-6) { found = v; }
    });
    return found ? found.name : (t.lat == null ? "" : t.lat.toFixed(4) + ", " + t.lon.toFixed(4));
  }

  function reportRow(r) {
    let row = $("report-" + r.reference);
    if (row) { return row; }
    row = document.createElement("tr");
    row.id = "report-" + r.reference;
    for (let i = 0; i < 6; i += 1) { row.appendChild(document.createElement("td")); }
    const open = button("Details", "secondary details", "Details of " + r.reference,
      function () { selectReport(r.reference, true); });
    row.cells[5].appendChild(open);
    // Newest first: before the first row received earlier than this one.
    const later = Array.prototype.find.call(reportsBody.rows, function (other) {
      const o = reports.get(other.id.slice(7));
      return o && Date.parse(o.received_at) < Date.parse(r.received_at);
    });
    reportsBody.insertBefore(row, later || null);
    return row;
  }

  function showReport(update, fresh) {
    const r = Object.assign(reports.get(update.reference) || {}, update);
    reports.set(r.reference, r);
    const row = reportRow(r);
    const cells = row.cells;
    row.dataset.grade = r.grade;
    row.dataset.category = r.category;
    row.dataset.status = r.status;
    const wasFresh = row.classList.contains("fresh");
    row.className = "grade-row-" + r.grade + (selected === r.reference ? " selected" : "");
    if (fresh || wasFresh) {
      row.classList.add("fresh");
      if (fresh) { setTimeout(function () { row.classList.remove("fresh"); }, 10000); }
    }
    cells[0].textContent = "";
    const ref = document.createElement("span");
    ref.className = "ref";
    ref.textContent = r.reference;
    const time = document.createElement("time");
    time.dateTime = r.received_at;
    time.textContent = shortWhen(r.received_at);
    time.title = "Received " + when(r.received_at);
    cells[0].appendChild(ref);
    cells[0].appendChild(document.createElement("br"));
    cells[0].appendChild(time);
    cells[1].textContent = "";
    cells[1].appendChild(chip("grade-" + r.grade, r.code));
    cells[1].appendChild(document.createTextNode(" " + gradeWords(r.grade)));
    if (r.overridden || overrides.has(r.reference)) {
      const note = document.createElement("div");
      note.className = "dupes";
      note.textContent = "overridden";
      cells[1].appendChild(note);
    }
    cells[2].textContent = labels.categories[r.category] || words(r.category);
    cells[3].textContent = placeName(r);
    cells[4].textContent = words(r.status);
    const notes = [];
    if (r.duplicate_of) { notes.push("duplicate of " + r.duplicate_of); }
    const others = (r.duplicates || []).filter(function (d) { return d !== r.duplicate_of; });
    if (others.length) { notes.push("possible duplicate of " + others.join(", ")); }
    if (notes.length) {
      const dupes = document.createElement("div");
      dupes.className = "dupes";
      dupes.textContent = notes.join("; ");
      cells[4].appendChild(dupes);
    }
    const action = cells[5];
    if (located(r) && !action.querySelector("button.recommend")) {
      action.appendChild(button("Recommend", "recommend", "Recommend a unit for " + r.reference,
        function () { recommendFor(r.reference); }));
    } else if (!located(r) && !action.querySelector(".text-only")) {
      const note = document.createElement("div");
      note.className = "dupes text-only";
      note.textContent = "Text location only";
      action.appendChild(note);
    }
    filterRow(row);
    $("no-reports").hidden = reports.size > 0;
    if (selected === r.reference) { showSelected(); }
    draw();
  }

  function gradeShown(grade) {
    const box = document.querySelector("input[data-grade='" + grade + "']");
    return !box || box.checked;
  }

  function reportShown(r) {
    const category = $("category-filter").value;
    return gradeShown(r.grade) && (!category || r.category === category);
  }

  function filterRow(row) {
    const r = reports.get(row.id.slice(7));
    row.hidden = Boolean(r) && !reportShown(r);
  }

  async function details(reference) {
    try {
      showReport(fromRecord(await api("/reports/" + encodeURIComponent(reference))), false);
    } catch (error) {
      if (error instanceof AuthFailure) { throw error; }
      // The row already shows the summary; the details come with the next snapshot.
    }
  }

  // --- the report panel ----------------------------------------------------------------
  function term(list, name, value) {
    if (value == null || value === "") { return; }
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function selectReport(reference, focus) {
    if (selected !== reference) {
      selected = reference;
      $("grade-reason").value = "";
      $("close-outcome").value = "";
      ["grade-error", "duplicate-error", "close-error", "replan-error"].forEach(function (id) {
        showError(id, "");
      });
      recBody.textContent = "";
      $("recommendations").hidden = true;
      $("dispatch-message").textContent = "";
      $("replan-result").hidden = true;
      slotsBody.textContent = "";
    }
    $("dispatch-help").hidden = true;
    showSelected();
    if (focus) { $("dispatch-title").focus(); }
    if (!isCall(reference)) {
      details(reference).catch(function (error) { signOut(error.message); });
    }
  }

  function showCall() {
    const t = tasks.get(callId(selected));
    if (!t) { return; }
    $("selected-report").hidden = false;
    $("report-only").hidden = true;
    $("selected-title").textContent = "Task " + t.id + " (call): " + (t.description || "");
    const list = $("selected-details");
    list.textContent = "";
    term(list, "Where", callPlace(t));
    term(list, "Opened", when(t.created_at) + (t.opened_by ? " by " + t.opened_by : ""));
    term(list, "Status", taskStateWords(t.state));
    term(list, "Description", t.description);
    $("recommend-selected").hidden = t.lat == null || t.state === "closed";
    $("recommend-selected").setAttribute("aria-label", "Recommend a unit for task " + t.id);
    renderTask();
    highlightSelected();
  }

  function highlightSelected() {
    document.querySelectorAll("#reports tbody tr").forEach(function (row) {
      row.classList.toggle("selected", row.id === "report-" + selected);
    });
    document.querySelectorAll("#calls tbody tr").forEach(function (row) {
      row.classList.toggle("selected", "task-" + row.id.slice(5) === selected);
    });
  }

  function showSelected() {
    if (isCall(selected)) { showCall(); return; }
    const r = reports.get(selected);
    if (!r) { return; }
    $("selected-report").hidden = false;
    $("report-only").hidden = false;
    $("selected-title").textContent = r.reference + ": " +
      (labels.categories[r.category] || words(r.category));
    const list = $("selected-details");
    list.textContent = "";
    term(list, "Grade", r.code + " " + gradeWords(r.grade));
    term(list, "Where", placeName(r));
    term(list, "Received", when(r.received_at));
    term(list, "Status", words(r.status));
    term(list, "Description", r.description);
    const flags = [];
    if (r.weapons_seen) { flags.push("weapon seen"); }
    if (r.casualties) { flags.push("someone hurt"); }
    term(list, "Reported", flags.join(", "));
    term(list, "Advice", (r.advice || []).join(" "));
    const c = r.contact;
    term(list, "Contact", c ? [c.name, c.phone, c.email].filter(Boolean).join(", ")
                            : (r.anonymous === true ? "anonymous" : ""));
    showTriage(r);
    showDuplicates(r);
    $("recommend-selected").hidden = !located(r);
    $("recommend-selected").setAttribute("aria-label", "Recommend a unit for " + r.reference);
    showTask();
    highlightSelected();
  }

  function showTriage(r) {
    const rules = $("triage-rules");
    const fired = r.rules || [];
    renderOnce(rules, JSON.stringify([r.detailed, fired]), function (ul) {
      if (!r.detailed) { return; }
      if (!fired.length) {
        const li = document.createElement("li");
        li.textContent = "No rule fired: graded by category.";
        ul.appendChild(li);
      }
      fired.forEach(function (reason) {
        const li = document.createElement("li");
        const rule = document.createElement("strong");
        rule.textContent = words(reason.rule);
        li.appendChild(rule);
        const about = [reason.thrive, reason.route].filter(Boolean).map(words).join(", ");
        li.appendChild(document.createTextNode((about ? " (" + about + ")" : "") + ": " + reason.detail));
        ul.appendChild(li);
      });
    });
    const note = $("override-note");
    const last = overrides.get(r.reference);
    const said = r.triage_code ? "The rules said " + r.triage_code + " " + gradeWords(r.triage_grade) + ". " : "";
    if (last) {
      note.textContent = said + "Overridden to " + r.code + " " + gradeWords(r.grade) + " by " +
        last.by + " at " + shortWhen(last.at) + ": \u201c" + last.reason + "\u201d.";
    } else if (r.overridden) {
      note.textContent = said + "Overridden to " + r.code + " " + gradeWords(r.grade) +
        " (who and why are in the audit trail).";
    } else {
      note.textContent = "";
    }
    note.hidden = !note.textContent;
  }

  function showDuplicates(r) {
    const suggested = (r.duplicates || []).filter(function (d) { return d !== r.duplicate_of; });
    $("duplicate-note").textContent = r.duplicate_of
      ? "Marked as a duplicate of " + r.duplicate_of + "."
      : (suggested.length ? "" : "No possible duplicate suggested (same category, 50 m, 30 min).");
    renderOnce($("duplicate-list"), JSON.stringify([r.reference, suggested]), function (ul) {
      suggested.forEach(function (other) {
        const li = document.createElement("li");
        const o = reports.get(other);
        li.appendChild(document.createTextNode(other + (o
          ? " (" + o.code + ", " + (labels.categories[o.category] || words(o.category)) + ", " +
            placeName(o) + ") " : " ")));
        li.appendChild(button("Mark as duplicate of " + other, "secondary mark-duplicate",
          "Mark " + r.reference + " as a duplicate of " + other,
          function (b) { markDuplicate(r.reference, other, b); }));
        ul.appendChild(li);
      });
    });
  }

  async function markDuplicate(reference, of, control) {
    const record = await act(control, "duplicate-error", "Not marked: ", function () {
      return post("/reports/" + encodeURIComponent(reference) + "/duplicate-of", { of: of });
    });
    if (record) { showReport(fromRecord(record), false); }
  }

  $("grade-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const reference = selected;
    if (!reference) { return; }
    const grade = $("grade-new").value;
    const reason = $("grade-reason").value;
    const record = await act($("grade-submit"), "grade-error", "Grade not changed: ", function () {
      return post("/reports/" + encodeURIComponent(reference) + "/grade",
        { grade: grade, reason: reason });
    });
    if (!record) { $("grade-reason").focus(); return; }
    overrides.set(reference, { by: currentUser, reason: reason.trim(), at: record.updated_at });
    $("grade-reason").value = "";
    showReport(fromRecord(record), false);
  });

  // --- recommend and assign ------------------------------------------------------------
  function positionOf(text) {
    // "patrol at VENUE", "at BASE", "in transit to PLACE (12 min left)"
    const match = /(?:at|to) ([a-z0-9-]+)/.exec(text || "");
    return match ? match[1] : null;
  }

  function namedPosition(text) {
    return String(text || "").replace(/[a-z0-9]+(?:-[a-z0-9]+)+/g, placeLabel);
  }

  async function recommendFor(reference) {
    selectReport(reference, true);
    recBody.textContent = "";
    $("recommendations").hidden = true;
    $("dispatch-message").textContent = "Ranking units for " + nameOf(reference) + "…";
    try {
      const result = await post("/dispatch/recommend", Object.assign(targetOf(reference), { k: 3 }));
      if (selected !== reference) { return; }
      result.recommendations.forEach(function (rec, index) {
        missedBy.set(rec.unit, { reference: reference, missed: rec.missed, busy_until: rec.busy_until,
                                 position: positionOf(rec.position) });
        const row = recBody.insertRow();
        row.id = "recommend-" + rec.unit;
        [rec.unit, rec.eta_minutes.toFixed(1) + " min", namedPosition(rec.position),
         rec.missed_minutes ? rec.missed_minutes.toFixed(0) + " min" : "none"].forEach(function (t) {
          row.insertCell().textContent = t;
        });
        row.insertCell().appendChild(button("Assign " + rec.unit,
          index === 0 ? "assign primary" : "assign", null,
          function (b) { assign(rec.unit, reference, b); }));
      });
      $("recommendations").hidden = result.recommendations.length === 0;
      $("dispatch-message").textContent = (result.recommendations.length
        ? "Fastest first (" + result.travel_model + "). Assign one to send it."
        : "No available armed unit can be ranked for " + nameOf(reference) + ".") +
        " " + result.authority;
      const first = recBody.querySelector("button");
      if (first) { first.focus(); }
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return; }
      $("dispatch-message").textContent = "Could not rank units: " + error.message;
    }
  }

  $("recommend-selected").addEventListener("click", function () {
    if (selected) { recommendFor(selected); }
  });

  async function assign(callsign, reference, control) {
    control.disabled = true;
    $("dispatch-message").textContent = "Sending " + callsign + " to " + nameOf(reference) + "…";
    try {
      const result = await post("/dispatch/assign",
        Object.assign({ unit: callsign }, targetOf(reference)));
      showUnit(result.unit);
      if (result.task) { showTask(result.task); }
      recBody.textContent = "";
      $("recommendations").hidden = true;
      $("dispatch-message").textContent = callsign + " assigned to " + nameOf(reference) + ": now " +
        stateWords(result.unit.state) + ".";
      const replanButton = $("replan-" + callsign);
      if (replanButton) { replanButton.focus(); }
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return; }
      control.disabled = false;
      $("dispatch-message").textContent = "Could not assign " + callsign + ": " + error.message;
    }
  }

  // --- the task, its cover gap and the re-plan -----------------------------------------
  function taskOf(reference) {
    if (isCall(reference)) { return tasks.get(callId(reference)) || null; }
    let found = null;
    tasks.forEach(function (t) {
      if (t.report_ref !== reference) { return; }
      const better = !found || (found.state === "closed" && t.state !== "closed") ||
        ((found.state === "closed") === (t.state === "closed") && t.id > found.id);
      if (better) { found = t; }
    });
    return found;
  }

  function renderTask() {
    const t = selected ? taskOf(selected) : null;
    $("task-box").hidden = !t;
    if (!t) { return; }
    const open = t.state !== "closed";
    $("task-title").textContent = "Task " + t.id + ": " + stateWords(t.state);
    $("task-units").textContent = t.unit_ids.length
      ? "Units: " + t.unit_ids.map(function (c) {
        const u = units.get(c);
        return c + (u ? " (" + stateWords(u.state) + ")" : "");
      }).join(", ") + "."
      : (open ? "No unit on it: assign one, or close it." : "");
    $("close-form").hidden = !open;
    $("cover-box").hidden = !open && $("replan-result").hidden;
    const missedLines = [];
    t.unit_ids.forEach(function (c) {
      const m = missedBy.get(c);
      if (!m || m.reference !== keyOfTask(t)) { return; }
      if (!m.missed.length) { missedLines.push(c + " misses no rostered patrol."); return; }
      m.missed.forEach(function (p) {
        missedLines.push(c + ": " + placeLabel(p.venue) + " " + clock(p.start) + "\u2013" +
          clock(p.end) + " (" + Math.round(p.minutes) + " min)");
      });
    });
    $("missed-note").textContent = missedLines.length
      ? "Patrols the team will miss (estimate from the recommendation):"
      : (open ? "Re-plan to see the patrols the team will miss and the rest of the day without it." : "");
    renderOnce($("missed-list"), JSON.stringify(missedLines), function (ul) {
      missedLines.forEach(function (line) {
        const li = document.createElement("li");
        li.textContent = line;
        ul.appendChild(li);
      });
    });
    const planned = open ? t.unit_ids : [];
    renderOnce($("replan-buttons"), JSON.stringify(planned), function (box) {
      planned.forEach(function (c) {
        const b = button("Re-plan rest of day without " + c, "secondary replan", null,
          function (control) { replan(c, control); });
        b.id = "replan-" + c;
        box.appendChild(b);
      });
    });
  }

  function showTask(t) {
    if (t) {
      tasks.set(t.id, t);
      if (t.report_ref && reports.has(t.report_ref)) {
        const status = { assigned: "assigned", en_route: "assigned", on_scene: "assigned",
                         closed: "closed" }[t.state];
        if (status && reports.get(t.report_ref).status !== status) {
          showReport({ reference: t.report_ref, status: status }, false);
        }
      }
      t.unit_ids.forEach(function (c) { if (units.has(c)) { showUnit(units.get(c)); } });
      if (!t.report_ref) { showCallRow(t); }
    }
    if (isCall(selected)) { showCall(); } else { renderTask(); }
    draw();
  }

  function showCallRow(t) {
    let row = $("call-" + t.id);
    if (!row) {
      row = callsBody.insertRow(0);
      row.id = "call-" + t.id;
      for (let i = 0; i < 5; i += 1) { row.insertCell(); }
      row.cells[4].appendChild(button("Details", "secondary", "Details of task " + t.id,
        function () { selectReport("task-" + t.id, true); }));
    }
    row.dataset.state = t.state;
    row.cells[0].textContent = "Task " + t.id + " " + shortWhen(t.created_at);
    row.cells[1].textContent = (t.description || "") + " (" + callPlace(t) + ")";
    row.cells[2].textContent = taskStateWords(t.state);
    row.cells[3].textContent = t.unit_ids.join(", ") || "none";
    $("calls").hidden = false;
    highlightSelected();
  }

  function fillCallVenues() {
    const select = $("call-venue");
    const chosen = select.value;
    select.textContent = "";
    Array.from(places.venues.values()).sort(function (a, b) {
      return a.name.localeCompare(b.name);
    }).forEach(function (v) {
      const option = document.createElement("option");
      option.value = v.id;
      option.textContent = v.name;
      select.appendChild(option);
    });
    if (chosen) { select.value = chosen; }
  }

  $("call-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const venue = places.venues.get($("call-venue").value);
    if (!venue) { showError("call-error", "Task not opened: choose where."); return; }
    const description = $("call-description").value;
    const task = await act($("call-submit"), "call-error", "Task not opened: ", function () {
      return post("/dispatch/tasks", { location: { lat: venue.lat, lon: venue.lon },
                                       description: description });
    });
    if (!task) { $("call-description").focus(); return; }
    $("call-description").value = "";
    showTask(task);
    selectReport("task-" + task.id, true);
  });

  function percent(x) { return Math.round(100 * x) + "%"; }

  async function replan(callsign, control) {
    const result = await act(control, "replan-error", "No re-plan: ", function () {
      return post("/dispatch/units/" + encodeURIComponent(callsign) + "/replan", {});
    });
    if (!result) { return; }
    const gap = result.gap.map(function (m) {
      return placeLabel(m.venue) + " " + clock(m.start) + "\u2013" + clock(m.end);
    });
    let summary = result.gap.length
      ? "Without " + callsign + " for the rest of the day, " + Math.round(result.gap_minutes) +
        " min of rostered patrol go uncovered: " + gap.join(", ") + "."
      : callsign + " has no rostered patrol left today: nothing goes uncovered.";
    if (result.worst_attacker_utility_before != null) {
      summary += " The attacker's best remaining slot goes from " +
        result.worst_attacker_utility_before.toFixed(1) + " to " +
        result.worst_attacker_utility_after.toFixed(1) + ".";
    }
    if (result.fallback) {
      summary += " Routes are not drivable-checked: " + result.fallback + ".";
    }
    (result.notes || []).forEach(function (note) { summary += " " + note + "."; });
    $("replan-summary").textContent = summary;
    slotsBody.textContent = "";
    const bySlot = new Map();
    result.targets.forEach(function (t) {
      if (!bySlot.has(t.start)) { bySlot.set(t.start, []); }
      bySlot.get(t.start).push(t);
    });
    let unchanged = 0;
    result.slots.forEach(function (s) {
      const changed = (bySlot.get(s.start) || []).filter(function (t) {
        return Math.abs(t.coverage_before - t.coverage_after) >= 0.005;
      }).sort(function (a, b) {
        return (b.coverage_before - b.coverage_after) - (a.coverage_before - a.coverage_after);
      });
      const same = !changed.length && s.teams_before.join() === s.teams_after.join() &&
        Math.abs(s.attacker_utility_before - s.attacker_utility_after) < 0.05;
      if (same) { unchanged += 1; return; }
      const cover = changed.slice(0, 3).map(function (t) {
        return placeLabel(t.venue) + " " + percent(t.coverage_before) + " \u2192 " + percent(t.coverage_after);
      }).join("; ") + (changed.length > 3 ? "; " + (changed.length - 3) + " more" : "");
      const row = slotsBody.insertRow();
      [clock(s.start) + "\u2013" + clock(s.end), s.teams_before.join(", ") || "none",
       s.teams_after.join(", ") || "none", cover || "no change",
       s.attacker_utility_before.toFixed(1) + " \u2192 " + s.attacker_utility_after.toFixed(1),
      ].forEach(function (text) { row.insertCell().textContent = text; });
    });
    if (unchanged || !result.slots.length) {
      const cell = slotsBody.insertRow().insertCell();
      cell.colSpan = 5;
      cell.textContent = !result.slots.length ? "No slot is left today."
        : (unchanged === result.slots.length ? "All " : "The other ") + unchanged + " remaining " +
          (unchanged === 1 ? "slot is" : "slots are") + " unchanged (" + callsign +
          " is not on shift then, or is back).";
    }
    $("replan-result").hidden = false;
    $("replan-result").dataset.unit = callsign;
    $("replan-summary").focus();
  }

  $("close-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const t = selected ? taskOf(selected) : null;
    if (!t) { return; }
    const outcome = $("close-outcome").value;
    const result = await act($("close-submit"), "close-error", "Task not closed: ", function () {
      return post("/dispatch/tasks/" + t.id + "/close", { outcome: outcome });
    });
    if (!result) { $("close-outcome").focus(); return; }
    $("close-outcome").value = "";
    result.units.forEach(showUnit);
    showTask(result.task);
    $("dispatch-message").textContent = "Task " + t.id + " closed: " + outcome.trim();
    $("task-title").setAttribute("tabindex", "-1");
    $("task-title").focus();
  });

  // --- units -----------------------------------------------------------------------------
  function whereNow(u) {
    const task = u.task_id != null ? tasks.get(u.task_id) : null;
    const p = u.position;
    if (task && (u.state === "on_scene" || u.state === "committed")) {
      return "At task " + task.id + (task.report_ref ? " (" + task.report_ref + ")" : "");
    }
    if (task && (u.state === "assigned" || u.state === "en_route")) {
      return "On the way to task " + task.id + (p ? " from " + placeLabel(p.place_id) : "");
    }
    if (!p) { return ""; }
    const until = p.until ? " until " + clock(p.until) : "";
    if (p.kind === "patrol") { return "Patrol at " + placeLabel(p.place_id) + until; }
    if (p.kind === "transit") {
      return "To " + placeLabel(p.place_id) + (p.from_place_id ? " from " + placeLabel(p.from_place_id) : "") + until;
    }
    if (p.kind === "off_shift") { return "Off shift, at " + placeLabel(p.place_id) + (p.until ? " (on at " + clock(p.until) + ")" : ""); }
    return "At " + placeLabel(p.place_id) + until;
  }

  function showUnit(u) {
    const previous = units.get(u.callsign);
    if (previous && Date.parse(previous.updated_at) > Date.parse(u.updated_at)) { return; }  // older
    if (u.position == null && previous && previous.position) {
      u = Object.assign({}, u, { position: previous.position });  // a state change keeps the roster's place
    }
    units.set(u.callsign, u);
    let row = $("unit-" + u.callsign);
    if (!row) {
      row = document.createElement("tr");
      row.id = "unit-" + u.callsign;
      for (let i = 0; i < 4; i += 1) { row.appendChild(document.createElement("td")); }
      row.cells[0].tabIndex = -1;
      const moves = document.createElement("div");
      moves.className = "moves";
      const error = document.createElement("p");
      error.className = "field-error";
      error.id = "unit-error-" + u.callsign;
      error.setAttribute("role", "alert");
      error.hidden = true;
      row.cells[3].appendChild(moves);
      row.cells[3].appendChild(error);
      const after = Array.prototype.find.call(unitsBody.rows, function (other) {
        return other.id.slice(5) > u.callsign;
      });
      unitsBody.insertBefore(row, after || null);
    }
    const cells = row.cells;
    row.dataset.state = u.state;
    cells[0].textContent = u.callsign;
    const kind = document.createElement("div");
    kind.className = "dupes";
    kind.textContent = (u.kind === "arv" ? "ARV" : words(u.kind)) + (u.armed ? "" : " (unarmed)");
    cells[0].appendChild(kind);
    const base = places.bases.get(places.unitBases[u.callsign]);
    cells[0].title = base ? "Staging base: " + base.name : "";
    cells[1].textContent = "";
    cells[1].appendChild(chip("state-" + u.state, stateWords(u.state)));
    const since = document.createElement("time");
    since.dateTime = u.updated_at;
    since.textContent = " " + shortWhen(u.updated_at);
    since.title = "Since " + when(u.updated_at);
    cells[1].appendChild(since);
    if (u.task_id != null) {
      const task = tasks.get(u.task_id);
      const on = document.createElement("div");
      on.textContent = "task " + u.task_id + (task && task.report_ref ? " (" + task.report_ref + ")" : "");
      cells[1].appendChild(on);
    }
    cells[2].textContent = whereNow(u);
    const nextStates = u.next_states || [];
    renderOnce(cells[3].querySelector(".moves"), u.state + "|" + nextStates.join(","), function (box) {
      nextStates.forEach(function (state) {
        box.appendChild(button(stateWords(state), state === "available" ? "secondary move" : "move",
          "Move " + u.callsign + " to " + stateWords(state).toLowerCase(),
          function (b) { moveUnit(u.callsign, state, b); }));
      });
    });
    renderTask();
    draw();
  }

  async function moveUnit(callsign, state, control) {
    const result = await act(control, "unit-error-" + callsign, "Not moved: ", function () {
      return post("/dispatch/units/" + encodeURIComponent(callsign) + "/state", { state: state });
    });
    if (!result) { return; }
    showUnit(result.unit);
    if (result.task) { showTask(result.task); }
    const row = $("unit-" + callsign);
    const next = row.querySelector(".moves button");
    (next || row.cells[0]).focus();
  }

  function scheduleRefresh() {
    if (refreshTimer) { clearTimeout(refreshTimer); refreshTimer = null; }
    let soonest = Infinity;
    units.forEach(function (u) {
      if (u.position && u.position.until) { soonest = Math.min(soonest, Date.parse(u.position.until)); }
    });
    if (soonest === Infinity) { return; }
    const wait = Math.min(Math.max(soonest - Date.now() + 1000, 5000), 30 * 60 * 1000);
    const gen = generation;
    refreshTimer = setTimeout(async function () {
      refreshTimer = null;
      if (gen !== generation) { return; }
      try {
        (await api("/dispatch/units")).forEach(showUnit);
      } catch (error) {
        if (error instanceof AuthFailure) { signOut(error.message); return; }
      }
      scheduleRefresh();
    }, wait);
  }

  // --- the map -------------------------------------------------------------------------
  function unitPoint(unit) {
    const task = unit.task_id != null ? tasks.get(unit.task_id) : null;
    if (task && task.lat != null && (unit.state === "on_scene" || unit.state === "committed")) {
      return { lat: task.lat, lon: task.lon, place: "task-" + task.id };
    }
    if (unit.position) {
      return { lat: unit.position.lat, lon: unit.position.lon, place: unit.position.place_id };
    }
    const base = places.bases.get(places.unitBases[unit.callsign]);
    return base ? { lat: base.lat, lon: base.lon, place: base.id } : null;
  }

  function draw() {
    if (!svg) { return; }
    let f = CGMap.frameOf(svg);
    const points = [];
    places.bases.forEach(function (b) { points.push([b.lat, b.lon]); });
    reports.forEach(function (r) { if (located(r)) { points.push([r.lat, r.lon]); } });
    if (f.empty) {
      if (!points.length) { return; }
      CGMap.useFrame(svg, CGMap.frameAround(points));
      f = CGMap.frameOf(svg);
    }
    const u = f.unit;
    const layers = ["layer-links", "layer-bases", "layer-reports", "layer-units"].map($);
    layers.forEach(function (layer) { layer.textContent = ""; });
    const [links, bases, marks, unitLayer] = layers;
    const xy = [];

    places.bases.forEach(function (b) {
      const p = CGMap.project(f, b.lat, b.lon);
      xy.push(p);
      const s = 1.3 * u;
      CGMap.title(CGMap.el("path", {
        class: "base", d: "M" + p[0] + " " + (p[1] - s) + " L" + (p[0] + s) + " " + (p[1] + 0.8 * s) +
          " L" + (p[0] - s) + " " + (p[1] + 0.8 * s) + " Z",
      }, bases), b.name);
    });

    reports.forEach(function (r) {
      if (!located(r) || !reportShown(r)) { return; }
      const p = CGMap.project(f, r.lat, r.lon);
      xy.push(p);
      const s = 1.4 * u;
      const mark = CGMap.el("path", {
        class: "report grade-" + r.grade + (r.reference === selected ? " selected" : ""),
        "data-reference": r.reference,
        d: "M" + p[0] + " " + (p[1] - s) + " L" + (p[0] + s) + " " + p[1] + " L" + p[0] + " " +
          (p[1] + s) + " L" + (p[0] - s) + " " + p[1] + " Z",
      }, marks);
      CGMap.title(mark, r.reference + ": " + (labels.categories[r.category] || r.category) +
        " (" + r.code + ")");
    });

    units.forEach(function (unit) {
      const at = unitPoint(unit);
      if (!at) { return; }
      const p = CGMap.project(f, at.lat, at.lon);
      xy.push(p);
      const task = unit.task_id != null ? tasks.get(unit.task_id) : null;
      if (task && task.lat != null && unit.state !== "available" && at.place !== "task-" + task.id) {
        const q = CGMap.project(f, task.lat, task.lon);
        CGMap.el("line", { class: "link", x1: p[0], y1: p[1], x2: q[0], y2: q[1] }, links);
      }
      const s = 0.9 * u;
      const box = CGMap.el("rect", {
        class: "unit state-" + unit.state, "data-unit": unit.callsign, "data-place": at.place,
        x: p[0] - s, y: p[1] - s, width: 2 * s, height: 2 * s,
      }, unitLayer);
      CGMap.title(box, unit.callsign + ": " + stateWords(unit.state) + " (" +
        (whereNow(unit) || "at staging base") + ")");
    });
    CGMap.fit(svg, xy, 3 * u);
  }

  // --- loading and the live stream -----------------------------------------------------
  async function load() {
    const [placeData, page, unitList, taskPage] = await Promise.all([
      api("/dispatch/places"), api("/reports?limit=200"), api("/dispatch/units"),
      api("/dispatch/tasks?limit=200"),
    ]);
    taskPage.items.forEach(function (t) { tasks.set(t.id, t); });
    places = {
      venues: new Map(placeData.venues.map(function (v) { return [v.id, v]; })),
      bases: new Map(placeData.bases.map(function (b) { return [b.id, b]; })),
      unitBases: placeData.unit_bases,
    };
    page.items.forEach(function (item) { showReport(fromRecord(item), false); });
    fillCallVenues();
    Array.from(tasks.values()).filter(function (t) { return !t.report_ref; })
      .sort(function (a, b) { return a.id - b.id; }).forEach(showCallRow);
    unitList.forEach(showUnit);
    scheduleRefresh();
    if (page.total > page.items.length) {
      setStatus("Showing the newest " + page.items.length + " of " + page.total + " reports.");
    }
  }

  function handle(kind, data) {
    if (kind === "report-created") {
      showReport(data, true);
      setStatus("Live. New report " + data.reference + " (" + data.code + " " +
        gradeWords(data.grade) + ") at " + when(data.received_at) + ".");
      details(data.reference).catch(function () { /* shown on the next snapshot */ });
    } else if (kind === "report-graded") {
      if (data.override) { overrides.set(data.reference, data.override); }
      showReport(Object.assign({}, data, { overridden: true }), false);
    } else if (kind.indexOf("report-") === 0) {
      showReport(data, false);
    } else if (kind === "unit-state") {
      showUnit(data);
    } else if (kind === "task-state") {
      showTask(data);
    } else if (kind === "end") {
      throw new AuthFailure("Your session has ended: please log in again.");
    }
  }

  async function openStream(signal) {
    const response = await fetch(API + "/board/stream", {
      headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" }, signal: signal,
    });
    if (response.status === 401) { throw new AuthFailure("Your session has ended: please log in again."); }
    if (!response.ok) { throw new ApiError(response.status, "stream: HTTP " + response.status); }
    return response;
  }

  async function follow(response, gen) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done || gen !== generation) { return; }
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = "message";
        const data = [];
        message.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) { kind = line.slice(6).trim(); }
          else if (line.indexOf("data:") === 0) { data.push(line.slice(5).replace(/^ /, "")); }
        });
        if (data.length) { handle(kind, JSON.parse(data.join("\n"))); }
      }
    }
  }

  async function run(gen) {
    let delay = 1000;
    while (gen === generation) {
      try {
        setStatus("Connecting…");
        controller = new AbortController();
        const stream = await openStream(controller.signal);
        await load();
        if (!$("status").classList.contains("problem")) {
          setStatus("Live: new reports and unit changes appear as they happen.");
        }
        $("board").dataset.live = "1";
        delay = 1000;
        await follow(stream, gen);
        if (gen !== generation) { return; }
        throw new Error("the stream closed");
      } catch (error) {
        $("board").dataset.live = "0";
        if (gen !== generation) { return; }
        if (error instanceof AuthFailure) { signOut(error.message); return; }
        if (error instanceof ApiError && error.status === 403) {
          signOut("This account may not use the board (control-room or admin accounts only).");
          return;
        }
        setStatus("Disconnected (" + error.message + "); reconnecting in " +
          Math.round(delay / 1000) + " s.", true);
        await sleep(delay);
        delay = Math.min(delay * 2, 30000);
      }
    }
  }

  // --- logging in and out --------------------------------------------------------------
  let currentUser = "";

  function showLogin(message) {
    $("board").hidden = true;
    $("login-panel").hidden = false;
    const line = $("login-message");
    line.textContent = message || "";
    line.hidden = !message;
  }

  function signOut(message) {
    generation += 1;
    if (controller) { controller.abort(); }
    if (refreshTimer) { clearTimeout(refreshTimer); refreshTimer = null; }
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    currentUser = "";
    reports.clear(); units.clear(); tasks.clear(); missedBy.clear(); overrides.clear();
    places = { venues: new Map(), bases: new Map(), unitBases: {} };
    reportsBody.textContent = ""; unitsBody.textContent = ""; recBody.textContent = "";
    callsBody.textContent = ""; $("calls").hidden = true;
    slotsBody.textContent = "";
    selected = null;
    $("selected-report").hidden = true;
    $("dispatch-help").hidden = false;
    $("dispatch-message").textContent = "";
    $("grade-reason").value = "";
    $("close-outcome").value = "";
    ["triage-rules", "duplicate-list", "missed-list", "replan-buttons"].forEach(function (id) {
      $(id).textContent = "";
      delete $(id).dataset.key;
    });
    draw();
    showLogin(message);
  }

  async function start() {
    let me;
    try {
      me = await api("/auth/me");
    } catch (error) {
      signOut(error instanceof AuthFailure ? "Please log in." : "Could not reach the server: " + error.message);
      return;
    }
    if (me.role !== "control" && me.role !== "admin") {
      await api("/auth/logout", { method: "POST" }).catch(function () { return null; });
      signOut("The board is for control-room and admin accounts; " + me.username + " is " + me.role + ".");
      return;
    }
    currentUser = me.username;
    $("whoami").textContent = "Signed in as " + me.username + " (" + me.role + ").";
    $("login-panel").hidden = true;
    $("board").hidden = false;
    generation += 1;
    run(generation);
  }

  $("login").addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = new URLSearchParams({ username: $("username").value, password: $("password").value });
    let response;
    try {
      response = await fetch(API + "/auth/token", { method: "POST", body: body });
    } catch (error) {
      showLogin("Could not reach the server: " + error.message);
      return;
    }
    if (!response.ok) {
      let detail = "";
      try { detail = (await response.json()).detail; } catch (ignored) { /* not JSON */ }
      showLogin(response.status === 429 ? String(detail) : "Log-in refused: check the username and password.");
      return;
    }
    token = (await response.json()).access_token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("password").value = "";
    start();
  });

  $("logout").addEventListener("click", async function () {
    await api("/auth/logout", { method: "POST" }).catch(function () { return null; });
    signOut("You have logged out.");
  });

  document.querySelectorAll("input[data-grade]").forEach(function (box) {
    box.addEventListener("change", function () {
      Array.prototype.forEach.call(reportsBody.rows, filterRow);
      draw();
    });
  });
  $("category-filter").addEventListener("change", function () {
    Array.prototype.forEach.call(reportsBody.rows, filterRow);
    draw();
  });

  if (token) { start(); } else { showLogin(""); }
})();
