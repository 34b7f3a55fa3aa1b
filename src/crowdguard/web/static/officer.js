// An officer's next shift: the route on the shared map (base, venues in order, base),
// along the plan's travel model (the server draws its points).
"use strict";
(function () {
  const element = document.getElementById("route-map");
  const data = document.getElementById("route-data");
  if (!element || !data || !window.CGMap) { return; }
  const route = JSON.parse(data.textContent);
  const path = JSON.parse(document.getElementById("route-path").textContent);
  const map = window.CGMap.create(element, path.length ? path : route.map(function (p) { return [p.lat, p.lon]; }), { maxZoom: 14 });
  const stops = map.layer("Stops", false);
  const line = map.layer("Route", false);
  if (path.length > 1) {
    window.L.polyline(path, { className: "route", weight: 4 }).addTo(line);
  }
  route.forEach(function (p, i) {
    const label = (p.kind === "base" ? "Base: " : "Stop " + i + ": ") + p.name;
    window.CGMap.marker(p.lat, p.lon, label, p.kind, { stop: String(i) }).addTo(stops);
  });
})();
