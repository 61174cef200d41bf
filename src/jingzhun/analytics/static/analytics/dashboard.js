/* 精准: the dashboard's charts (ECharts, vendored from npm). Every point opens what it counts: a year or a
   cause opens the households behind it, a region's bar opens that region's dashboard. Without JavaScript
   (or ECharts) the tables under the charts carry the same numbers and links. */
(function () {
  "use strict";
  var RED = "#b8242c", BLUE = "#1f5f99";
  var PALETTE = [RED, BLUE, "#19703a", "#8a5a00", "#6b4fa0", "#0f7c86", "#c0612b", "#5d6873", "#a23b72", "#3d7a2a"];

  function open(params) {
    if (params && params.data && params.data.url) { window.location.href = params.data.url; }
  }

  function make(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("click", open);
    // drawn and animated: say so on the element (the browser test clicks a bar only once it is there)
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    return chart;
  }

  function trend(data) {
    var chart = make("chart-trend");
    if (!chart) { return null; }
    chart.setOption({
      color: [RED, BLUE],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.map(function (t) { return t.year; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "脱贫户", type: "bar", data: data.map(function (t) { return { value: t.exits, url: t.exits_url }; }) },
        { name: "返贫户", type: "line", data: data.map(function (t) { return { value: t.returns, url: t.returns_url }; }) }
      ]
    });
    return chart;
  }

  function causes(data) {
    var chart = make("chart-causes");
    if (!chart) { return null; }
    chart.setOption({
      color: PALETTE,
      tooltip: { trigger: "item", formatter: "{b}：{c} 户（{d}%）" },
      series: [{ type: "pie", radius: ["35%", "68%"], center: ["50%", "54%"], data: data,
                 label: { formatter: "{b}\n{c}", fontSize: 12 }, minShowLabelAngle: 6 }]
    });
    return chart;
  }

  function regions(data) {
    var chart = make("chart-regions");
    if (!chart) { return null; }
    var items = data.items.slice().reverse();  // the first region at the top
    chart.setOption({
      color: [RED],
      tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + p.data.display + " " + data.unit; } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: items.map(function (i) { return i.name; }), axisLabel: { width: 110, overflow: "truncate" } },
      series: [{ type: "bar", barMaxWidth: 22, cursor: "pointer",
                 label: { show: true, position: "right", formatter: function (p) { return p.data.display; } },
                 data: items.map(function (i) { return { value: i.value, url: i.url, display: i.display, code: i.code }; }) }]
    });
    return chart;
  }

  function init() {
    var source = document.getElementById("chart-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var charts = [trend(data.trend), causes(data.causes), regions(data.regions)].filter(Boolean);
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
