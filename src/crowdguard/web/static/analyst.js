// The analyst's charts (uPlot): operations per financial year beside the published Home
// Office series, and response times by month and grade. Gaps stay gaps (null). The same
// numbers are the tables on the page and their CSV (/api/v1/stats/tables/{name}).
"use strict";
(function () {
  if (!window.uPlot) { return; }
  const COLOURS = ["#1d4e89", "#5b8fc7", "#b3261e", "#e07b39", "#2e7d32", "#6a1b9a"];

  // One line chart: x is a category index labelled by `labels` (named `name`); each
  // series {label, values, scale} is drawn on the "left" scale or the "right" one.
  function draw(element, name, labels, series, axes) {
    const label = function (i) { return labels[i] === undefined ? "" : labels[i]; };
    const width = function () { return Math.max(280, element.clientWidth); };
    const options = {
      width: width(),
      height: 300,
      scales: { x: { time: false } },
      axes: [{ values: function (_, ticks) { return ticks.map(label); } }].concat(axes),
      series: [{ label: name, value: function (_, i) { return i === null ? "" : label(i); } }]
        .concat(series.map(function (s, i) {
          return { label: s.label, scale: s.scale || "left", stroke: COLOURS[i % COLOURS.length],
                   width: 2, spanGaps: false, points: { show: true } };
        })),
    };
    const xs = labels.map(function (_, i) { return i; });
    const chart = new window.uPlot(options, [xs].concat(series.map(function (s) { return s.values; })), element);
    let pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { chart.setSize({ width: width(), height: 300 }); }, 150);
    });
  }

  function json(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  const trend = json("trend-data");
  const trendChart = document.getElementById("trend-chart");
  if (trend && trendChart) {
    const column = function (name) {
      const i = trend.columns.indexOf(name);
      return trend.rows.map(function (row) { return row[i]; });
    };
    const comparable = column("comparable");
    const years = column("year").map(function (y, i) { return y + (comparable[i] ? "" : "*"); });
    const lines = [
      ["Hampshire operations (published)", "left"],
      ["Hampshire ARV operations (published)", "left"],
      ["our operations", "left"],
      ["our ARV operations", "left"],
      ["England and Wales operations (published)", "right"],
    ];
    draw(trendChart, "year", years, lines.map(function (l) {
      return { label: l[0], scale: l[1], values: column(l[0]) };
    }), [
      { scale: "left", label: "force" },
      { scale: "right", side: 1, label: "England and Wales", grid: { show: false } },
    ]);
  }

  const response = json("response-data");
  const responseChart = document.getElementById("response-chart");
  if (response && responseChart) {
    draw(responseChart, "month", response.months, response.series, [
      { scale: "left", label: "median minutes" },
    ]);
  }
})();
