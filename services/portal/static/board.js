// The live capacity board: server-sent events from /board/events say "changed", and the
// table is fetched again (the figures always come from the API, with the reader's token).
// EventSource reconnects by itself after the server closes a stream (every ~25 s); when the
// server refuses one (503: too many live boards) it is opened again after a pause. The status
// line says whether the table follows the event stream ("live") or not ("offline").
(function () {
  "use strict";
  var board = document.getElementById("capacity-board");
  var status = document.getElementById("board-status");
  if (!board || !status || !window.EventSource || !window.fetch) {
    return; // the page stays a plain page with its refresh link
  }
  var tableUrl = board.getAttribute("data-table-url");
  var streamUrl = board.getAttribute("data-stream-url");
  var state = "";
  var waiting = null;
  var followedBefore = false;

  function show(next) {
    if (next === state) {
      return;
    }
    state = next;
    status.textContent = status.getAttribute("data-" + next);
    status.className = "portal-live portal-live--" + next;
  }

  // Several events in a burst (a request, then its approval) become one fetch.
  function refresh() {
    if (waiting) {
      return;
    }
    waiting = window.setTimeout(function () {
      waiting = null;
      window.fetch(tableUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          board.innerHTML = html;
        })
        .catch(function () {
          show("offline");
        });
    }, 250);
  }

  // Another portal process may answer the table before its own feed has seen this change
  // (it would hand out its copy from before it): ask once more when that has passed.
  var settling = null;
  function changed() {
    refresh();
    if (settling) {
      window.clearTimeout(settling);
    }
    settling = window.setTimeout(function () {
      settling = null;
      refresh();
    }, 1500);
  }

  function connect() {
    var source = new EventSource(streamUrl);
    source.addEventListener("live", function () {
      show("live");
      if (followedBefore) {
        refresh(); // what changed between two streams
      }
      followedBefore = true;
    });
    source.addEventListener("offline", function () {
      show("offline");
    });
    source.addEventListener("changed", changed);
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        show("offline");
        window.setTimeout(connect, 10000);
      }
      // CONNECTING: the stream ended as planned or dropped; EventSource reconnects itself.
    };
  }

  connect();
})();
