// A background job's progress page (templates/admin/screener/criteriajob/progress.html):
// while the job runs (#content-main carries data-job-running), fetch the page again every
// data-refresh-seconds and put its content in place; stop once the job has finished. No
// meta refresh (it reloads the page under a reader's feet) and no inline script (the CSP).
(function () {
  "use strict";
  const POLL = "[data-job-running]";

  function poll(content) {
    const seconds = Number(content.dataset.refreshSeconds) || 2;
    window.setTimeout(function () {
      // Polling is not the admin at work: it does not keep the session from timing out.
      fetch(window.location.href, {
        credentials: "same-origin",
        headers: { Accept: "text/html", "X-Session-Activity": "none" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("content-main");
          if (!fresh) return;
          content.replaceWith(fresh);
          if (fresh.matches(POLL)) poll(fresh);
        })
        .catch(function () {
          poll(content); // the server is busy or restarting: try again later
        });
    }, seconds * 1000);
  }

  const content = document.querySelector("#content-main" + POLL);
  if (content) poll(content);
})();
