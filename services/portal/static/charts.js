// Draws a bar chart above every table marked data-chart="bar": the row headings are the
// bars' labels, the cells of column data-chart-column (1 = the first figure after the row
// heading) their values (data-value holds the raw number). The table stays: it is the content
// without JavaScript and the alternative for screen readers, so the canvas is hidden from
// them. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";
  function drawChart(table) {
    var column = parseInt(table.getAttribute("data-chart-column"), 10) || 1;
    var labels = [];
    var values = [];
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var heading = row.querySelector("th[scope=row]");
      var cell = row.querySelectorAll("td[data-value]")[column - 1];
      if (!heading || !cell) {
        return;
      }
      labels.push(heading.textContent.trim());
      var value = parseFloat(cell.getAttribute("data-value"));
      values.push(isNaN(value) ? 0 : value);
    });
    if (!labels.length) {
      return;
    }
    var title = table.querySelectorAll("thead th")[column];
    var wrapper = document.createElement("div");
    wrapper.className = "portal-chart__canvas";
    wrapper.setAttribute("aria-hidden", "true");
    var canvas = document.createElement("canvas");
    wrapper.appendChild(canvas);
    table.parentNode.insertBefore(wrapper, table);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            label: title ? title.textContent.trim() : "",
            data: values,
            backgroundColor: "#154273",
            borderColor: "#0b2240",
            borderWidth: 1
          }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: labels.length > 6 ? "y" : "x",
        plugins: { legend: { display: true } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) {
      return;
    }
    document.querySelectorAll("table[data-chart=bar]").forEach(drawChart);
  });
})();
