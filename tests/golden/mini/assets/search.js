/* The search page: Pagefind's interface over the index in pagefind/, found relative to this page so the
   site works under any sub-path. Results are a page of the briefing or a source (its address lies
   under sources/); the form above them shows one kind, or one source. Opened from disk (file://) a
   browser will not load the index: the page says so. */
(function () {
  "use strict";
  var status = document.getElementById("search-status");
  var box = document.getElementById("search");
  var filters = document.getElementById("search-filters");
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
  var sources = new URL("sources/", base).pathname;
  status.textContent = "";
  filters.hidden = false;
  new PagefindUI({
    element: "#search",
    bundlePath: bundle.pathname.replace(/[^/]*$/, ""),
    baseUrl: base.pathname.replace(/[^/]*$/, ""),
    showSubResults: true,
    showImages: false,
    resetStyles: false,
    translations: { placeholder: "Search pages and sources" }
  });

  function apply() {
    var kind = filters.elements.kind.value;
    var source = filters.elements.source.value ? new URL(filters.elements.source.value, location.href).pathname : "";
    box.querySelectorAll(".pagefind-ui__result").forEach(function (result) {
      var link = result.querySelector(".pagefind-ui__result-link");
      var path = link ? new URL(link.href, location.href).pathname : "";
      var isSource = path.indexOf(sources) === 0 && path !== sources + "index.html";
      result.hidden = (kind === "page" && isSource) || (kind === "source" && !isSource) || (source !== "" && path !== source);
    });
  }
  filters.addEventListener("change", apply);
  new MutationObserver(apply).observe(box, { childList: true, subtree: true });
})();
