// Trend charts of the process-health (过程健康度) and attribution (三级归因) pages: data comes
// from a json_script element (the Content-Security-Policy allows no inline script). Team names
// and indicator names are data people typed, so tooltips render as rich text, never markup.
(function () {
  var grey = { color: "#667382", fontSize: 14, fontWeight: "normal" };

  function emptyTitle(values, text) {
    var any = values.some(function (v) { return v !== null && v !== undefined; });
    return any ? { show: false } : { show: true, text: text, left: "center", top: "middle", textStyle: grey };
  }

  function guide(value, label, colour) {
    return { yAxis: value, name: label, lineStyle: { color: colour, type: "dashed" }, label: { formatter: label + " " + value, color: colour, position: "insideEndTop" } };
  }

  // A round axis end above `value`: 1, 2 or 5 times a power of ten (ECharts does not round an
  // explicit max).
  function niceCeil(value) {
    if (value <= 0) return 0;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  // The axis always shows the target and alert lines; one extreme day (a lead nobody answered
  // for two weeks) is clipped at four times the furthest guide so the rest stays readable —
  // its tooltip still gives the true value.
  function bounds(series, lines, clip) {
    var guides = lines.map(function (l) { return l.yAxis; });
    var values = [].concat.apply([], series.map(function (s) { return s.values; })).filter(function (v) { return v !== null && v !== undefined; });
    var all = values.concat(guides);
    var top = Math.max.apply(null, all.concat([0]));
    var bottom = Math.min.apply(null, all.concat([0]));
    var far = Math.max.apply(null, guides.map(Math.abs));
    if (clip && far > 0) top = Math.min(top, 4 * far);
    return { min: bottom < 0 ? -niceCeil(-bottom * 1.05) : 0, max: niceCeil(top * 1.05) };
  }

  function line(el, labels, series, lines, unit, empty, clip) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var all = [].concat.apply([], series.map(function (s) { return s.values; }));
    chart.setOption({
      animation: false,
      title: emptyTitle(all, empty),
      legend: series.length > 1 ? { top: 0, type: "scroll" } : { show: false },
      grid: { left: 8, right: 16, top: series.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " " + unit; } },
      xAxis: { type: "category", data: labels, boundaryGap: false },
      yAxis: (function () { var b = bounds(series, lines, clip); return { type: "value", min: b.min, max: b.max }; })(),
      series: series.map(function (s, i) {
        return {
          type: "line", name: s.name, data: s.values, connectNulls: true, showSymbol: false,
          markLine: i === 0 && lines.length ? { symbol: "none", silent: true, data: lines } : undefined
        };
      })
    });
    return chart;
  }

  function draw() {
    if (!window.echarts) return;
    var charts = [];
    var health = document.getElementById("health-chart-data");
    if (health) {
      var h = JSON.parse(health.textContent);
      h.indicators.forEach(function (ind) {
        var el = document.getElementById("chart-" + ind.code);
        if (!el) return;
        var lines = [guide(ind.target, ind.target_label, "#2fb344")];
        if (ind.alert !== null) lines.push(guide(ind.alert, ind.alert_label, "#d63939"));
        charts.push(line(el, h.days, ind.series, lines, ind.unit, h.empty, true));
      });
    }
    var attribution = document.getElementById("attribution-chart-data");
    if (attribution) {
      var a = JSON.parse(attribution.textContent);
      a.levels.forEach(function (lv) {
        var el = document.getElementById("chart-" + lv.code);
        if (!el) return;
        charts.push(line(el, lv.labels, [{ name: lv.name, values: lv.values }], [guide(lv.target, a.target_label, "#2fb344")], lv.unit, a.empty, false));
      });
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
