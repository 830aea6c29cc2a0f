// 今日战报: the wall polls its panels fragment every N seconds (the pack's
// settings.battle_report_refresh_seconds, re-read from each answer) and swaps it in.
//
// Built to run on a TV for days: one timer at a time (setTimeout, never setInterval), the panels
// are replaced (innerHTML), nothing is appended or kept in arrays, no chart instances. After a
// failed poll (network drop, server restart) it shows "连接中断，正在重连" and retries with a
// growing pause (capped), and returns to the normal pace on the first good answer.
(function () {
  "use strict";

  var root = document.getElementById("battle");
  if (!root) return;
  var pollUrl = root.getAttribute("data-poll-url");
  var panels = document.getElementById("battle-panels");
  var offline = document.getElementById("battle-offline");
  var updated = document.getElementById("battle-updated-at");
  var refresh = Math.max(1, parseInt(root.getAttribute("data-refresh-seconds"), 10) || 15);
  var failures = 0;
  var timer = null;
  var MAX_PAUSE_SECONDS = 60;
  // A poll that has not answered after this long counts as failed (the network may hang).
  var TIMEOUT_FACTOR = 3;

  function applyWidths() {
    panels.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = Math.max(0, Math.min(100, parseFloat(el.getAttribute("data-width")) || 0)) + "%";
    });
    panels.querySelectorAll("[data-left]").forEach(function (el) {
      el.style.left = Math.max(0, Math.min(100, parseFloat(el.getAttribute("data-left")) || 0)) + "%";
    });
  }

  // The server says the local day and time (Asia/Shanghai), whatever the TV's clock and zone.
  function showUpdated() {
    var grid = panels.firstElementChild;
    if (!grid) return;
    var at = grid.getAttribute("data-generated-at");
    var time = grid.getAttribute("data-time");
    var day = grid.getAttribute("data-day");
    if (updated && at && time) {
      updated.setAttribute("datetime", at);
      updated.textContent = time;
    }
    var dayEl = document.getElementById("battle-day");
    if (dayEl && day) dayEl.textContent = day;
  }

  function setOffline(down) {
    if (offline) offline.hidden = !down;
    root.classList.toggle("sf-wall-down", down);
  }

  function schedule(seconds) {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(poll, seconds * 1000);
  }

  function failed() {
    failures += 1;
    setOffline(true);
    schedule(Math.min(MAX_PAUSE_SECONDS, refresh * Math.pow(2, Math.min(failures, 6) - 1)));
  }

  function poll() {
    timer = null;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var guard = setTimeout(function () { if (controller) controller.abort(); }, refresh * TIMEOUT_FACTOR * 1000 + 5000);
    fetch(pollUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Requested-With": "battle" },
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      clearTimeout(guard);
      // A TV link that was revoked or expired, or a session that ended: the page itself says why.
      if (response.status === 404 || response.status === 410 || (response.redirected && response.url.indexOf("/login/") !== -1)) {
        window.location.reload();
        return null;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      var next = parseInt(response.headers.get("X-Refresh-Seconds"), 10);
      if (next > 0) refresh = next;
      return response.text();
    }).then(function (html) {
      if (html === null) return;
      panels.innerHTML = html;
      applyWidths();
      showUpdated();
      failures = 0;
      setOffline(false);
      schedule(refresh);
    }).catch(function () {
      clearTimeout(guard);
      failed();
    });
  }

  // A team picker submits on change; full screen on demand (a TV browser may not start there).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.form && el.hasAttribute("data-autosubmit")) el.form.submit();
  });
  var fullscreen = document.getElementById("battle-fullscreen");
  if (fullscreen) {
    fullscreen.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
    });
  }
  // Back online: do not wait out the pause.
  window.addEventListener("online", function () { if (failures) schedule(0); });

  applyWidths();
  showUpdated();
  schedule(refresh);
})();
