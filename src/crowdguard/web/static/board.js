// CrowdGuard control-room board: log in, load reports and units, follow the live stream.
// Plain JavaScript, no library, no CDN. The stream is read with fetch() so the bearer
// token travels in the Authorization header (EventSource cannot send headers).
"use strict";
(function () {
  const api = "/api/v1";
  const statusLine = document.getElementById("status");
  const reports = document.querySelector("#reports tbody");
  const units = document.querySelector("#units tbody");
  let token = sessionStorage.getItem("crowdguard-token");

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
  }

  function showReport(r) {
    let row = document.getElementById("report-" + r.reference);
    if (!row) {
      row = document.createElement("tr");
      row.id = "report-" + r.reference;
      reports.insertBefore(row, reports.firstChild);
    }
    row.className = r.grade;
    row.textContent = "";
    const where = r.where || r.venue_id || (r.lat != null ? r.lat.toFixed(5) + ", " + r.lon.toFixed(5) : "");
    [r.reference, r.received_at, r.category, r.code + " " + r.grade, r.status, where,
     (r.duplicates || []).join(" ")].forEach(function (t) { cell(row, t); });
  }

  function showUnit(u) {
    let row = document.getElementById("unit-" + u.callsign);
    if (!row) {
      row = document.createElement("tr");
      row.id = "unit-" + u.callsign;
      units.appendChild(row);
    }
    row.textContent = "";
    [u.callsign, u.kind, u.state, u.task_id].forEach(function (t) { cell(row, t); });
  }

  async function get(path) {
    const response = await fetch(api + path, { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) { throw new Error(path + ": " + response.status); }
    return response.json();
  }

  async function load() {
    const page = await get("/reports?limit=100");
    page.items.slice().reverse().forEach(function (item) {
      showReport({
        reference: item.report.reference, received_at: item.report.received_at,
        category: item.report.category, grade: item.grade, code: item.code,
        status: item.report.status, where: item.report.location.text,
        venue_id: item.report.location.venue_id, lat: item.report.location.lat,
        lon: item.report.location.lon, duplicates: item.duplicates,
      });
    });
    (await get("/dispatch/units")).forEach(showUnit);
  }

  function handle(kind, data) {
    if (kind.indexOf("report-") === 0) { showReport(data); }
    else if (kind === "unit-state") { showUnit(data); }
  }

  async function follow() {
    const response = await fetch(api + "/board/stream", { headers: { Authorization: "Bearer " + token } });
    if (!response.ok) { throw new Error("stream: " + response.status); }
    statusLine.textContent = "Live.";
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) { break; }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let kind = "message";
        let data = "";
        message.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) { kind = line.slice(7); }
          else if (line.indexOf("data: ") === 0) { data += line.slice(6); }
        });
        if (data) { handle(kind, JSON.parse(data)); }
      }
    }
    throw new Error("stream closed");
  }

  async function run() {
    for (;;) {
      try {
        statusLine.textContent = "Connecting...";
        await load();
        await follow();
      } catch (error) {
        statusLine.textContent = "Disconnected (" + error.message + "); retrying in 5 s.";
        if (String(error.message).indexOf("401") >= 0) {
          sessionStorage.removeItem("crowdguard-token");
          token = null;
          statusLine.textContent = "Please log in.";
          return;
        }
        await new Promise(function (resolve) { setTimeout(resolve, 5000); });
      }
    }
  }

  document.getElementById("login").addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = new URLSearchParams({
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
    });
    const response = await fetch(api + "/auth/token", { method: "POST", body: body });
    if (!response.ok) { statusLine.textContent = "Log-in refused."; return; }
    token = (await response.json()).access_token;
    sessionStorage.setItem("crowdguard-token", token);
    run();
  });

  if (token) { run(); }
})();
