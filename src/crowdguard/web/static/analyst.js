// The analyst's trend chart: operations per financial year beside the published Home
// Office series (uPlot; gaps stay gaps). The same numbers are the table under the chart
// and its CSV (/api/v1/stats/tables/operations-by-year).
"use strict";
(function () {
  const element = document.getElementById("trend-chart");
  const data = document.getElementById("trend-data");
  if (!element || !data || !window.uPlot) { return; }
  const table = JSON.parse(data.textContent);
  const column = function (name) {
    const i = table.columns.indexOf(name);
    return table.rows.map(function (row) { return row[i]; });
  };
  const years = column("year");
  const comparable = column("comparable");
  const xs = years.map(function (_, i) { return i; });
  const lines = [
    ["Hampshire operations (published)", "force", "#1d4e89"],
    ["Hampshire ARV operations (published)", "force", "#5b8fc7"],
    ["our operations", "force", "#b3261e"],
    ["our ARV operations", "force", "#e07b39"],
    ["England and Wales operations (published)", "national", "#2e7d32"],
  ];
  const label = function (i) {
    const year = years[i];
    return year === undefined ? "" : year + (comparable[i] ? "" : "*");
  };
  const options = function () {
    return {
      width: Math.max(280, element.clientWidth),
      height: 300,
      scales: { x: { time: false } },
      axes: [
        { values: function (_, ticks) { return ticks.map(label); } },
        { scale: "force", label: "force" },
        { scale: "national", side: 1, label: "England and Wales", grid: { show: false } },
      ],
      series: [{ label: "year", value: function (_, i) { return i === null ? "" : label(i); } }]
        .concat(lines.map(function (line) {
          return { label: line[0], scale: line[1], stroke: line[2], width: 2, spanGaps: false,
                   points: { show: true } };
        })),
    };
  };
  const values = [xs].concat(lines.map(function (line) { return column(line[0]); }));
  const chart = new window.uPlot(options(), values, element);
  let pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      chart.setSize({ width: Math.max(280, element.clientWidth), height: 300 });
    }, 150);
  });
})();
