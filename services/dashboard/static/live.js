// Live pages: one EventSource per open page (the URL in <body data-live-stream>). Each
// `change` reloads, through htmx, every element that names its fragment in
// `data-live-refresh` (coalesced over 100 ms); the fragment waits until the service's
// read has caught up with the change's position. No polling: the browser reconnects by
// itself if the stream drops, and a reconnect reloads the parts once.
(function () {
  "use strict";
  var src = document.body && document.body.dataset.liveStream;
  if (!src || !window.EventSource) { return; }
  var pending = null;
  var latest = null;

  // A form someone is filling in is not replaced under their hands: a part holding a
  // changed form waits (its own submit answers with the fresh part anyway).
  document.addEventListener("input", function (e) {
    if (e.target && e.target.form) { e.target.form.dataset.dirty = "1"; }
  });
  document.addEventListener("change", function (e) {
    if (e.target && e.target.form) { e.target.form.dataset.dirty = "1"; }
  });
  document.addEventListener("toggle", function (e) {  // an opened fold is work in hand
    if (e.target && e.target.tagName === "DETAILS") {
      if (e.target.open) { e.target.dataset.dirty = "1"; } else { delete e.target.dataset.dirty; }
    }
  }, true);

  // A refresh asked for before someone started typing may answer after: its answer is not
  // swapped in over a form in hand either (the next change, or the form's own submit, will).
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var cfg = e.detail.requestConfig;
    var target = e.detail.target;
    if (cfg && cfg.verb === "get" && target && target.querySelector &&
        target.querySelector("form[data-dirty], details[open][data-dirty]")) {
      e.detail.shouldSwap = false;
    }
  });

  function refreshAll() {
    pending = null;
    var detail = latest;
    latest = null;
    document.querySelectorAll("[data-live-refresh]").forEach(function (el) {
      if (el.querySelector("form[data-dirty], details[open][data-dirty]")) { return; }
      var url = new URL(el.dataset.liveRefresh, window.location.href);
      if (detail && detail.position) { url.searchParams.set("setelah", detail.position); }
      if (detail && detail.case_id) { url.searchParams.set("kasus", detail.case_id); }
      window.htmx.ajax("GET", url.pathname + url.search, { target: "#" + el.id, swap: "outerHTML" });
    });
  }

  function schedule(detail) {
    if (detail && (!latest || (detail.position || 0) >= (latest.position || 0))) { latest = detail; }
    if (!pending) { pending = window.setTimeout(refreshAll, 100); }
  }

  var connectedBefore = false;
  var stream = new EventSource(src);
  stream.addEventListener("ready", function () {
    document.body.dataset.live = "on";
    if (connectedBefore) { schedule(null); }  // missed changes while away: reload once
    connectedBefore = true;
  });
  stream.addEventListener("change", function (e) { schedule(JSON.parse(e.data)); });
  stream.addEventListener("resync", function () { schedule(null); });
  stream.onerror = function () { document.body.dataset.live = "off"; };
})();
