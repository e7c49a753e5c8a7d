// 발송통계 (STA-06): each type's figure, built by the server (services/stats/charts.py, the
// same objects the PDF draws), made interactive with plotly.js served from the package.
// Without this script the page still shows every number (the figures under each chart and the table).
(function () {
  var data = document.getElementById("stats-figures");
  if (!data || !window.Plotly) { return; }
  var figures = JSON.parse(data.textContent);
  document.querySelectorAll(".mb-chart[data-figure-index]").forEach(function (el) {
    var fig = JSON.parse(figures[Number(el.getAttribute("data-figure-index"))]);
    window.Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
  });
})();
