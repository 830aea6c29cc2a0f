// Visit page: fill every form's hidden lat/lng from the phone's location (evidence is checked against it).
document.addEventListener("DOMContentLoaded", function () {
  var status = document.getElementById("geo-status");
  if (!status) return;  // only the owner of an open visit is asked for the location
  if (!navigator.geolocation) { status.textContent = status.dataset.unsupported; return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.querySelectorAll(".sf-lat").forEach(function (el) { el.value = pos.coords.latitude.toFixed(6); });
    document.querySelectorAll(".sf-lng").forEach(function (el) { el.value = pos.coords.longitude.toFixed(6); });
    status.textContent = status.dataset.located + " " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
  }, function () {
    status.textContent = status.dataset.failed;
  }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
});
