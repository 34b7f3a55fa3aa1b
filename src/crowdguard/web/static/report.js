// CrowdGuard public report form: conveniences on top of a form that works without
// JavaScript (it posts to /report either way). Nothing here sends data anywhere.
"use strict";
(function () {
  const form = document.getElementById("report-form");
  if (!form) { return; }
  const CGMap = window.CGMap;
  const category = document.getElementById("category");
  const venue = document.getElementById("venue_id");
  const lat = document.getElementById("location_lat");
  const lon = document.getElementById("location_lon");
  const precision = document.getElementById("location_precision_m");
  const details = document.getElementById("map-point-details");
  const locationStatus = document.getElementById("location-status");
  const mapElement = document.getElementById("venue-map");
  const venueData = document.getElementById("venue-data");
  let map = null;
  let point = null;  // the marked point
  const markers = new Map();  // venue id -> Leaflet marker

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
    if (!map) { return; }
    const la = parseFloat(lat.value), lo = parseFloat(lon.value);
    const ok = isFinite(la) && isFinite(lo) && Math.abs(la) <= 90 && Math.abs(lo) <= 180;
    if (point) { point.remove(); point = null; }
    mapElement.dataset.point = ok ? "1" : "";
    if (ok) {
      point = L.circleMarker([la, lo], { radius: 10, className: "map-point", interactive: false })
        .addTo(map.map);
    }
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

  // The venue map: a venue's marker chooses that place; anywhere else marks a point.
  const L = window.L;
  if (mapElement && venueData && CGMap && L) {
    const places = JSON.parse(venueData.textContent);
    map = CGMap.create(mapElement, places.map(function (v) { return [v.lat, v.lon]; }));
    const layer = map.layer("Places", true);
    function highlight() {
      markers.forEach(function (m, id) {
        const el = m.getElement();
        if (el) { el.classList.toggle("chosen", id === venue.value); }
      });
    }
    places.forEach(function (v) {
      const name = "Choose " + v.name + (v.town ? ", " + v.town : "");
      const m = CGMap.marker(v.lat, v.lon, name, "venue", { venue: v.id });
      m.on("click", function () {
        venue.value = v.id;
        highlight();
        locationStatus.textContent = "";
        venue.dispatchEvent(new Event("change"));
      });
      m.on("add", highlight);
      markers.set(v.id, m);
      layer.addLayer(m);
    });
    // Choosing from the list shows the place on the map (out of its cluster).
    venue.addEventListener("change", function () {
      highlight();
      const m = markers.get(venue.value);
      if (m) {  // at zoom 13 and closer no marker is clustered
        map.map.setView(m.getLatLng(), Math.max(map.map.getZoom(), 13), { animate: false });
        highlight();
      }
    });
    map.map.on("click", function (event) {
      // A click is worth about 12 screen pixels of map.
      const here = map.map.latLngToContainerPoint(event.latlng);
      const near = map.map.containerPointToLatLng([here.x + 12, here.y]);
      setPoint(event.latlng.lat, event.latlng.lng, event.latlng.distanceTo(near), "Map point set");
    });
    highlight();
    showPoint();
  }

  const summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
