/* Citation pop-ups: placed at their marker, closed by Escape, not opened by arriving on a marker, and on a
   touch screen shown by a first tap (a second tap follows the link). The page works without this script:
   the pop-ups then show on hover and focus, against the text column. */
(function () {
  "use strict";
  // On <body>, not <html>: the preview compares <html>'s attributes to decide between swapping the body and reloading.
  document.body.classList.add("pointer-still");
  var lastPointer = "mouse";
  var interacted = false;  // no key pressed, no pointer down yet: focus can only have come with the page's address
  document.addEventListener("keydown", function () { interacted = true; }, true);

  function place(cite) {
    var tip = cite.querySelector(".cite-tip");
    var box = cite.closest(".body");
    if (!tip || !box) return;
    var marker = cite.querySelector(".cite-ref").getBoundingClientRect();
    var frame = box.getBoundingClientRect();
    var width = Math.min(tip.offsetWidth || 480, frame.width);
    var left = Math.max(0, Math.min(marker.left - frame.left - 8, frame.width - width));
    tip.style.left = left + "px";
    tip.style.top = (marker.bottom - frame.top + 4) + "px";
    tip.style.marginTop = "0";
  }

  function closeAll(except) {
    document.querySelectorAll(".cite.cite-open").forEach(function (c) { if (c !== except) c.classList.remove("cite-open"); });
  }

  // A marker under a resting pointer (after a page opens at it) shows nothing until the pointer moves.
  document.addEventListener("pointermove", function () { document.body.classList.remove("pointer-still"); }, { once: true });
  document.addEventListener("pointerdown", function (event) { interacted = true; lastPointer = event.pointerType || "mouse"; }, true);

  document.addEventListener("mouseover", function (event) {
    var cite = event.target.closest && event.target.closest(".cite");
    if (cite) { cite.classList.remove("cite-dismissed"); place(cite); }
  });
  function arrived(cite) {
    // A page opened at a marker (a back link from a source page) focuses it: keep its quote closed.
    cite.classList.add("cite-dismissed");
  }
  document.addEventListener("focusin", function (event) {
    var cite = event.target.closest && event.target.closest(".cite");
    if (!cite) return;
    if (!interacted && event.target.matches(":target")) { arrived(cite); return; }
    cite.classList.remove("cite-dismissed");
    place(cite);
  });
  var landed = document.activeElement && document.activeElement.closest && document.activeElement.closest(".cite");
  if (landed) arrived(landed);
  document.addEventListener("mouseout", function (event) {
    var cite = event.target.closest && event.target.closest(".cite");
    if (cite && !cite.contains(event.relatedTarget)) cite.classList.remove("cite-dismissed");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".cite").forEach(function (cite) {
      if (cite.matches(":hover, :focus-within, .cite-open")) { cite.classList.add("cite-dismissed"); cite.classList.remove("cite-open"); }
    });
    var menu = document.querySelector(".menu[open]");
    if (menu) { menu.removeAttribute("open"); menu.querySelector("summary").focus(); }
  });

  document.addEventListener("click", function (event) {
    var marker = event.target.closest && event.target.closest(".cite-ref");
    if (marker && lastPointer === "touch") {
      var cite = marker.closest(".cite");
      if (!cite.classList.contains("cite-open")) {
        event.preventDefault();  // the first tap shows the quote; the next one follows the link
        closeAll(cite);
        cite.classList.remove("cite-dismissed");
        cite.classList.add("cite-open");
        place(cite);
        return;
      }
    }
    if (!(event.target.closest && event.target.closest(".cite"))) closeAll(null);
  });
})();
