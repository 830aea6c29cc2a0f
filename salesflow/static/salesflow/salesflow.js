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
