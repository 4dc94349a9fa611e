// The filter box of commerce.admin.widgets.FilterableCheckboxSelectMultiple: shows it, and
// hides the ticks whose label does not contain what was typed (ticked ones stay chosen).
(function () {
  "use strict";

  function words(text) {
    return text.toLocaleLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  }

  function setUp(box) {
    var input = box.querySelector("[data-checkbox-filter-input]");
    var status = box.querySelector("[data-checkbox-filter-status]");
    if (!input || input.dataset.ready) return;
    input.dataset.ready = "1";
    input.hidden = false;
    var items = Array.prototype.map.call(
      box.querySelectorAll("input[type=checkbox]"),
      function (checkbox) {
        var row = checkbox.closest("label").parentElement;
        // An option under a group (an attribute) also matches the group's name.
        var heading = row.parentElement && row.parentElement.firstElementChild;
        var group = heading && heading.tagName === "LABEL" && !heading.querySelector("input")
          ? heading.textContent + " " : "";
        return { row: row, text: words(group + row.textContent) };
      }
    );
    function apply() {
      var term = words(input.value.trim());
      var shown = 0;
      items.forEach(function (item) {
        var match = !term || item.text.indexOf(term) !== -1;
        item.row.hidden = !match;
        if (match) shown += 1;
      });
      // A group (attribute) heading goes when none of its options is shown.
      box.querySelectorAll(".commerce-checkbox-filter__list > div > div").forEach(function (group) {
        if (group.querySelector("input[type=checkbox]") && !group.querySelector(":scope > label input")) {
          group.hidden = !group.querySelector("div:not([hidden]) input[type=checkbox]");
        }
      });
      status.hidden = !term;
      status.textContent = term ? shown + " of " + items.length + " shown" : "";
    }
    input.addEventListener("input", apply);
    // Enter in the filter must not submit the whole edit form.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
  }

  function setUpAll() {
    document.querySelectorAll("[data-checkbox-filter]").forEach(setUp);
  }

  // Inline forms added with "Add" (a promotion's conditions) carry their own lists.
  document.addEventListener("w-formset:added", setUpAll);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
