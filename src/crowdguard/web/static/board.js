// CrowdGuard control-room board: load reports, units, tasks and places, follow the live
// stream, and do the control room's work through the API: grade overrides with a reason,
// duplicate marks, recommend and assign, unit moves, closing a task, the rest-of-day
// re-plan, and tasks opened from a call (no public report). The page's session cookie
// authenticates every call (the server rendered the page for a control or admin account).
//
// The stream is the browser's EventSource (/api/v1/board/stream). It is opened *before*
// the REST snapshot is read, so no change made while the snapshot loads is lost; after any
// reconnection the lists are read again (events are not replayed). The server sends a
// heartbeat every few seconds: when none comes for three intervals the page says it is
// disconnected and reconnects. Every text goes into the page through textContent, never as
// HTML. The board holds no rule of its own: the moves a unit may make come with the unit
// (next_states), and every refusal shows the server's own message next to the control used.
"use strict";
(function () {
  const API = "/api/v1";
  const board = document.getElementById("board");
  if (!board) { return; }
  const labels = JSON.parse(document.getElementById("board-labels").textContent);
  const $ = function (id) { return document.getElementById(id); };
  const reportsBody = document.querySelector("#reports tbody");
  const unitsBody = document.querySelector("#units tbody");
  const recBody = document.querySelector("#recommendations tbody");
  const slotsBody = document.querySelector("#replan-slots tbody");
  const callsBody = document.querySelector("#calls tbody");
  const currentUser = board.dataset.user;

  let source = null;           // the open EventSource
  let watchdog = null;         // fires when the heartbeat stops
  let heartbeatMs = 15000;
  let selected = null;         // the panel's report reference, or "task-ID" for a call's task
  let refreshTimer = null;     // reloads unit positions when the roster next moves one

  const reports = new Map();   // reference -> report summary (+ details once fetched)
  const units = new Map();     // callsign -> unit
  const tasks = new Map();     // task id -> task
  const missedBy = new Map();  // callsign -> {reference, missed, busy_until} from a recommendation
  const overrides = new Map(); // reference -> {by, reason, at} of the last override seen
  let places = { venues: new Map(), bases: new Map(), unitBases: {} };

  // Formatting and element helpers shared with nothing board-specific: static/board-kit.js.
  const kit = window.CGBoardKit;
  const when = kit.when, clock = kit.clock, shortWhen = kit.shortWhen, words = kit.words;
  const chip = kit.chip, button = kit.button, renderOnce = kit.renderOnce;
  const detailText = kit.detailText;

  class AuthFailure extends Error {}
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  // --- small helpers -------------------------------------------------------------------

  function setStatus(text, problem) {
    const line = $("status");
    line.textContent = text;
    line.classList.toggle("problem", Boolean(problem));
  }

  function stateWords(state) { return labels.states[state] || words(state); }
  function gradeWords(grade) { return labels.grades[grade] || words(grade); }
  function placeLabel(id) {
    const place = places.venues.get(id) || places.bases.get(id);
    return place ? place.name : id;
  }

  function showError(id, message) {
    const line = $(id);
    line.textContent = message || "";
    line.hidden = !message;
  }

  async function api(path, options) {
    const response = await fetch(API + path, Object.assign({ credentials: "same-origin" }, options || {}));
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
    const open = button("Details", "secondary details", "of " + r.reference,
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
      action.appendChild(button("Recommend", "recommend", "a unit for " + r.reference,
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
    $("recommend-target").textContent = "task " + t.id;
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
    $("recommend-target").textContent = r.reference;
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
        li.appendChild(button("Mark " + r.reference + " as a duplicate of " + other,
          "secondary mark-duplicate", null,
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
      row.cells[4].appendChild(button("Details", "secondary", "of task " + t.id,
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

  $("call-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const venue = places.venues.get($("call-venue").value);
    if (!venue) {
      showError("call-error", "Task not opened: choose where (the venue of the call).");
      $("call-venue").focus();
      return;
    }
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
    // Available but not rostered now: off shift, not the green "Available" of a unit on duty.
    const offShift = u.state === "available" && u.position && u.position.kind === "off_shift";
    row.dataset.shift = offShift ? "off" : "on";
    cells[1].appendChild(offShift ? chip("state-off_shift", "Off shift")
                                   : chip("state-" + u.state, stateWords(u.state)));
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
        box.appendChild(button(stateWords(state),
          state === "available" ? "secondary move" : "move", null,
          function (b) { moveUnit(u.callsign, state, b); }, "Move " + u.callsign + " to"));
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
    refreshTimer = setTimeout(async function () {
      refreshTimer = null;
      try {
        (await api("/dispatch/units")).forEach(showUnit);
      } catch (error) {
        if (error instanceof AuthFailure) { signOut(error.message); return; }
      }
      scheduleRefresh();
    }, wait);
  }

  // --- the map (the shared Leaflet map: static/cgmap.js) ------------------------------
  const mapElement = $("board-map");
  let map = null;
  const layers = {};
  const marks = { venues: new Map(), bases: new Map(), reports: new Map(), units: new Map() };

  function startMap() {
    if (map || !window.CGMap) { return; }
    const points = [];
    places.venues.forEach(function (v) { points.push([v.lat, v.lon]); });
    places.bases.forEach(function (b) { points.push([b.lat, b.lon]); });
    map = window.CGMap.create(mapElement, points);
    layers.venues = map.layer("Venues", true);
    layers.bases = map.layer("Staging bases", false);
    layers.links = map.layer("Units sent", false);
    layers.reports = map.layer("Reports", false);
    layers.units = map.layer("Units", false);
    places.venues.forEach(function (v) {
      layers.venues.addLayer(window.CGMap.marker(v.lat, v.lon, v.name, "venue", { venue: v.id }));
    });
  }

  // Add or move one marker; its classes and data-* say what it is (for CSS and the tests).
  function upsert(kind, key, at, name, classes, data) {
    const store = marks[kind];
    let m = store.get(key);
    if (!at) {
      if (m) { layers[kind].removeLayer(m); store.delete(key); }
      return;
    }
    if (m && m.options.title === name && m.classes === classes) {
      m.setLatLng(at);
    } else {
      if (m) { layers[kind].removeLayer(m); }
      m = window.CGMap.marker(at[0], at[1], name, classes, data);
      m.classes = classes;
      if (data.reference) {
        m.on("click", function () { selectReport(data.reference, true); });
      }
      store.set(key, m);
      layers[kind].addLayer(m);
    }
    const el = m.getElement();
    if (el) { Object.keys(data).forEach(function (k) { el.dataset[k] = data[k]; }); }
  }

  function unitPoint(unit) {
    const task = unit.task_id != null ? tasks.get(unit.task_id) : null;
    if (task && task.lat != null && (unit.state === "on_scene" || unit.state === "committed")) {
      return { at: [task.lat, task.lon], place: "task-" + task.id };
    }
    if (unit.position) {
      return { at: [unit.position.lat, unit.position.lon], place: unit.position.place_id };
    }
    const base = places.bases.get(places.unitBases[unit.callsign]);
    return base ? { at: [base.lat, base.lon], place: base.id } : null;
  }

  function draw() {
    if (!map) { return; }
    places.bases.forEach(function (b) {
      upsert("bases", b.id, [b.lat, b.lon], "Staging base: " + b.name, "base", { base: b.id });
    });
    marks.reports.forEach(function (m, reference) {
      const r = reports.get(reference);
      if (!r || !located(r) || !reportShown(r)) { upsert("reports", reference, null); }
    });
    reports.forEach(function (r) {
      if (!located(r) || !reportShown(r)) { return; }
      upsert("reports", r.reference, [r.lat, r.lon],
        r.reference + ": " + (labels.categories[r.category] || r.category) + " (" + r.code + ")",
        "report grade-" + r.grade + (r.reference === selected ? " selected" : ""),
        { reference: r.reference });
    });
    layers.links.clearLayers();
    units.forEach(function (unit) {
      const where = unitPoint(unit);
      const offShift = unit.state === "available" && unit.position && unit.position.kind === "off_shift";
      upsert("units", unit.callsign, where && where.at,
        unit.callsign + ": " + (offShift ? "off shift" : stateWords(unit.state)) + " (" +
          (whereNow(unit) || "at staging base") + ")",
        "unit state-" + (offShift ? "off_shift" : unit.state),
        { unit: unit.callsign, place: where ? where.place : "" });
      const task = unit.task_id != null ? tasks.get(unit.task_id) : null;
      if (where && task && task.lat != null && unit.state !== "available" &&
          where.place !== "task-" + task.id) {
        window.L.polyline([where.at, [task.lat, task.lon]],
          { className: "link", dashArray: "6 4", interactive: false }).addTo(layers.links);
      }
    });
    mapElement.dataset.links = String(layers.links.getLayers().length);
  }

  // --- a P1 while the operator works elsewhere: static/board-alert.js -------------------
  const p1 = window.CGBoardAlert.create({
    open: function (reference) { selectReport(reference, true); },
  });
  function alertP1(data) {
    p1.alert(data.reference, "P1 " + gradeWords(data.grade) + ": " + data.reference + ", " +
      (labels.categories[data.category] || words(data.category)) +
      (placeName(data) ? " at " + placeName(data) : "") + ", received " + clock(data.received_at) + ".");
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
    startMap();
    page.items.forEach(function (item) { showReport(fromRecord(item), false); });
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
      if (data.grade === "immediate") { alertP1(data); }
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
    }
  }

  function disconnected(why) {
    board.dataset.live = "0";
    setStatus("Disconnected: " + why + ". Reconnecting; the lists reload when the server answers.", true);
  }

  function armWatchdog() {
    if (watchdog) { clearTimeout(watchdog); }
    watchdog = setTimeout(function () {
      disconnected("no heartbeat from the server since " + clock(new Date(Date.now() - 3 * heartbeatMs).toISOString()));
      connect();  // a fresh stream: the old one may be stuck on a dead connection
    }, 3 * heartbeatMs);
  }

  function connect() {
    if (source) { source.close(); }
    source = new EventSource(API + "/board/stream");
    source.addEventListener("hello", async function (event) {
      // Every hello opens a stream (a reconnection too, after a restart): what happened
      // while no stream was open is only in the lists, so they are read again.
      heartbeatMs = 1000 * (JSON.parse(event.data).heartbeat_seconds || 15);
      armWatchdog();
      try {
        await load();
      } catch (error) {
        if (error instanceof AuthFailure) { signOut(error.message); return; }
        disconnected("could not read the lists (" + error.message + ")");
        return;
      }
      board.dataset.live = "1";
      if (!$("status").classList.contains("problem") || /^Disconnected/.test($("status").textContent)) {
        setStatus("Live: new reports and unit changes appear as they happen.");
      }
    });
    source.addEventListener("heartbeat", armWatchdog);
    ["report-created", "report-graded", "report-updated", "unit-state", "task-state"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        armWatchdog();
        handle(kind, JSON.parse(event.data));
      });
    });
    source.addEventListener("end", function () {
      signOut("Your session has ended: please log in again.");
    });
    source.addEventListener("closing", function () {
      disconnected("the server is restarting");
    });
    source.onerror = function () {
      if (board.dataset.live === "1") { disconnected("the connection to the server dropped"); }
      // EventSource reconnects by itself (retry: 2 s); a refused stream (401/403) closes it.
      if (source.readyState === EventSource.CLOSED) {
        api("/auth/me").then(function () {
          setTimeout(connect, 2000);
        }).catch(function (error) {
          if (error instanceof AuthFailure) { signOut(error.message); } else { setTimeout(connect, 2000); }
        });
      }
    };
  }

  // The session ended (logged out elsewhere, expired, account disabled): back to the login.
  function signOut(message) {
    if (source) { source.close(); }
    if (watchdog) { clearTimeout(watchdog); }
    if (refreshTimer) { clearTimeout(refreshTimer); }
    board.dataset.live = "0";
    setStatus(message, true);
    window.location.assign("/login?next=/board");
  }

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

  setStatus("Connecting…");
  connect();
})();
