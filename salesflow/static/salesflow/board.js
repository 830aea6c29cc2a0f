// The pipeline board: drag a card to another stage column to advance the opportunity.
// The server decides (evidence gates); a refused move puts the card back and says what is missing.
(function () {
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function toast(message, kind) {
    var area = document.getElementById("toast-area");
    if (!area) return;
    var el = document.createElement("div");
    el.className = "toast show text-white " + (kind === "error" ? "bg-danger" : "bg-success");
    el.setAttribute("role", "status");
    el.setAttribute("data-testid", "toast");
    el.innerHTML = '<div class="toast-body"></div>';
    el.firstChild.textContent = message;
    area.appendChild(el);
    setTimeout(function () { el.remove(); }, 5000);
  }

  function showMessage(board, text, url) {
    var box = document.getElementById("board-message");
    if (!box) return;
    box.textContent = text + " ";
    if (url) {
      var link = document.createElement("a");
      link.href = url + "#evidence";
      link.className = "alert-link";
      link.textContent = board.getAttribute("data-upload-link");
      box.appendChild(link);
    }
    box.classList.remove("d-none");
  }

  function hideMessage() {
    var box = document.getElementById("board-message");
    if (box) box.classList.add("d-none");
  }

  // Whole cents, so the header sums stay exact before they are shown in 万元.
  function cents(text) {
    var parts = String(text || "0").split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function bump(body, delta, amount) {
    var column = body.closest(".sf-column");
    var badge = column.querySelector("[data-count]");
    if (badge) badge.textContent = String(parseInt(badge.textContent, 10) + delta);
    var sum = column.querySelector("[data-sum]");
    if (!sum) return;
    var total = cents(sum.getAttribute("data-sum")) + delta * cents(amount);
    var yuan = Math.floor(total / 100), fen = String(total % 100).padStart(2, "0");
    sum.setAttribute("data-sum", yuan + "." + fen);
    sum.textContent = moneyShort(total, sum.getAttribute("data-wan-format") || "¥%(n)s 万");
  }

  // The column total as the server's money_short filter writes it: "¥48 万", "¥86.5 万", "¥9,800".
  function moneyShort(totalCents, wanFormat) {
    if (Math.abs(totalCents) >= 1000000) {
      var wan = Math.round(totalCents / 100000) / 10;
      return wanFormat.replace("%(n)s", wan.toLocaleString("en-US", { maximumFractionDigits: 1 }));
    }
    return "¥" + Math.round(totalCents / 100).toLocaleString("en-US");
  }

  function putBack(card, from, oldIndex) {
    var siblings = from.querySelectorAll(".sf-card");
    var ref = siblings[oldIndex] || null;
    if (ref === card) ref = card.nextSibling;
    from.insertBefore(card, ref);
  }

  function onDrop(board, event) {
    var card = event.item, from = event.from, to = event.to;
    if (from === to) return;
    var backward = parseInt(to.getAttribute("data-index"), 10) < parseInt(from.getAttribute("data-index"), 10);
    var reason = "";
    if (backward) {
      reason = window.prompt(board.getAttribute("data-reason-prompt")) || "";
      if (!reason.trim()) { putBack(card, from, event.oldIndex); return; }
    }
    var body = new URLSearchParams();
    body.set("to_stage", to.getAttribute("data-stage"));
    body.set("reason", reason);
    var url = board.getAttribute("data-advance-url").replace("/0/", "/" + card.getAttribute("data-id") + "/");
    card.classList.add("opacity-50");
    fetch(url, {
      method: "POST",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin",
    })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); })
      .then(function (result) {
        card.classList.remove("opacity-50");
        if (result.ok && result.data.ok) {
          hideMessage();
          var holder = document.createElement("div");
          holder.innerHTML = result.data.card.trim();
          var fresh = holder.firstChild;
          card.replaceWith(fresh);
          var amount = card.getAttribute("data-amount");
          bump(from, -1, amount); bump(to, 1, amount);
          toast(result.data.message, "success");
        } else {
          putBack(card, from, event.oldIndex);
          showMessage(board, result.data.message, result.data.url);
          toast(result.data.message, "error");
        }
      })
      .catch(function () {
        card.classList.remove("opacity-50");
        putBack(card, from, event.oldIndex);
        toast(board.getAttribute("data-failed"), "error");
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector(".sf-board");
    if (!board || !window.Sortable) return;
    board.querySelectorAll(".sf-column-body").forEach(function (column) {
      window.Sortable.create(column, {
        group: "pipeline",
        draggable: ".sf-card",
        animation: 150,
        forceFallback: true,          // mouse and touch behave the same (no native HTML5 drag)
        fallbackTolerance: 4,         // a click on the title still opens the opportunity
        delay: 150,
        delayOnTouchOnly: true,       // on phones a short press starts the drag, a swipe scrolls
        ghostClass: "sf-card-ghost",
        onEnd: function (event) { onDrop(board, event); },
      });
    });
  });
})();
