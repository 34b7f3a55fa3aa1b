// CrowdGuard public report form: conveniences on top of a form that works without
// JavaScript (it posts to /report either way). Nothing here sends data anywhere.
"use strict";
(function () {
  const form = document.getElementById("report-form");
  if (!form) { return; }
  const CGMap = window.CrowdGuardMap;
  const category = document.getElementById("category");
  const venue = document.getElementById("venue_id");
  const lat = document.getElementById("location_lat");
  const lon = document.getElementById("location_lon");
  const precision = document.getElementById("location_precision_m");
  const details = document.getElementById("map-point-details");
  const locationStatus = document.getElementById("location-status");
  const svg = document.getElementById("venue-map");
  const marker = document.getElementById("map-point");

  document.querySelectorAll(".js-only").forEach(function (node) { node.hidden = false; });

  // Show the questions that fit the category (and any already answered).
  function filled(fieldset) {
    return Array.prototype.some.call(fieldset.querySelectorAll("input"), function (input) {
      return input.type === "checkbox" ? input.checked : input.value.trim() !== "";
    });
  }
  function fitQuestions() {
    const chosen = category.value;
    document.getElementById("attack-warning").hidden = chosen !== "attack_in_progress";
    document.querySelectorAll("fieldset[data-for]").forEach(function (fieldset) {
      const fits = fieldset.dataset.for.split(" ").indexOf(chosen) >= 0;
      fieldset.hidden = !(chosen === "" || fits || filled(fieldset));
    });
  }
  category.addEventListener("change", fitQuestions);
  fitQuestions();

  // The map point: inputs <-> marker.
  function showPoint() {
    if (!svg || !marker) { return; }
    const la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!isFinite(la) || !isFinite(lo)) { marker.setAttribute("hidden", ""); return; }
    const p = CGMap.project(CGMap.frameOf(svg), la, lo);
    marker.setAttribute("transform", "translate(" + Math.round(p[0]) + " " + Math.round(p[1]) + ")");
    marker.removeAttribute("hidden");
  }
  function setPoint(la, lo, metres, how) {
    lat.value = la.toFixed(5);
    lon.value = lo.toFixed(5);
    precision.value = String(Math.max(1, Math.min(100000, Math.round(metres))));
    details.open = true;
    locationStatus.textContent = how + ": " + lat.value + ", " + lon.value +
      " (to about " + precision.value + " m).";
    showPoint();
  }
  lat.addEventListener("input", function () { precision.value = ""; showPoint(); });
  lon.addEventListener("input", function () { precision.value = ""; showPoint(); });
  document.getElementById("clear-point").addEventListener("click", function () {
    lat.value = ""; lon.value = ""; precision.value = "";
    locationStatus.textContent = "Map point cleared.";
    showPoint();
  });

  const locate = document.getElementById("use-location");
  if (!("geolocation" in navigator)) { locate.hidden = true; }
  locate.addEventListener("click", function () {
    locationStatus.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy || 100, "Your location");
    }, function (error) {
      locationStatus.textContent = "Could not find your location (" + error.message +
        "). Choose a place or describe it instead.";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // The venue map: a dot chooses that place; anywhere else marks a point.
  if (svg) {
    const venues = svg.querySelectorAll("g.venue");
    function highlight() {
      venues.forEach(function (g) {
        const on = g.dataset.venue === venue.value;
        g.classList.toggle("chosen", on);
        g.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
    function choose(g) {
      venue.value = g.dataset.venue;
      highlight();
      locationStatus.textContent = "";
      venue.dispatchEvent(new Event("change"));
    }
    venues.forEach(function (g) {
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", "Choose " + g.dataset.name);
      g.addEventListener("click", function (event) { event.stopPropagation(); choose(g); });
      g.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(g); }
      });
    });
    venue.addEventListener("change", highlight);
    svg.addEventListener("click", function (event) {
      const f = CGMap.frameOf(svg);
      const p = CGMap.eventPoint(svg, event);
      const ll = CGMap.unproject(f, p[0], p[1]);
      // A click is worth about 12 screen pixels of map.
      setPoint(ll[0], ll[1], CGMap.metresPerPixel(svg) * 12, "Map point set");
    });
    highlight();
    showPoint();
  }

  const summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
