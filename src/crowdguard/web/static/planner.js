// The planner's page: start a plan through the API and follow its progress; the season map
// (venues by coverage or risk) and the day's routes on the shared map.
"use strict";
(function () {
  const $ = function (id) { return document.getElementById(id); };
  document.querySelectorAll(".js-only").forEach(function (node) { node.hidden = false; });

  // --- start a plan, with a live progress bar -------------------------------------------
  const form = $("start-plan");
  function problem(text) {
    $("plan-error").textContent = text;
    $("plan-error").hidden = !text;
  }
  async function follow(id) {
    $("plan-progress-box").hidden = false;
    $("plan-progress-id").textContent = String(id);
    for (;;) {
      const response = await fetch("/api/v1/plans/" + id, { headers: { Accept: "application/json" } });
      if (!response.ok) { problem("Could not read plan " + id + " (HTTP " + response.status + ")."); return; }
      const plan = await response.json();
      $("plan-progress").value = plan.progress || 0;
      $("plan-progress-words").textContent = plan.status + " (" + Math.round(100 * (plan.progress || 0)) + "%)";
      if (plan.status === "done") { window.location.assign("/planner?plan=" + id); return; }
      if (plan.status === "failed" || plan.status === "cancelled") {
        problem("Plan " + id + " " + plan.status + ": " + (plan.error || "no reason given"));
        return;
      }
      await new Promise(function (resolve) { setTimeout(resolve, 1000); });
    }
  }
  if (form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      problem("");
      const body = { scenario_id: $("plan-scenario").value };
      const days = $("plan-days").value.trim();
      if (days) {
        const n = Number(days);
        if (!Number.isInteger(n) || n < 1 || n > 366) { problem("Days to plan: a whole number from 1 to 366, or empty."); return; }
        body.days = n;
      }
      $("plan-submit").disabled = true;
      try {
        const response = await fetch("/api/v1/plans", {
          method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        });
        const answer = await response.json().catch(function () { return {}; });
        if (!response.ok) {
          const detail = Array.isArray(answer.detail)
            ? answer.detail.map(function (d) { return (d.loc || []).slice(-1)[0] + ": " + d.msg; }).join("; ")
            : (answer.detail || "HTTP " + response.status);
          problem("Plan not started: " + detail);
          return;
        }
        await follow(answer.id);
      } finally {
        $("plan-submit").disabled = false;
      }
    });
  }

  // --- the season map and the day's routes -----------------------------------------------
  const element = $("season-map");
  const seasonData = $("season-data");
  if (!element || !seasonData || !window.CGMap) { return; }
  const markers = JSON.parse(seasonData.textContent);
  const routesData = $("routes-data");
  const routes = routesData ? JSON.parse(routesData.textContent) : [];
  const map = window.CGMap.create(element, markers.map(function (m) { return [m.lat, m.lon]; }));
  const coverage = map.layer("Coverage", true);
  const risk = map.layer("Risk", true, false);
  markers.forEach(function (m) {
    const pct = Math.round(100 * m.coverage);
    window.CGMap.marker(m.lat, m.lon, m.name + ": mean coverage " + pct + "%", "venue heat-" + m.coverage_step,
      { venue: m.id, coverage: String(pct) }).addTo(coverage);
    window.CGMap.marker(m.lat, m.lon, m.name + ": highest risk " + m.risk.toFixed(2), "venue heat-" + m.risk_step,
      { venue: m.id }).addTo(risk);
  });
  if (routes.length) {
    const lines = map.layer("Routes", false);
    routes.forEach(function (r, i) {
      if (r.stops.length > 1) {
        window.L.polyline(r.stops.map(function (s) { return [s.lat, s.lon]; }),
          { className: "route route-" + (i % 6), weight: 3 }).bindTooltip(r.team).addTo(lines);
      }
    });
  }
})();
