// The customer's quote page (/q/<token>/): tells the server which section was read and for how
// long — one report each time a section leaves the screen or the page is hidden.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-beacon-url");
  if (!url || !("IntersectionObserver" in window)) return;
  var since = {};

  function report(section) {
    if (since[section] === undefined) return;
    var seconds = Math.round((Date.now() - since[section]) / 1000);
    delete since[section];
    if (seconds < 1) return;
    fetch(url, {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ section: section, seconds: Math.min(seconds, 3600) }),
    }).catch(function () {});
  }

  var observer = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        var section = entry.target.getAttribute("data-section");
        if (entry.isIntersecting) {
          if (since[section] === undefined) since[section] = Date.now();
        } else {
          report(section);
        }
      });
    },
    { threshold: 0.6 }
  );
  document.querySelectorAll("[data-section]").forEach(function (el) {
    observer.observe(el);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      Object.keys(since).forEach(report);
    }
  });
})();
