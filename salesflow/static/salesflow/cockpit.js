// The cockpit's charts (看板): data comes from the json_script element the page renders, since
// the Content-Security-Policy allows no inline script. Clicking a bar opens its records.
(function () {
  function draw() {
    var source = document.getElementById("cockpit-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var charts = [];
    // An empty period says so in the chart instead of drawing bare axes.
    function emptyTitle(values) {
      var any = values.some(function (v) { return v !== null && v !== 0; });
      return any ? { show: false } : { show: true, text: data.empty, left: "center", top: "middle", textStyle: { color: "#667382", fontSize: 14, fontWeight: "normal" } };
    }
    var phone = window.matchMedia("(max-width: 576px)").matches;

    var funnelEl = document.getElementById("funnel-chart");
    if (funnelEl) {
      var f = data.funnel;
      var funnel = echarts.init(funnelEl, null, { renderer: "canvas" });
      funnel.setOption({
        animation: false,
        title: emptyTitle(f.entered),
        grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            // Stage names come from the rule pack, which people edit: text, never markup.
            var esc = echarts.format.encodeHTML;
            var rate = f.conversion[p.dataIndex];
            return esc(p.name) + "<br>" + esc(f.label) + "：" + p.value + (rate === null ? "" : "<br>→ " + rate + "%");
          }
        },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", inverse: true, data: f.stages, axisLabel: { width: phone ? 64 : 96, overflow: "truncate" } },
        series: [{
          type: "bar",
          name: f.label,
          data: f.entered,
          barMaxWidth: 28,
          cursor: "pointer",
          itemStyle: { color: "#206bc4", borderRadius: [0, 4, 4, 0] },
          label: { show: true, position: "right" }
        }]
      });
      funnel.on("click", function (p) { if (f.urls[p.dataIndex]) window.location.href = f.urls[p.dataIndex]; });
      charts.push(funnel);
    }

    var dwellEl = document.getElementById("dwell-chart");
    if (dwellEl) {
      var d = data.dwell;
      var colours = ["#a6c8f0", "#4f8fdb", "#206bc4", "#174f91"];
      var dwell = echarts.init(dwellEl, null, { renderer: "canvas" });
      dwell.setOption({
        animation: false,
        title: emptyTitle([].concat.apply([], d.series.map(function (s) { return s.values; }))),
        legend: { top: 0 },
        grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        // renderMode "richText" draws the axis tooltip as text (stage names are pack data, not markup).
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " " + d.unit; } },
        xAxis: { type: "category", data: d.stages, axisLabel: { interval: 0, rotate: phone ? 45 : 20, width: 72, overflow: "truncate" } },
        yAxis: { type: "value", name: d.unit },
        series: d.series.map(function (s, i) {
          return { type: "bar", name: s.name, data: s.values, cursor: "pointer", itemStyle: { color: colours[i % colours.length] } };
        })
      });
      dwell.on("click", function (p) { if (d.urls[p.dataIndex]) window.location.href = d.urls[p.dataIndex]; });
      charts.push(dwell);
    }

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
