// CrowdGuard's one map: Leaflet (vendored from npm) over an offline base map of Natural
// Earth land cut to the area shown (/map/land.geojson), or over the force's own tile
// server when CROWDGUARD_TILE_URL is set (data-tile-url on the map element). Every page's
// map is made here: venues, bases, coverage, risk, routes, reports and units are layers
// the pages fill; markers are small labelled buttons (keyboard: Tab, then Enter) gathered
// into clusters at low zoom so a town centre's venues never pile up.
"use strict";
window.CGMap = (function () {
  const L = window.L;

  // Round a box outward to half degrees so nearby maps share the server's cached cut.
  function landBox(bounds) {
    const pad = bounds.pad(0.6);
    const r = function (v, up) { return (up ? Math.ceil(v * 2) : Math.floor(v * 2)) / 2; };
    return [r(pad.getSouth(), false), r(pad.getWest(), false),
            r(pad.getNorth(), true), r(pad.getEast(), true)];
  }

  function addLand(map, url, pane) {
    return fetch(url).then(function (response) {
      if (!response.ok) { throw new Error("base map: HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      L.geoJSON(data, { pane: pane, interactive: false, style: function () {
        return { className: "land", stroke: false, fillOpacity: 1 };
      } }).addTo(map);
      return data;
    });
  }

  // create(element, points): a map showing points ([lat, lon], ...), with the base map.
  function create(element, points, options) {
    const opts = options || {};
    const map = L.map(element, {
      zoomSnap: 0.5, minZoom: 5, maxZoom: 17, keyboard: true, attributionControl: true,
      preferCanvas: false,
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.createPane("land").style.zIndex = 250;
    map.createPane("world").style.zIndex = 240;
    const bounds = points.length ? L.latLngBounds(points) : L.latLngBounds([[50.6, -1.6], [51.3, -0.8]]);
    map.fitBounds(bounds.pad(0.08), { maxZoom: opts.maxZoom || 13 });
    const tileUrl = element.dataset.tileUrl;
    element.dataset.base = "loading";
    let ready;
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: "Map tiles: the force's own server", maxZoom: 19 }).addTo(map);
      element.dataset.base = "tiles";
      ready = Promise.resolve();
    } else {
      const box = landBox(bounds);
      map.attributionControl.addAttribution("Land: Natural Earth");
      ready = addLand(map, "/map/land.geojson?bbox=" + box.join(","), "land").then(function () {
        element.dataset.base = "land";
      }).catch(function (error) {
        element.dataset.base = "none";
        element.title = String(error.message);
      });
      // The world at a glance once zoomed out past the cut.
      let world = false;
      map.on("zoomend", function () {
        if (!world && map.getZoom() < 8) {
          world = true;
          addLand(map, "/map/land.geojson?detail=110m", "world").catch(function () { world = false; });
        }
      });
    }
    const control = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
    element.setAttribute("role", "region");
    return {
      map: map,
      ready: ready,
      // A named overlay (shown at once unless shown === false); clustered if cluster.
      layer: function (label, cluster, shown) {
        const group = cluster && L.markerClusterGroup
          // No cluster animation: a marker is on the map as soon as its view is set (with
          // animations a move during a split left markers out until the next move).
          ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40, animate: false,
                                   disableClusteringAtZoom: 13, spiderfyOnMaxZoom: true })
          : L.featureGroup();
        if (group.on && cluster) {  // Enter on a focused cluster opens it, as a click does
          group.on("clusterkeypress", function (event) {
            if (event.originalEvent && event.originalEvent.key === "Enter") { event.layer.zoomToBounds(); }
          });
        }
        if (shown !== false) { group.addTo(map); }
        control.addOverlay(group, label);
        return group;
      },
      fit: function (pts, maxZoom) {
        if (pts.length) { map.fitBounds(L.latLngBounds(pts).pad(0.12), { maxZoom: maxZoom || 14 }); }
      },
    };
  }

  // A marker drawn by CSS (class names), named for screen readers and for the tests.
  function marker(lat, lon, name, classes, data) {
    const html = '<span class="mark ' + classes + '"></span><span class="visually-hidden"></span>';
    const m = L.marker([lat, lon], {
      title: name, alt: name, keyboard: true, riseOnHover: true,
      icon: L.divIcon({ className: "cg-marker", html: html, iconSize: [18, 18], iconAnchor: [9, 9] }),
    });
    m.on("keypress", function (event) {  // Enter on a focused marker is a click
      if (event.originalEvent.key === "Enter") { m.fire("click"); }
    });
    m.on("add", function () {
      const el = m.getElement();
      if (!el) { return; }
      el.querySelector(".visually-hidden").textContent = name;
      el.setAttribute("aria-label", name);
      Object.keys(data || {}).forEach(function (k) { el.dataset[k] = data[k]; });
    });
    return m;
  }

  // Colour for a share in [0, 1]: pale to dark (a sequential scale, readable in grey).
  function shade(value) {
    const v = Math.max(0, Math.min(1, value));
    const light = 92 - 62 * v;
    return "hsl(" + (210 - 20 * v) + ", 70%, " + light + "%)";
  }

  return { create: create, marker: marker, shade: shade };
})();
