// 漏斗数字孪生 charts: the quarter's band by week and the backtest. Data comes from json_script
// elements (the CSP allows no inline script); tooltips are plain text (renderMode "richText").
(function () {
  var phone = function () { return window.matchMedia("(max-width: 576px)").matches; };
  var charts = [];

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function wan(v, unit) { return v === null || v === undefined ? "—" : v + " " + unit; }

  // A band drawn as a stacked area: the low line, then (high − low) filled on top of it.
  function bandSeries(d) {
    return [
      { type: "line", name: d.names.low, data: d.low, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { opacity: 0 }, tooltip: { show: false } },
      { type: "line", name: d.names.low + "–" + d.names.high, data: d.high.map(function (h, i) { return Math.round((h - d.low[i]) * 10) / 10; }), stack: "band", symbol: "none", lineStyle: { opacity: 0 }, itemStyle: { color: "#a6c8f0" }, areaStyle: { color: "#a6c8f0", opacity: 0.55 } },
      { type: "line", name: d.names.p50, data: d.p50, symbolSize: 6, lineStyle: { width: 2, color: "#206bc4" }, itemStyle: { color: "#206bc4" } }
    ];
  }

  function tooltip(d, extra) {
    return {
      trigger: "axis", renderMode: "richText",
      formatter: function (ps) {
        var i = ps[0].dataIndex;
        var lines = [d.weeks[i], d.names.low + "：" + wan(d.low[i], d.unit), d.names.p50 + "：" + wan(d.p50[i], d.unit), d.names.high + "：" + wan(d.high[i], d.unit)];
        if (extra) lines.push(extra(i));
        return lines.join("\n");
      }
    };
  }

  function drawForecast() {
    var d = read("forecast-chart-data");
    var el = document.getElementById("forecast-chart");
    if (!d || !el) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = bandSeries(d);
    if (d.target !== null) {
      series.push({ type: "line", name: d.names.target, data: d.weeks.map(function () { return d.target; }), symbol: "none", lineStyle: { type: "dashed", color: "#d63939" }, itemStyle: { color: "#d63939" } });
    }
    chart.setOption({
      animation: false,
      title: d.any ? { show: false } : { show: true, text: d.empty, left: "center", top: "middle", textStyle: { color: "#667382", fontSize: 14, fontWeight: "normal" } },
      legend: { top: 0, data: [d.names.low + "–" + d.names.high, d.names.p50].concat(d.target !== null ? [d.names.target] : []) },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: tooltip(d, d.target !== null ? function () { return d.names.target + "：" + wan(d.target, d.unit); } : null),
      xAxis: { type: "category", data: d.weeks, boundaryGap: false, axisLabel: { fontSize: phone() ? 10 : 12 } },
      yAxis: { type: "value", name: d.unit, axisLabel: { fontSize: phone() ? 10 : 12 } },
      series: series
    });
    charts.push(chart);
  }

  function drawBacktest() {
    var d = read("backtest-chart-data");
    var el = document.getElementById("backtest-chart");
    if (!d || !el) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = bandSeries(d);
    series.push({ type: "scatter", name: d.names.actual, data: d.actual, symbolSize: 10, itemStyle: { color: "#f76707" } });
    chart.setOption({
      animation: false,
      legend: { top: 0, data: [d.names.low + "–" + d.names.high, d.names.p50, d.names.actual] },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: tooltip(d, function (i) { return d.names.actual + "：" + wan(d.actual[i], d.unit); }),
      xAxis: { type: "category", data: d.weeks, axisLabel: { fontSize: phone() ? 10 : 12 } },
      yAxis: { type: "value", name: d.unit, axisLabel: { fontSize: phone() ? 10 : 12 } },
      series: series
    });
    charts.push(chart);
  }

  function start() {
    if (typeof echarts === "undefined") return;
    drawForecast();
    drawBacktest();
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
