/*
 * The warning before the session ends, and leaving the page when it does.
 *
 * The server is the authority (intake/session_timeout.py): it signs the user out whatever
 * this script does. The page is rendered with the seconds left (data-seconds-left) and the
 * warning's lead time (data-warning-seconds). Before acting, the script asks the server how
 * long is really left (data-status-url; asking is not activity), because another tab or the
 * intake form's live panel may have been active meanwhile.
 *
 * - With the warning's time or less left, the alert shows a countdown; "Stay signed in" posts
 *   the keep-alive form (activity, 204) and the alert goes away. When the session's 12-hour
 *   limit comes first, nothing can extend it and the button is hidden.
 * - Shortly before the end, the page is told ("session:expiring" on window; a listener may
 *   call event.detail.waitFor(promise), as the intake form does to save its draft). Once the
 *   server's deadline has passed the page is loaded again: the server signs the user out and
 *   sends them to the login page, with the reason, so nothing is left on screen.
 * - "session:warning" (event.detail.note(text)) lets a page add a line to the warning.
 */
(function () {
  "use strict";

  var box = document.getElementById("session-timeout");
  if (!box || !window.fetch || !window.Promise) {
    return;
  }
  var form = box.querySelector("form");
  var message = box.querySelector(".session-message");
  var note = box.querySelector(".session-note");
  var stay = box.querySelector(".session-stay");
  var statusUrl = box.getAttribute("data-status-url");
  var warningMs = Number(box.getAttribute("data-warning-seconds")) * 1000;
  // The page's own last request (a draft saved) goes this long before the server's deadline.
  var SAVE_MARGIN_MS = Math.min(5000, warningMs / 2);
  // The page is loaded again this long after the deadline, so the server finds it passed.
  var LEAVE_AFTER_MS = 1000;
  var RETRY_MS = 5000;
  var deadline = Date.now() + Number(box.getAttribute("data-seconds-left")) * 1000;
  var timer = null;
  var ticker = null;
  var leaving = false;

  function at(time, action) {
    window.clearTimeout(timer);
    timer = window.setTimeout(action, Math.max(0, time - Date.now()));
  }

  function secondsText(seconds) {
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    message.textContent = "You will be signed out in " + secondsText(left) + ".";
  }

  function showWarning(renewable) {
    stay.hidden = !renewable;
    tick();
    if (box.hidden) {
      note.hidden = true;
      note.textContent = "";
      window.dispatchEvent(
        new CustomEvent("session:warning", {
          detail: {
            note: function (text) {
              note.textContent = text;
              note.hidden = false;
            },
          },
        })
      );
      box.hidden = false;
    }
    window.clearInterval(ticker);
    ticker = window.setInterval(tick, 1000);
  }

  function hideWarning() {
    window.clearInterval(ticker);
    box.hidden = true;
  }

  // The state as the server sees it, or null when the user is signed out already.
  function ask() {
    return fetch(statusUrl, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  function plan(secondsLeft, renewable) {
    deadline = Date.now() + secondsLeft * 1000;
    if (deadline - Date.now() > warningMs) {
      hideWarning();
      at(deadline - warningMs, check);
    } else {
      showWarning(renewable);
      at(deadline - SAVE_MARGIN_MS, check);
    }
  }

  function check() {
    if (leaving) {
      return;
    }
    ask().then(
      function (state) {
        if (!state) {
          leave();
        } else if (state.seconds_left * 1000 <= SAVE_MARGIN_MS + 500) {
          expire();
        } else {
          plan(state.seconds_left, state.renewable);
        }
      },
      function () {
        // The server did not answer: go by the last known deadline, and ask again soon.
        if (Date.now() >= deadline - SAVE_MARGIN_MS) {
          expire();
          return;
        }
        if (deadline - Date.now() <= warningMs) {
          showWarning(!stay.hidden);
        }
        at(Math.min(Date.now() + RETRY_MS, deadline - SAVE_MARGIN_MS), check);
      }
    );
  }

  function expire() {
    if (leaving) {
      return;
    }
    leaving = true;
    window.clearTimeout(timer);
    var waits = [];
    window.dispatchEvent(
      new CustomEvent("session:expiring", {
        detail: {
          waitFor: function (promise) {
            waits.push(promise);
          },
        },
      })
    );
    Promise.allSettled(waits).then(function () {
      at(deadline + LEAVE_AFTER_MS, leave);
    });
  }

  function leave() {
    leaving = true;
    window.location.assign(window.location.href.split("#")[0]);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-Requested-With": "fetch" },
    }).then(
      function (response) {
        if (response.status === 204) {
          check();
        } else {
          leave(); // signed out already (401), or the form is stale: the server decides
        }
      },
      function () {
        check();
      }
    );
  });

  at(deadline - warningMs, check);
})();
