// The planner's page: start a plan through the API and follow its progress; the season map
// (venues by coverage or risk) and the day's routes on the shared map.
"use strict";
(function () {
  const $ = function (id) { return document.getElementById(id); };
  function showScripted() {
    document.querySelectorAll(".js-only").forEach(function (node) { node.hidden = false; });
  }
  showScripted();
  // The what-if section is priced in place by htmx (the start form keeps what was typed);
  // its new content has the "apply" button, which needs this script.
  document.body.addEventListener("htmx:afterSwap", function () {
    showScripted();
    const result = $("whatif-result") || $("whatif-error");
    if (result) { result.setAttribute("tabindex", "-1"); result.focus(); }
  });

  // --- start a plan, with a live progress bar -------------------------------------------
  const form = $("start-plan");
  let errorBox = "plan-error";
  function problem(text) {
    ["plan-error", "whatif-apply-error"].forEach(function (id) {
      const box = $(id);
      if (box) { box.textContent = id === errorBox ? text : ""; box.hidden = !(text && id === errorBox); }
    });
  }
  // The optional floors: empty is none; a number within [low, high] otherwise.
  function number(id, label, low, high, scale) {
    const text = $(id).value.trim();
    if (!text) { return undefined; }
    const value = Number(text);
    if (!Number.isFinite(value) || value < low || value > high) {
      throw new Error(label + ": a number from " + low + " to " + high + ", or empty.");
    }
    return value * (scale || 1);
  }
  function options(body, submitter) {
    const floor = number("plan-response-floor", "Response floor (per cent)", 1, 99, 0.01);
    const crowd = number("plan-response-crowd", "People expected", 0, 10000000);
    const seen = number("plan-visibility-floor", "Visibility floor", 0, 1000000000);
    const variants = number("plan-max-variants", "Most routes per team per day", 1, 1000);
    if (crowd !== undefined && floor === undefined) { throw new Error("People expected: needs a response floor."); }
    if (variants !== undefined && !Number.isInteger(variants)) { throw new Error("Most routes per team per day: a whole number."); }
    if (floor !== undefined) { body.response_floor = floor; }
    if (crowd !== undefined) { body.response_min_crowd = crowd; }
    if (seen !== undefined) { body.visibility_floor = seen; }
    if (variants !== undefined) { body.max_variants = variants; }
    const box = $("whatif-apply-box");
    if (submitter && submitter.id === "whatif-apply" && box) {
      body.scenario_id = box.dataset.scenario;
      body.overrides = [{ action: box.dataset.action, team: box.dataset.team, place: box.dataset.place, at: box.dataset.at }];
    }
    const period = $("plan-period");
    if (period && period.dataset.scenario === body.scenario_id) {
      [["plan-start", "start"], ["plan-end", "end"]].forEach(function (pair) {
        const input = $(pair[0]);
        if (!input.value) { throw new Error((pair[1] === "start" ? "From" : "To") + ": a date, or the period's own."); }
        if (input.value !== input.dataset.default) { body[pair[1]] = input.value; }
      });
    }
    const teams = $("plan-teams");
    if (teams && teams.dataset.scenario === body.scenario_id) {
      const boxes = Array.from(teams.querySelectorAll("input[name=teams]"));
      const ticked = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      if (!ticked.length) { throw new Error("Teams: tick at least one."); }
      if (ticked.length < boxes.length) { body.teams = ticked; }
    }
  }
  async function follow(id) {
    $("plan-progress-box").hidden = false;
    $("plan-progress-box").scrollIntoView({ block: "center" });
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
      errorBox = event.submitter && event.submitter.id === "whatif-apply" ? "whatif-apply-error" : "plan-error";
      problem("");
      const body = { scenario_id: $("plan-scenario").value };
      const days = $("plan-days").value.trim();
      if (days) {
        const n = Number(days);
        if (!Number.isInteger(n) || n < 1 || n > 366) { problem("Days to plan: a whole number from 1 to 366, or empty."); return; }
        body.days = n;
      }
      try { options(body, event.submitter); } catch (error) { problem(error.message); return; }
      const buttons = [$("plan-submit"), $("whatif-apply")].filter(Boolean);
      buttons.forEach(function (b) { b.disabled = true; });
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
        buttons.forEach(function (b) { b.disabled = false; });
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
      if (r.path.length > 1) {
        window.L.polyline(r.path, { className: "route route-" + (i % 6), weight: 3 })
          .bindTooltip(r.team).addTo(lines);
      }
    });
  }
})();
