/* A [data-print] button prints the page (the print stylesheet shows the complete summary).
   A page with a [data-print-audit] element (the print beacon's URL, the page's name and the
   CSRF token: the CSRF cookie is HttpOnly, so the token comes from the page) tells the server
   it was printed, by the button or by the browser's own print command, so the print is in the
   audit log. One beacon per print: the button and "beforeprint" both ask within a moment. */
(function () {
  "use strict";
  var beacon = document.querySelector("[data-print-audit]");
  var recent = false;

  function recordPrint() {
    if (!beacon || recent) { return; }
    recent = true;
    window.setTimeout(function () { recent = false; }, 2000);
    fetch(beacon.getAttribute("data-print-audit"), {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "X-CSRFToken": beacon.getAttribute("data-csrf-token") || "" },
      body: new URLSearchParams({ page: beacon.getAttribute("data-print-page") || "" })
    }).catch(function () { /* offline: the page still prints */ });
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      recordPrint();
      window.print();
    });
  });
  window.addEventListener("beforeprint", recordPrint);
})();
