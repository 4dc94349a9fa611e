// Suggestions under the header's search box as the shopper types (products and categories
// from /shop/search/suggest/?q=). The ARIA 1.2 combobox pattern: the input owns a listbox,
// arrow keys move through it (aria-activedescendant), Enter opens the highlighted one,
// Escape closes it. Without JavaScript the form is a plain GET search, and it stays one:
// Enter with nothing highlighted submits the form. No inline code (CSP), no framework.
(function () {
  "use strict";

  var DELAY_MS = 150; // one request per pause in typing, not one per key
  var MIN_LENGTH = 2;

  function enhance(form) {
    var input = form.querySelector("[data-suggest-input]");
    var list = form.querySelector("[data-suggest-list]");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !list || !url || !window.fetch) return;

    var timer = null;
    var active = -1;
    var options = [];
    var latest = 0;
    var answers = {}; // this page's answers by query: backspacing asks nothing again

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function addGroup(items, label, kind) {
      if (!items.length) return;
      var heading = document.createElement("li");
      heading.setAttribute("role", "presentation");
      heading.className = "site-search__group";
      heading.textContent = label;
      list.appendChild(heading);
      items.forEach(function (item) {
        var option = document.createElement("li");
        option.setAttribute("role", "option");
        option.id = list.id + "-" + options.length;
        option.className = "site-search__option site-search__option--" + kind;
        option.setAttribute("data-url", item.url);
        option.textContent = item.name;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep focus in the input until we navigate
        });
        option.addEventListener("click", function () {
          window.location.assign(item.url);
        });
        list.appendChild(option);
        options.push(option);
      });
    }

    function show(data) {
      list.textContent = "";
      options = [];
      addGroup(data.categories || [], "Categories", "category");
      addGroup(data.products || [], "Products", "product");
      if (!options.length) {
        close();
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function ask() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        close();
        return;
      }
      if (answers[query]) {
        show(answers[query]);
        return;
      }
      var ticket = ++latest;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (!data || ticket !== latest) return; // an older answer arriving late
          answers[query] = data;
          if (input.value.trim() === query) show(data);
        })
        .catch(function () {
          close(); // offline or refused: the plain search still works
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) {
          ask();
          return;
        }
        event.preventDefault();
        highlight(active + 1 >= options.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.assign(options[active].getAttribute("data-url"));
      }
    });

    input.addEventListener("blur", close);
  }

  document.querySelectorAll("form[data-suggest-url]").forEach(enhance);
})();
