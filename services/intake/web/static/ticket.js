// The ticket page without reloading by hand: the SLA countdown ticks, and the page reloads
// when the ticket changes (polling its version) unless someone is typing in one of its forms.
// Everything here is an extra: the page and its forms work without it.
(function () {
  "use strict";
  var script = document.currentScript;
  var versionUrl = script && script.getAttribute("data-version-url");
  var ticketUrl = script && script.getAttribute("data-ticket-url");

  function countdown() {
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!due || el.getAttribute("data-paused") === "1") { return; }
      var left = Math.round((due - Date.now()) / 60000);
      var out = el.nextElementSibling && el.nextElementSibling.classList.contains("left")
        ? el.nextElementSibling : null;
      if (!out) {
        out = document.createElement("span");
        out.className = "left";
        el.parentNode.insertBefore(out, el.nextSibling);
      }
      var abs = Math.abs(left), h = Math.floor(abs / 60), m = abs % 60;
      var text = (h ? h + " giờ " : "") + m + " phút";
      out.textContent = left >= 0 ? " (còn " + text + ")" : " (quá " + text + ")";
    });
  }

  var typing = false;
  function busy() { typing = true; }
  document.addEventListener("input", busy);
  document.addEventListener("focusin", function (e) {
    if (e.target.closest && e.target.closest("form, details")) { busy(); }
  });
  document.addEventListener("toggle", busy, true);
  var seen = null;
  function poll() {
    if (!versionUrl || typing) { return; }
    fetch(versionUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (v) {
        if (v === null) { return; }
        // A GET of the ticket page, never a reload (the page may be a form's answer).
        if (seen !== null && v !== seen) { window.location.assign(ticketUrl); }
        seen = v;
      })
      .catch(function () {});
  }
  countdown();
  poll();
  setInterval(countdown, 30000);
  setInterval(poll, 5000);
})();
