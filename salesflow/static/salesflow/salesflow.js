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
