/* Physician review: small progressive enhancements; every page works without this file.
   - In a decision form, show "Refer to" only for a referral, and the planned date and the
     technique only for "Proceed" (hidden fields keep what was typed or chosen). */
(function () {
  "use strict";

  function wrapperOf(form, suffix) {
    var input = form.querySelector('[name$="' + suffix + '"]:not([type="hidden"])');
    return input ? input.closest('[id^="div_id_"]') || input.parentElement : null;
  }

  function setUp(form) {
    var radios = form.querySelectorAll('input[type="radio"][name$="kind"]');
    var referTo = wrapperOf(form, "refer_to");
    var planned = wrapperOf(form, "planned_procedure_date");
    var technique = wrapperOf(form, "technique");
    function update() {
      var chosen = form.querySelector('input[type="radio"][name$="kind"]:checked');
      var kind = chosen ? chosen.value : "";
      if (referTo) { referTo.hidden = kind !== "refer"; }
      if (planned) { planned.hidden = kind !== "proceed"; }
      if (technique) { technique.hidden = kind !== "proceed"; }
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  document.querySelectorAll("form.decision-form").forEach(setUp);
})();
