// CrowdGuard maps: the projection the server draws with (crowdguard.web.pages.MapFrame),
// read back from the <svg> element's data-* attributes, and small SVG helpers.
// Plain JavaScript, no library, no tile server: the maps work offline.
"use strict";
window.CrowdGuardMap = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const M_PER_DEG_LAT = 110574.0;
  const M_PER_DEG_LON_EQUATOR = 111320.0;

  // The frame drawn by the server: x east of lonMin, y south of latMax, in metres, + pad.
  function frameOf(svg) {
    const d = svg.dataset;
    return {
      latMax: Number(d.latMax), lonMin: Number(d.lonMin), kx: Number(d.kx),
      ky: Number(d.ky), pad: Number(d.pad), unit: Number(d.unit), empty: d.empty === "1",
    };
  }

  // A frame around points [[lat, lon], ...] (the same rule as MapFrame.around).
  function frameAround(points) {
    const lats = points.map(function (p) { return p[0]; });
    const lons = points.map(function (p) { return p[1]; });
    const latMin = Math.min.apply(null, lats), latMax = Math.max.apply(null, lats);
    const lonMin = Math.min.apply(null, lons), lonMax = Math.max.apply(null, lons);
    const kx = M_PER_DEG_LON_EQUATOR * Math.cos(((latMin + latMax) / 2) * Math.PI / 180);
    const ky = M_PER_DEG_LAT;
    const spanX = (lonMax - lonMin) * kx, spanY = (latMax - latMin) * ky;
    const pad = Math.max(2000, 0.08 * Math.max(spanX, spanY));
    const width = spanX + 2 * pad, height = spanY + 2 * pad;
    return { latMax: latMax, lonMin: lonMin, kx: kx, ky: ky, pad: pad,
             unit: Math.max(width, height) / 100, empty: false, width: width, height: height };
  }

  function useFrame(svg, f) {
    svg.dataset.latMax = String(f.latMax);
    svg.dataset.lonMin = String(f.lonMin);
    svg.dataset.kx = String(f.kx);
    svg.dataset.ky = String(f.ky);
    svg.dataset.pad = String(f.pad);
    svg.dataset.unit = String(f.unit);
    delete svg.dataset.empty;
    svg.setAttribute("viewBox", "0 0 " + Math.round(f.width) + " " + Math.round(f.height));
  }

  function project(f, lat, lon) {
    return [(lon - f.lonMin) * f.kx + f.pad, (f.latMax - lat) * f.ky + f.pad];
  }

  function unproject(f, x, y) {
    return [f.latMax - (y - f.pad) / f.ky, (x - f.pad) / f.kx + f.lonMin];
  }

  // Map coordinates of a mouse event.
  function eventPoint(svg, event) {
    const pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    return [p.x, p.y];
  }

  // Metres of map per CSS pixel on screen.
  function metresPerPixel(svg) {
    const ctm = svg.getScreenCTM();
    return ctm && ctm.a ? 1 / ctm.a : Infinity;
  }

  // Grow the viewBox (never shrink it) so every map point [x, y] is inside, with a margin.
  function fit(svg, xy, margin) {
    if (!xy.length) { return; }
    const box = svg.viewBox.baseVal;
    let x0 = box.x, y0 = box.y, x1 = box.x + box.width, y1 = box.y + box.height;
    xy.forEach(function (p) {
      x0 = Math.min(x0, p[0] - margin); y0 = Math.min(y0, p[1] - margin);
      x1 = Math.max(x1, p[0] + margin); y1 = Math.max(y1, p[1] + margin);
    });
    svg.setAttribute("viewBox", [x0, y0, x1 - x0, y1 - y0].map(Math.round).join(" "));
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function title(node, text) {
    el("title", {}, node).textContent = text;
    return node;
  }

  return { frameOf: frameOf, frameAround: frameAround, useFrame: useFrame, project: project,
           unproject: unproject, eventPoint: eventPoint, metresPerPixel: metresPerPixel,
           fit: fit, el: el, title: title };
})();
