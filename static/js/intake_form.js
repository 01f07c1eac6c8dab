/*
 * The intake form's live panel (progressive enhancement; the page works without it).
 *
 * As answers change, the current form is posted to the panel URL; the server evaluates the
 * unsaved answers with the screening engine and returns the panel's HTML, including which
 * questions are required now (data-required) and which conditional questions are not needed
 * and not answered (data-collapsed). No expression is evaluated here: the server is the
 * authority. Nothing is saved by the panel.
 *
 * A conditional question sits in a <details> (intake/forms/intake_form.py): it opens when the
 * server says it is needed (or it has an answer), and closes again, as one line "not needed for
 * this patient", when it becomes not needed without an answer. A question the user opened by
 * hand stays open while it stays not needed, and focus is never left inside a closed one.
 *
 * A date typed in part (a day and a month without the year, say) is no value to the browser:
 * it would be sent as a blank and clear the saved answer without a word. Saving or submitting
 * stops at such a field with a message beside it, and the panel and the save before a
 * time-out send the field's saved value instead.
 *
 * Also: a warning before leaving with unsaved answers, and one submission per click.
 */
(function () {
  "use strict";

  var form = document.getElementById("intake-form");
  var panel = document.getElementById("live-panel");
  if (!form || !panel || !window.fetch || !window.FormData) {
    return;
  }
  var offline = document.getElementById("panel-offline");
  var url = form.getAttribute("data-panel-url");
  var timer = null;
  var sequence = 0;
  // A page sent back with errors or conflicts holds answers that are not saved yet.
  var dirty = form.getAttribute("data-unsaved") === "true";
  var submitting = false;

  function applyRequired() {
    var state = panel.querySelector("[data-required]");
    if (!state) {
      return;
    }
    var required = {};
    state.getAttribute("data-required").split(" ").forEach(function (code) {
      if (code) {
        required[code] = true;
      }
    });
    form.querySelectorAll(".question").forEach(function (wrapper) {
      var code = wrapper.id.replace(/^div_id_/, "");
      wrapper.classList.toggle("question-required", required[code] === true);
    });
  }

  function codeSet(attribute) {
    var codes = {};
    (attribute || "").split(" ").forEach(function (code) {
      if (code) {
        codes[code] = true;
      }
    });
    return codes;
  }

  function setCollapsed(details, collapsed) {
    details.classList.toggle("conditional-collapsed", collapsed);
    details.open = !collapsed;
  }

  // Collapsed as the server rendered them; a question changes state only when the server's
  // answer changes (a question opened by hand is left open).
  var wasCollapsed = {};
  form.querySelectorAll("details.conditional-question").forEach(function (details) {
    if (details.classList.contains("conditional-collapsed")) {
      wasCollapsed[details.id.replace(/^when_/, "")] = true;
    }
  });

  function applyCollapsed() {
    var state = panel.querySelector("[data-collapsed]");
    if (!state) {
      return;
    }
    var collapsed = codeSet(state.getAttribute("data-collapsed"));
    form.querySelectorAll("details.conditional-question").forEach(function (details) {
      var code = details.id.replace(/^when_/, "");
      if (!collapsed[code]) {
        setCollapsed(details, false);
      } else if (!wasCollapsed[code] && !details.contains(document.activeElement)) {
        setCollapsed(details, true);
      }
    });
    wasCollapsed = collapsed;
  }

  // An emergency: the warning goes beside the first red-flag question that raised it, and the
  // bar at the top of the form (phones) shows while any emergency holds.
  function applyEmergency() {
    var state = panel.querySelector("#panel-state");
    var bar = document.getElementById("emergency-bar");
    form.querySelectorAll(".inline-emergency").forEach(function (old) { old.remove(); });
    var emergency = state && state.getAttribute("data-emergency") === "true";
    var text = panel.querySelector(".emergency-text");
    if (bar) {
      bar.hidden = !emergency;
      if (emergency && text) {
        bar.querySelector(".emergency-text").textContent = text.textContent;
      }
    }
    if (!emergency || !text) {
      return;
    }
    var codes = (state.getAttribute("data-emergency-questions") || "").split(" ");
    for (var i = 0; i < codes.length; i += 1) {
      var wrapper = codes[i] && document.getElementById("div_id_" + codes[i]);
      if (wrapper) {
        var warning = document.createElement("div");
        warning.className = "alert alert-danger emergency-banner inline-emergency fw-bold";
        warning.setAttribute("role", "alert");
        warning.textContent = text.textContent;
        wrapper.insertAdjacentElement("afterend", warning);
        return;
      }
    }
  }

  function unfinishedDates() {
    return Array.prototype.filter.call(
      form.querySelectorAll('input[type="date"]'),
      function (input) {
        return input.validity && input.validity.badInput;
      }
    );
  }

  // The form's data, with a date typed in part replaced by its saved value (never a blank).
  function formData() {
    var data = new FormData(form);
    unfinishedDates().forEach(function (input) {
      data.set(input.name, input.defaultValue);
    });
    return data;
  }

  function markUnfinished(input) {
    var id = input.id + "-unfinished";
    if (!document.getElementById(id)) {
      var message = document.createElement("div");
      message.id = id;
      message.className = "invalid-feedback d-block unfinished-date";
      message.textContent =
        "This date is not complete: enter the day, the month and the year, or clear it.";
      input.insertAdjacentElement("afterend", message);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + id : id);
    }
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
  }

  function clearUnfinished(input) {
    var message = document.getElementById(input.id + "-unfinished");
    if (!message) {
      return;
    }
    message.remove();
    var described = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (token) {
        return token && token !== message.id;
      })
      .join(" ");
    if (described) {
      input.setAttribute("aria-describedby", described);
    } else {
      input.removeAttribute("aria-describedby");
    }
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
  }

  function refresh() {
    sequence += 1;
    var mine = sequence;
    panel.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: formData(),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("panel " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (mine !== sequence) {
          return; // a newer request is on its way; its answer wins
        }
        panel.innerHTML = html;
        applyRequired();
        applyCollapsed();
        applyEmergency();
        if (offline) {
          offline.classList.add("d-none");
        }
      })
      .catch(function () {
        if (mine === sequence && offline) {
          offline.classList.remove("d-none");
        }
      })
      .finally(function () {
        if (mine === sequence) {
          panel.removeAttribute("aria-busy");
        }
      });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, delay);
  }

  function isChoice(target) {
    return target && (target.type === "radio" || target.tagName === "SELECT");
  }

  form.addEventListener("input", function (event) {
    dirty = true;
    if (event.target.type === "date" && !event.target.validity.badInput) {
      clearUnfinished(event.target);
    }
    // Yes/no and choices are final at once (a red flag shows immediately); typing waits.
    schedule(isChoice(event.target) ? 50 : 400);
  });
  form.addEventListener("change", function () {
    dirty = true;
    schedule(50);
  });

  form.addEventListener("submit", function (event) {
    if (submitting) {
      event.preventDefault(); // a second click: the first submission is on its way
      return;
    }
    var unfinished = unfinishedDates();
    if (unfinished.length) {
      event.preventDefault(); // sent, the half-typed date would clear the saved answer
      unfinished.forEach(markUnfinished);
      var details = unfinished[0].closest("details");
      if (details) {
        details.open = true;
      }
      unfinished[0].focus();
      return;
    }
    submitting = true;
    dirty = false;
    window.clearTimeout(timer);
    // Disable after the browser has taken the clicked button's name and value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // Back to this page from the history: allow submitting again (the server refuses doubles).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitting = false;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The session is about to end (static/js/session.js). A draft is saved first, as "Save
  // draft" does, so nothing typed is lost; that save is not activity (X-Session-Activity), so
  // the session still ends. A change to a submitted intake needs a reason and screens it
  // again: it is never saved automatically, and the warning says so. Either way the page is
  // left without asking, so nothing stays on an unattended screen.
  var autosave = form.getAttribute("data-autosave") === "draft";
  window.addEventListener("session:warning", function (event) {
    event.detail.note(
      autosave
        ? "Your draft will be saved first."
        : "Changes to a submitted intake are not saved automatically (they need a reason): " +
            "stay signed in and save them."
    );
  });
  window.addEventListener("session:expiring", function (event) {
    window.clearTimeout(timer);
    if (submitting || !autosave) {
      dirty = false;
      return;
    }
    var data = formData();
    data.set("_action", "save");
    event.detail.waitFor(
      fetch(form.getAttribute("action"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "fetch", "X-Session-Activity": "none" },
      }).finally(function () {
        dirty = false;
      })
    );
  });

  // Focus never sits behind the sticky Save/Submit bar: a field that Tab brought under it is
  // scrolled clear of it.
  var actions = form.querySelector ? form.querySelector(".intake-actions") : null;
  function clearOfActions(field) {
    var bar = actions.getBoundingClientRect();
    var box = field.getBoundingClientRect();
    if (box.bottom > bar.top - 8 && box.top < bar.bottom) {
      window.scrollBy({ top: box.bottom - bar.top + 24, behavior: "instant" });
    }
  }
  form.addEventListener("focusin", function (event) {
    if (!actions || actions.contains(event.target)) {
      return;
    }
    // After the browser's own scroll to the focused field, which ignores the sticky bar.
    window.requestAnimationFrame(function () {
      clearOfActions(event.target);
    });
  });

  // A "still missing" link in the panel takes the keyboard to its question, not only the
  // view: focus moves to the question's first field (centred, clear of the sticky bars).
  panel.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#div_id_"]');
    if (!link) {
      return;
    }
    var question = document.getElementById(link.getAttribute("href").slice(1));
    var field = question && question.querySelector("input:not([type=hidden]), select, textarea");
    if (!field) {
      return;
    }
    event.preventDefault();
    var details = question.closest("details");
    if (details) {
      details.open = true;
    }
    question.scrollIntoView({ block: "center", behavior: "instant" });
    field.focus({ preventScroll: true });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", link.getAttribute("href"));
    }
  });

  applyRequired();
  applyEmergency();
})();
