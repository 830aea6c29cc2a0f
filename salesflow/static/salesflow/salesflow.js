// Salesflow's own browser code: short toasts for htmx answers.
document.addEventListener("htmx:afterRequest", function (event) {
  var message = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Toast");
  if (!message) return;
  var area = document.getElementById("toast-area");
  var toast = document.createElement("div");
  toast.className = "toast show";
  toast.setAttribute("role", "status");
  toast.innerHTML = '<div class="toast-body"></div>';
  toast.firstChild.textContent = decodeURIComponent(message);
  area.appendChild(toast);
  setTimeout(function () { toast.remove(); }, 4000);
});

// Rule builder: show only the parameter inputs that belong to each action row's type.
function sfSyncActionRows(root) {
  (root || document).querySelectorAll(".sf-action-row").forEach(function (row) {
    var select = row.querySelector(".sf-action-type");
    var type = select ? select.value : "";
    row.querySelectorAll("[data-show-for]").forEach(function (el) {
      var types = el.getAttribute("data-show-for").split(" ");
      el.style.display = types.indexOf(type) >= 0 ? "" : "none";
    });
  });
}
document.addEventListener("change", function (event) {
  if (event.target.classList && event.target.classList.contains("sf-action-type")) sfSyncActionRows();
});
document.addEventListener("DOMContentLoaded", function () { sfSyncActionRows(); });

// SLA countdowns tick in the browser: "还剩 12:05" or "已超时 3:10".
function sfTick() {
  var now = Date.now();
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var due = Date.parse(el.getAttribute("data-countdown"));
    if (isNaN(due)) return;
    var seconds = Math.round((due - now) / 1000);
    var abs = Math.abs(seconds);
    var d = Math.floor(abs / 86400), h = Math.floor((abs % 86400) / 3600), m = Math.floor((abs % 3600) / 60), s = abs % 60;
    var english = document.documentElement.lang === "en";
    var text = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
    // Past a day the seconds only flicker: days and hours:minutes say it better ("还剩 6 天 23:59").
    if (d) text = d + (english ? "d " : " 天 ") + h + ":" + String(m).padStart(2, "0");
    el.textContent = seconds >= 0 ? (english ? text + " left" : "还剩 " + text) : (english ? "overdue " + text : "已超时 " + text);
    el.classList.toggle("text-danger", seconds < 0);
  });
}
document.addEventListener("DOMContentLoaded", function () { sfTick(); setInterval(sfTick, 1000); });

// The Content-Security-Policy allows no inline handlers or style attributes, so behaviour
// hangs on data attributes: data-autosubmit (submit the form on change), data-change-click
// (click the form's element matching the selector on change), data-confirm (ask before
// submitting), data-history-back (a "back" link), data-width (a progress bar's percent).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (!el.form) return;
  if (el.hasAttribute("data-autosubmit")) el.form.submit();
  var selector = el.getAttribute("data-change-click");
  if (selector) el.form.querySelector(selector).click();
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
}, true);
document.addEventListener("click", function (event) {
  var back = event.target.closest && event.target.closest("[data-history-back]");
  // With no page to go back to (a link opened in a new tab), the link's own href applies.
  if (back && window.history.length > 1) { event.preventDefault(); history.back(); }
});
function sfApplyWidths() {
  document.querySelectorAll("[data-width]").forEach(function (el) { el.style.width = el.getAttribute("data-width") + "%"; });
}
document.addEventListener("DOMContentLoaded", sfApplyWidths);
document.addEventListener("htmx:load", sfApplyWidths);

// A tab strip wider than a phone scrolls sideways: bring the open tab into view, centred.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("ul.overflow-auto > .nav-item > .nav-link.active").forEach(function (tab) {
    var strip = tab.closest("ul");
    strip.scrollLeft = tab.offsetLeft - strip.offsetLeft - (strip.clientWidth - tab.offsetWidth) / 2;
  });
});

// shell: the search suggestions close on Escape, on a click elsewhere, and when the box is cleared.
function sfCloseSuggestions(except) {
  document.querySelectorAll(".sf-suggest").forEach(function (box) {
    if (box !== except) box.innerHTML = "";
  });
}
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") sfCloseSuggestions(null);
});
document.addEventListener("click", function (event) {
  var form = event.target.closest && event.target.closest(".sf-search");
  sfCloseSuggestions(form ? form.querySelector(".sf-suggest") : null);
});
document.addEventListener("input", function (event) {
  var input = event.target;
  if (input.classList && input.classList.contains("sf-search-input") && input.value.trim().length < 2) {
    var form = input.closest(".sf-search");
    if (form) form.querySelector(".sf-suggest").innerHTML = "";
  }
});

// shell: the record page's sticky action bar keeps the buttons whose form is on the page and
// scrolls to the form when tapped (its own href is the fallback without this script).
function sfActionBar() {
  document.querySelectorAll(".sf-action-bar").forEach(function (bar) {
    bar.querySelectorAll("[data-action-target]").forEach(function (button) {
      if (!document.querySelector(button.getAttribute("data-action-target"))) button.remove();
    });
    bar.classList.toggle("is-ready", bar.children.length > 0);
  });
}
document.addEventListener("DOMContentLoaded", sfActionBar);
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest(".sf-action-bar [data-action-target]");
  if (!button) return;
  var target = document.querySelector(button.getAttribute("data-action-target"));
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ behavior: "smooth", block: "start" });
});
