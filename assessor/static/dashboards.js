/* Draws each chart from the JSON beside it (no inline scripts, so a strict CSP can be added),
   sends a click on a mark to its organisation's page, and fits the charts to A4 for printing. */
(function () {
  "use strict";
  var A4_WIDTH = 680; /* 180 mm of printable width at 96 px per inch */
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };

  function codeOf(point) {
    if (typeof point.customdata === "string") { return point.customdata; }
    if (point.data && point.data.meta === "rows are organisations") { return point.y; }
    return null;
  }

  function draw(plot) {
    var source = document.getElementById(plot.getAttribute("data-figure"));
    if (!source || !window.Plotly) { return; }
    /* User timings ("draw <chart>": this task, parsing included; "drawn <chart>": until
       plotly.js has finished), which benchmarks/dashboards.py reads; they cost nothing else. */
    var name = plot.id.replace(/-plot$/, ""), start = performance.now();
    var figure = JSON.parse(source.textContent);
    /* The figure's own height, so the plot keeps it when printing redraws it narrower. */
    plot.style.height = (figure.layout.height || 450) + "px";
    window.Plotly.newPlot(plot, figure.data, figure.layout, config).then(function () {
      plot.setAttribute("data-drawn", "true");
      performance.measure("drawn " + name, { start: start });
    });
    performance.measure("draw " + name, { start: start });
    var link = plot.getAttribute("data-link");
    if (link) {
      plot.on("plotly_click", function (event) {
        var code = event.points.length ? codeOf(event.points[0]) : null;
        if (code) { window.location.href = link.replace("__CODE__", encodeURIComponent(code)); }
      });
    }
  }

  function plots() { return Array.prototype.slice.call(document.querySelectorAll(".plot[data-drawn]")); }

  window.addEventListener("beforeprint", function () {
    plots().forEach(function (plot) { window.Plotly.relayout(plot, { width: A4_WIDTH }); });
  });
  window.addEventListener("afterprint", function () {
    plots().forEach(function (plot) { window.Plotly.relayout(plot, { width: null, autosize: true }); });
  });

  /* One chart per task, so the page stays responsive while thousands of points are drawn. */
  document.addEventListener("DOMContentLoaded", function () {
    var queue = Array.prototype.slice.call(document.querySelectorAll(".plot[data-figure]"));
    function next() {
      if (!queue.length) { return; }
      draw(queue.shift());
      window.setTimeout(next, 0);
    }
    window.setTimeout(next, 0);
  });
})();
