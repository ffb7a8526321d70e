/* The search page: Pagefind's interface over the index in pagefind/, found relative to this page so the
   site works under any sub-path. Opened from disk (file://) a browser will not load the index: say so. */
(function () {
  "use strict";
  var status = document.getElementById("search-status");
  var box = document.getElementById("search");
  if (location.protocol === "file:") {
    status.textContent = "Search needs the site served over HTTP (a browser will not load the search index from disk): run “python build.py serve” and open the address it prints.";
    return;
  }
  if (typeof PagefindUI === "undefined") {
    status.textContent = "The search index could not be loaded.";
    return;
  }
  var base = new URL(box.getAttribute("data-base"), location.href);
  var bundle = new URL(box.getAttribute("data-bundle"), location.href);
  status.textContent = "";
  new PagefindUI({
    element: "#search",
    bundlePath: bundle.pathname.replace(/[^/]*$/, ""),
    baseUrl: base.pathname.replace(/index\.html$/, ""),
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    translations: { placeholder: "Search the briefing and its sources" }
  });
})();
