// Every htmx request carries the CSRF token from the page's meta tag (forms without
// JavaScript send it as a hidden field). No inline script anywhere: the CSP forbids it.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  }
});
// After a partial update that shows an error summary, move focus to it (WCAG 3.3.1).
document.addEventListener("htmx:afterSwap", function (event) {
  var summary = event.detail.target.querySelector("#error-summary");
  if (summary) {
    summary.focus();
  }
});
// After a full page load with an error summary (a form sent without htmx), start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
