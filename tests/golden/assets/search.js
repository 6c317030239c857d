// Starts Pagefind's search box on search.html (reportgen/site/search.py). Everything it loads is
// part of the report; the page works without it (the find forms). ?q=TERM searches on arrival.
window.addEventListener("DOMContentLoaded", function () {
  if (typeof PagefindUI === "undefined" || !document.getElementById("search")) return;
  // results link below this page's folder: the report's root, latest or a snapshot's own
  var base = new URL(".", window.location.href).pathname;
  // the index comes in bundles (site/search.py): the first is Pagefind's own, the rest merged into it
  var bundles = document.getElementById("search").dataset.bundles.split(" ").map(function (bundle) {
    return new URL(bundle, window.location.href).pathname;
  });
  var ui = new PagefindUI({ element: "#search", bundlePath: bundles[0], baseUrl: base, showImages: false,
                            showSubResults: false, resetStyles: false,
                            mergeIndex: bundles.slice(1).map(function (bundle) {
                              return { bundlePath: bundle, baseUrl: base };
                            }) });
  // Pagefind's box has a placeholder but no label: give it one, for screen readers
  var input = document.querySelector("#search .pagefind-ui__search-input");
  if (input) input.setAttribute("aria-label", "Search users, models and request ids");
  var term = new URLSearchParams(window.location.search).get("q");
  if (term) ui.triggerSearch(term);
});
