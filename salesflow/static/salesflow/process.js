// 过程热力图 and 个人效率 charts: data comes from json_script elements (the CSP allows no inline
// script). Clicking a heatmap cell opens its actions. Names come from the pack and from people:
// tooltips are plain text (renderMode "richText"), never markup.
(function () {
  var phone = function () { return window.matchMedia("(max-width: 576px)").matches; };
  var charts = [];

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function emptyTitle(any, text) {
    return any ? { show: false } : { show: true, text: text, left: "center", top: "middle", textStyle: { color: "#667382", fontSize: 14, fontWeight: "normal" } };
  }

  function drawHeatmap() {
    var d = read("heatmap-chart-data");
    var el = document.getElementById("heatmap-chart");
    if (!d || !el) return;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      title: emptyTitle(d.peak > 0, d.empty),
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      tooltip: {
        renderMode: "richText",
        formatter: function (p) {
          return d.stages[p.value[1]] + "  " + d.weeks[p.value[0]].replace("\n", " ") + "\n" + d.label + "：" + p.value[2];
        }
      },
      xAxis: { type: "category", data: d.weeks, splitArea: { show: true }, axisLabel: {
        interval: phone() ? 1 : "auto", fontSize: phone() ? 10 : 12,
        // A phone has room for the week number only ("W49"); the tooltip names the dates.
        formatter: function (v) { return phone() ? v.split("\n")[0].replace(/^\d{4}-/, "") : v; }
      } },
      yAxis: { type: "category", data: d.stages, inverse: true, splitArea: { show: true }, axisLabel: { width: phone() ? 56 : 96, overflow: "truncate" } },
      visualMap: {
        min: 0, max: Math.max(1, d.peak), calculable: false, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: phone() ? 120 : 200, inRange: { color: ["#f1f5fb", "#a6c8f0", "#4f8fdb", "#174f91"] }
      },
      series: [{
        type: "heatmap", name: d.label, data: d.cells, cursor: "pointer",
        label: { show: true, formatter: function (p) { return p.value[2] ? String(p.value[2]) : ""; } },
        emphasis: { itemStyle: { borderColor: "#182433", borderWidth: 1 } }
      }]
    });
    chart.on("click", function (p) {
      var url = d.urls[p.value[1]] && d.urls[p.value[1]][p.value[0]];
      if (url) window.location.href = url;
    });
    charts.push(chart);
  }

  function drawEfficiency() {
    var d = read("efficiency-chart-data");
    if (!d) return;
    var repColour = "#206bc4", teamColour = "#a6c8f0";
    var responseEl = document.getElementById("response-chart");
    if (responseEl) {
      var any = d.rep_counts.concat(d.team_counts).some(function (v) { return v > 0; });
      var response = echarts.init(responseEl, null, { renderer: "canvas" });
      response.setOption({
        animation: false,
        title: emptyTitle(any, d.empty),
        legend: { top: 0 },
        grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v + "%"; } },
        xAxis: { type: "category", name: d.minutes, nameLocation: "middle", nameGap: 28, data: d.buckets, axisLabel: { interval: 0, rotate: phone() ? 30 : 0, fontSize: phone() ? 10 : 12 } },
        yAxis: { type: "value", name: d.share, max: 100 },
        series: [
          { type: "bar", name: d.rep_name, data: d.rep_bars, itemStyle: { color: repColour } },
          { type: "bar", name: d.team_name, data: d.team_bars, itemStyle: { color: teamColour } }
        ]
      });
      charts.push(response);
    }
    var pEl = document.getElementById("percentile-chart");
    if (pEl) {
      var pc = echarts.init(pEl, null, { renderer: "canvas" });
      pc.setOption({
        animation: false,
        legend: { top: 0 },
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + " " + d.minutes; } },
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return v + " " + d.minutes; } } },
        yAxis: { type: "category", data: [d.team_name, d.rep_name], axisLabel: { width: phone() ? 56 : 96, overflow: "truncate" } },
        series: d.percentiles.map(function (name, i) {
          var shades = ["#d6e4f5", "#a6c8f0", "#4f8fdb", "#174f91"];
          return { type: "bar", name: name, data: [d.team_percentiles[i], d.rep_percentiles[i]], itemStyle: { color: shades[i] }, barGap: "10%" };
        })
      });
      charts.push(pc);
    }
    var radarEl = document.getElementById("radar-chart");
    function missing(v) { return v === null || v === undefined ? "-" : v; }
    if (radarEl && d.radar.axes.length) {
      var radar = echarts.init(radarEl, null, { renderer: "canvas" });
      radar.setOption({
        animation: false,
        legend: { bottom: 0 },
        tooltip: { renderMode: "richText" },
        // An axis without data says so and leaves its point out, rather than plotting a 0.
        radar: { radius: phone() ? "58%" : "65%", indicator: d.radar.axes.map(function (name, i) { return { name: d.radar.rep[i] === null ? name + "（" + d.no_data + "）" : name, max: 100 }; }), axisName: { color: "#182433" } },
        series: [{
          type: "radar",
          data: [
            { name: d.rep_name, value: d.radar.rep.map(missing), itemStyle: { color: repColour }, areaStyle: { opacity: 0.2 } },
            { name: d.team_name, value: d.radar.team.map(missing), itemStyle: { color: "#f59f00" }, lineStyle: { type: "dashed" } }
          ]
        }]
      });
      charts.push(radar);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) return;
    drawHeatmap();
    drawEfficiency();
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
