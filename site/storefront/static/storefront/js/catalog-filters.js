// Listing filters apply as soon as one changes. Without this script the form is the same
// plain GET form and its Apply button submits it.
(function () {
  "use strict";
  var form = document.getElementById("catalog-filters");
  if (!form) return;
  var panel = form.closest("details");
  var REOPEN = "catalog-filters-open";

  // Wide screens show the filters beside the results; CSS does it where ::details-content
  // exists, this does it elsewhere.
  if (panel && window.matchMedia("(min-width: 56em)").matches) panel.open = true;

  // A phone's panel stays open across the reload a change causes, on the changed field,
  // so a shopper ticking two boxes does not have to find their place twice.
  var remembered = null;
  try {
    remembered = JSON.parse(sessionStorage.getItem(REOPEN));
    sessionStorage.removeItem(REOPEN);
  } catch (error) { /* storage off: the panel just starts closed */ }
  if (panel && remembered && remembered.path === location.pathname) {
    panel.open = true;
    var field = form.querySelector('[name="' + remembered.name + '"][value="' + remembered.value + '"]')
      || form.querySelector('[name="' + remembered.name + '"]');
    if (field) field.focus();
  }

  form.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.name) return;
    if (panel && panel.open) {
      try {
        sessionStorage.setItem(REOPEN, JSON.stringify({
          path: location.pathname, name: field.name, value: field.type === "checkbox" ? field.value : ""
        }));
      } catch (error) { /* storage off */ }
    }
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
