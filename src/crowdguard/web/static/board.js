// CrowdGuard control-room board: log in, load reports, units and places, follow the live
// stream, recommend and assign units. Plain JavaScript, no library, no CDN.
//
// The stream is read with fetch() and a streaming reader, so the bearer token travels in
// the Authorization header (EventSource cannot send headers). The stream is opened
// *before* the REST snapshot is read, so no change made while the snapshot loads is lost.
// Every text goes into the page through textContent, never as HTML.
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
  const svg = $("board-map");

  let token = sessionStorage.getItem(TOKEN_KEY);
  let generation = 0;          // bumped on log-out: stops the running loop
  let controller = null;       // aborts the open stream
  let selected = null;         // reference of the report in the dispatch panel

  const reports = new Map();   // reference -> report summary (+ details once fetched)
  const units = new Map();     // callsign -> unit
  const tasks = new Map();     // task id -> task
  const seenAt = new Map();    // callsign -> {lat, lon, label} from the last recommendation
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

  // "14:05" today, "3 Dec 14:05" before (UK time).
  function shortWhen(iso) {
    if (!iso) { return ""; }
    const opts = { timeZone: "Europe/London" };
    const day = function (d) { return d.toLocaleDateString("en-GB", opts); };
    const at = new Date(iso);
    const time = at.toLocaleTimeString("en-GB", Object.assign({ hour: "2-digit", minute: "2-digit" }, opts));
    return day(at) === day(new Date()) ? time : when(iso);
  }

  function setStatus(text, problem) {
    const line = $("status");
    line.textContent = text;
    line.classList.toggle("problem", Boolean(problem));
  }

  function words(value) { return String(value == null ? "" : value).replace(/_/g, " "); }

  function chip(cls, text) {
    const span = document.createElement("span");
    span.className = "chip " + cls;
    span.textContent = text;
    return span;
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
      try {
        const body = await response.json();
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      } catch (ignored) { /* not JSON */ }
      throw new ApiError(response.status, detail);
    }
    return response.status === 204 ? null : response.json();
  }

  function post(path, body) {
    return api(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  }

  // --- reports -------------------------------------------------------------------------
  function fromRecord(item) {
    const r = item.report;
    // A report located by venue only is placed at the venue (as the server does).
    const venue = r.location.lat == null && r.location.venue_id
      ? places.venues.get(r.location.venue_id) : null;
    return {
      reference: r.reference, received_at: r.received_at, category: r.category,
      grade: item.grade, code: item.code, status: r.status, where: r.location.text || "",
      venue_id: r.location.venue_id,
      lat: venue ? venue.lat : r.location.lat, lon: venue ? venue.lon : r.location.lon,
      duplicates: item.duplicates, description: r.description, contact: r.contact,
      advice: (item.triage && item.triage.advice) || [], anonymous: r.anonymous,
      weapons_seen: r.weapons_seen, casualties: r.casualties,
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

  function reportRow(r) {
    let row = $("report-" + r.reference);
    if (row) { return row; }
    row = document.createElement("tr");
    row.id = "report-" + r.reference;
    for (let i = 0; i < 6; i += 1) { row.appendChild(document.createElement("td")); }
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
    cells[1].appendChild(document.createTextNode(" " + (labels.grades[r.grade] || words(r.grade))));
    cells[2].textContent = labels.categories[r.category] || words(r.category);
    cells[3].textContent = placeName(r);
    cells[4].textContent = words(r.status);
    if ((r.duplicates || []).length) {
      const dupes = document.createElement("div");
      dupes.className = "dupes";
      dupes.textContent = "possible duplicate of " + r.duplicates.join(", ");
      cells[4].appendChild(dupes);
    }
    const action = cells[5];
    if (located(r) && !action.querySelector("button")) {
      action.textContent = "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "recommend";
      button.textContent = "Recommend";
      button.setAttribute("aria-label", "Recommend a unit for " + r.reference);
      button.addEventListener("click", function () { recommendFor(r.reference); });
      action.appendChild(button);
    } else if (!located(r)) {
      action.textContent = "Text location only";
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

  // --- the dispatch panel --------------------------------------------------------------
  function term(list, name, value) {
    if (value == null || value === "") { return; }
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.appendChild(dt);
    list.appendChild(dd);
  }

  function showSelected() {
    const r = reports.get(selected);
    if (!r) { return; }
    $("selected-report").hidden = false;
    $("selected-title").textContent = r.reference + ": " +
      (labels.categories[r.category] || words(r.category));
    const list = $("selected-details");
    list.textContent = "";
    term(list, "Grade", r.code + " " + (labels.grades[r.grade] || words(r.grade)));
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
    document.querySelectorAll("#reports tbody tr").forEach(function (row) {
      row.classList.toggle("selected", row.id === "report-" + selected);
    });
  }

  function positionOf(text) {
    // "patrol at VENUE", "at BASE", "in transit to PLACE (12 min left)"
    const match = /(?:at|to) ([a-z0-9-]+)/.exec(text || "");
    if (!match) { return null; }
    return places.venues.get(match[1]) || places.bases.get(match[1]) || null;
  }

  function namedPosition(text) {
    return String(text || "").replace(/[a-z0-9]+(?:-[a-z0-9]+)+/g, function (id) {
      const place = places.venues.get(id) || places.bases.get(id);
      return place ? place.name : id;
    });
  }

  async function recommendFor(reference) {
    selected = reference;
    showSelected();
    recBody.textContent = "";
    $("recommendations").hidden = true;
    $("dispatch-message").textContent = "Ranking units for " + reference + "…";
    $("dispatch-title").focus();
    try {
      const [result] = await Promise.all([
        post("/dispatch/recommend", { report: reference, k: 3 }), details(reference),
      ]);
      if (selected !== reference) { return; }
      result.recommendations.forEach(function (rec, index) {
        const at = positionOf(rec.position);
        if (at) { seenAt.set(rec.unit, { lat: at.lat, lon: at.lon, label: namedPosition(rec.position) }); }
        const row = recBody.insertRow();
        row.id = "recommend-" + rec.unit;
        [rec.unit, rec.eta_minutes.toFixed(1) + " min", namedPosition(rec.position),
         rec.missed_minutes ? rec.missed_minutes.toFixed(0) + " min" : "none"].forEach(function (t) {
          row.insertCell().textContent = t;
        });
        const button = document.createElement("button");
        button.type = "button";
        button.className = index === 0 ? "assign primary" : "assign";
        button.textContent = "Assign " + rec.unit;
        button.addEventListener("click", function () { assign(rec.unit, reference, button); });
        row.insertCell().appendChild(button);
      });
      $("recommendations").hidden = result.recommendations.length === 0;
      $("dispatch-message").textContent = result.recommendations.length
        ? "Fastest first (" + result.travel_model + "). Assign one to send it."
        : "No available armed unit can be ranked for " + reference + ".";
      const first = recBody.querySelector("button");
      if (first) { first.focus(); }
      draw();
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return; }
      $("dispatch-message").textContent = "Could not rank units: " + error.message;
    }
  }

  async function assign(callsign, reference, button) {
    button.disabled = true;
    $("dispatch-message").textContent = "Sending " + callsign + " to " + reference + "…";
    try {
      const result = await post("/dispatch/assign", { unit: callsign, report: reference });
      showUnit(result.unit);
      if (result.task) { showTask(result.task); }
      recBody.textContent = "";
      $("recommendations").hidden = true;
      $("dispatch-message").textContent = callsign + " assigned to " + reference + ": now " +
        words(result.unit.state) + ".";
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return; }
      button.disabled = false;
      $("dispatch-message").textContent = "Could not assign " + callsign + ": " + error.message;
    }
  }

  async function release(callsign, button) {
    button.disabled = true;
    try {
      const result = await post("/dispatch/units/" + encodeURIComponent(callsign) + "/release", {});
      showUnit(result.unit);
      if (result.task) { showTask(result.task); }
    } catch (error) {
      if (error instanceof AuthFailure) { signOut(error.message); return; }
      button.disabled = false;
      setStatus("Could not stand down " + callsign + ": " + error.message, true);
    }
  }

  // --- units and tasks -----------------------------------------------------------------
  function showUnit(u) {
    const previous = units.get(u.callsign);
    if (previous && Date.parse(previous.updated_at) > Date.parse(u.updated_at)) { return; }  // older
    units.set(u.callsign, u);
    let row = $("unit-" + u.callsign);
    if (!row) {
      row = document.createElement("tr");
      row.id = "unit-" + u.callsign;
      for (let i = 0; i < 6; i += 1) { row.appendChild(document.createElement("td")); }
      const after = Array.prototype.find.call(unitsBody.rows, function (other) {
        return other.id.slice(5) > u.callsign;
      });
      unitsBody.insertBefore(row, after || null);
    }
    const cells = row.cells;
    row.dataset.state = u.state;
    cells[0].textContent = u.callsign;
    cells[1].textContent = (u.kind === "arv" ? "ARV" : words(u.kind)) + (u.armed ? "" : " (unarmed)");
    cells[2].textContent = "";
    cells[2].appendChild(chip("state-" + u.state, words(u.state)));
    const task = u.task_id != null ? tasks.get(u.task_id) : null;
    cells[3].textContent = u.task_id == null ? "" :
      "task " + u.task_id + (task && task.report_ref ? " (" + task.report_ref + ")" : "");
    const base = places.bases.get(places.unitBases[u.callsign]);
    cells[0].title = base ? "Staging base: " + base.name : "";
    cells[4].textContent = shortWhen(u.updated_at);
    cells[4].title = when(u.updated_at);
    cells[5].textContent = "";
    if (u.state !== "available" && u.state !== "off_duty") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = "Stand down";
      button.setAttribute("aria-label", "Stand down " + u.callsign);
      button.addEventListener("click", function () { release(u.callsign, button); });
      cells[5].appendChild(button);
    }
    if (u.state === "available") { seenAt.delete(u.callsign); }
    draw();
  }

  function showTask(t) {
    tasks.set(t.id, t);
    if (t.report_ref && reports.has(t.report_ref)) {
      const status = { assigned: "assigned", en_route: "assigned", on_scene: "assigned",
                       closed: "closed" }[t.state];
      if (status) { showReport({ reference: t.report_ref, status: status }, false); }
    }
    t.unit_ids.forEach(function (callsign) { if (units.has(callsign)) { showUnit(units.get(callsign)); } });
  }

  // --- the map -------------------------------------------------------------------------
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
      const seen = seenAt.get(unit.callsign);
      const base = places.bases.get(places.unitBases[unit.callsign]);
      const at = seen || base;
      if (!at) { return; }
      const p = CGMap.project(f, at.lat, at.lon);
      xy.push(p);
      const task = unit.task_id != null ? tasks.get(unit.task_id) : null;
      if (task && task.lat != null && unit.state !== "available") {
        const q = CGMap.project(f, task.lat, task.lon);
        CGMap.el("line", { class: "link", x1: p[0], y1: p[1], x2: q[0], y2: q[1] }, links);
      }
      const s = 0.9 * u;
      const box = CGMap.el("rect", {
        class: "unit state-" + unit.state, "data-unit": unit.callsign,
        x: p[0] - s, y: p[1] - s, width: 2 * s, height: 2 * s,
      }, unitLayer);
      CGMap.title(box, unit.callsign + ": " + words(unit.state) +
        (seen ? " (" + seen.label + ")" : " (at staging base)"));
    });
    CGMap.fit(svg, xy, 3 * u);
  }

  // --- loading and the live stream -----------------------------------------------------
  async function load() {
    const [placeData, page, unitList, taskPage] = await Promise.all([
      fetchPlaces(), api("/reports?limit=200"), api("/dispatch/units"),
      api("/dispatch/tasks?limit=200"),
    ]);
    taskPage.items.forEach(function (t) { tasks.set(t.id, t); });
    places = {
      venues: new Map(placeData.venues.map(function (v) { return [v.id, v]; })),
      bases: new Map(placeData.bases.map(function (b) { return [b.id, b]; })),
      unitBases: placeData.unit_bases,
    };
    page.items.forEach(function (item) { showReport(fromRecord(item), false); });
    unitList.forEach(showUnit);
    if (page.total > page.items.length) {
      setStatus("Showing the newest " + page.items.length + " of " + page.total + " reports.");
    }
  }

  async function fetchPlaces() {
    const response = await fetch("/board/places", { headers: { Authorization: "Bearer " + token } });
    if (response.status === 401) { throw new AuthFailure("Your session has ended: please log in again."); }
    if (!response.ok) { throw new ApiError(response.status, "places: HTTP " + response.status); }
    return response.json();
  }

  function handle(kind, data) {
    if (kind === "report-created") {
      showReport(data, true);
      setStatus("Live. New report " + data.reference + " (" + data.code + " " +
        (labels.grades[data.grade] || words(data.grade)) + ") at " + when(data.received_at) + ".");
      details(data.reference).catch(function () { /* shown on the next snapshot */ });
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
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    reports.clear(); units.clear(); tasks.clear(); seenAt.clear();
    places = { venues: new Map(), bases: new Map(), unitBases: {} };
    reportsBody.textContent = ""; unitsBody.textContent = ""; recBody.textContent = "";
    selected = null;
    $("selected-report").hidden = true;
    $("dispatch-message").textContent = "";
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
