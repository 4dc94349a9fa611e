// The product page's variant picker, in place. Without this script the picker is a GET
// form that reloads the page with the chosen options (the server resolves the variant);
// with it, the same choice updates price, availability, SKU, pictures, promotion offers
// and the forms' hidden variant field from the variants embedded in the page
// (#variant-data), and the URL follows (?variant=SKU), with no request.
(function () {
  "use strict";
  var form = document.querySelector("[data-variant-picker]");
  var blob = document.getElementById("variant-data");
  if (!form || !blob) return;
  var data = JSON.parse(blob.textContent);
  var summary = document.querySelector("[data-variant-summary]");
  var gallery = document.querySelector("[data-gallery]");
  var message = form.querySelector("[data-choice-message]");
  var lowest = summary.querySelector(".product__price .money__amount");
  var classes = { in_stock: "in-stock", out_of_stock: "out", unavailable: "unavailable" };

  // The page before any choice: the lowest price ("from" when prices differ), and
  // in stock when any variant is.
  var numbers = data.variants.map(function (v) { return parseFloat(v.price.replace(/,/g, "")); });
  var cheapest = data.variants[numbers.indexOf(Math.min.apply(null, numbers))];
  var states = data.variants.map(function (v) { return v.availability; });
  var nothingChosen = {
    price: cheapest ? cheapest.price : "",
    from: numbers.some(function (n) { return n !== numbers[0]; }),
    availability: states.indexOf("in_stock") >= 0 ? "in_stock"
      : states.indexOf("out_of_stock") >= 0 ? "out_of_stock" : "unavailable",
  };

  form.querySelector("[data-show-variant]").hidden = true;

  function chosen() {
    var options = {};
    data.axes.forEach(function (axis) {
      var checked = form.querySelector('input[name="' + axis + '"]:checked');
      if (checked) options[axis] = checked.value;
    });
    return options;
  }

  function matches(variant, options) {
    return Object.keys(options).every(function (axis) {
      return variant.options[axis] === options[axis];
    });
  }

  // Each option as it would be with the other axes' choices: in stock, out of stock, none.
  function markOptions(options) {
    data.axes.forEach(function (axis) {
      form.querySelectorAll('input[name="' + axis + '"]').forEach(function (input) {
        var wanted = {};
        Object.keys(options).forEach(function (a) { if (a !== axis) wanted[a] = options[a]; });
        wanted[axis] = input.value;
        var found = data.variants.filter(function (v) { return matches(v, wanted); });
        var state = !found.length ? "missing" : found.some(function (v) {
          return v.availability === "in_stock";
        }) ? "in_stock" : "out_of_stock";
        var label = input.closest("label");
        label.classList.toggle("is-unavailable", state !== "in_stock");
        label.querySelector("[data-option-state]").textContent =
          data.states[state] ? " (" + data.states[state] + ")" : "";
      });
    });
  }

  function setText(selector, text) {
    summary.querySelectorAll(selector).forEach(function (node) { node.textContent = text; });
  }

  // The chosen variant's promotions (the same markup as commerce/includes/offer.html),
  // each promoted price with its 30-day lowest price (the line from the page's template,
  // whose amount is set; its own attribute, apart from the compare-at price's line).
  function showOffers(variant) {
    var list = summary.querySelector("[data-offers]");
    if (!list) return;
    var lowestLine = summary.querySelector("[data-offer-lowest-template]");
    var offers = variant && variant.offers ? variant.offers : [];
    while (list.firstChild) list.removeChild(list.firstChild);
    offers.forEach(function (offer) {
      var item = document.createElement("li");
      item.className = "offer" + (offer.price === null ? " offer--gift" : "");
      var text = document.createElement("span");
      text.className = "offer__text";
      text.textContent = offer.text;
      item.appendChild(text);
      item.appendChild(document.createTextNode(" "));
      var name = document.createElement(offer.url ? "a" : "span");
      name.className = "offer__promotion";
      if (offer.url) name.href = offer.url;
      name.textContent = offer.promotion;
      item.appendChild(name);
      if (offer.price !== null && offer.lowestPrice && lowestLine) {
        var line = lowestLine.content.querySelector("[data-offer-lowest-price]").cloneNode(true);
        line.hidden = false;
        line.querySelector(".money__amount").textContent = offer.lowestPrice;
        item.appendChild(line);
      }
      list.appendChild(item);
    });
    list.hidden = !offers.length;
  }

  // The large view shows the variant's first own picture (the gallery's radio buttons,
  // in the gallery's order); every picture stays among the thumbnails.
  function showPictures(variant) {
    if (!gallery || !variant || !variant.pictures.length) return;
    var own = variant.pictures.map(String);
    var choices = Array.prototype.slice.call(gallery.querySelectorAll("[data-image-choice]"));
    var first = choices.filter(function (c) { return own.indexOf(c.value) >= 0; })[0];
    if (first) first.checked = true;
  }

  function show(variant, options) {
    var complete = Object.keys(options).length === data.axes.length;
    message.hidden = !(complete && !variant);
    message.textContent = data.notAvailable;
    form.querySelector("[data-choose-prompt]").hidden = !!variant;

    var from = summary.querySelector("[data-price-from]");
    if (from) from.hidden = !!variant || !nothingChosen.from;
    if (lowest) lowest.textContent = variant ? variant.price : nothingChosen.price;
    var was = summary.querySelector("[data-compare-at]");
    if (was) {
      was.hidden = !(variant && variant.compareAt);
      if (variant && variant.compareAt) was.querySelector(".money__amount").textContent = variant.compareAt;
    }
    // The EU's 30-day lowest price goes with the compare-at price.
    var lowestPrice = summary.querySelector("[data-lowest-price]");
    if (lowestPrice) {
      lowestPrice.hidden = !(variant && variant.lowestPrice);
      if (variant && variant.lowestPrice) {
        lowestPrice.querySelector(".money__amount").textContent = variant.lowestPrice;
      }
    }

    var availability = variant ? variant.availability : nothingChosen.availability;
    var status = summary.querySelector("[data-availability]");
    status.className = "availability availability--" + classes[availability];
    status.textContent = data.labels[availability];
    summary.querySelector("[data-variant-sku]").hidden = !variant;
    setText("[data-variant-sku-value]", variant ? variant.sku : "");
    setText("[data-variant-ean]", variant && variant.ean ? " · EAN " + variant.ean : "");
    var weightRow = summary.querySelector("[data-weight-row]");
    if (weightRow) {
      weightRow.hidden = !(variant && variant.weight);
      setText("[data-weight]", variant ? variant.weight : "");
      var table = summary.querySelector("[data-attributes]");
      table.hidden = !table.querySelector("tr:not([hidden])");
    }

    summary.querySelectorAll("[data-variant-field]").forEach(function (field) {
      field.value = variant ? variant.id : "";
    });
    var buyable = availability === "in_stock";
    summary.querySelectorAll("[data-buy]").forEach(function (control) {
      control.disabled = !buyable;
    });
    // "Notify me when back in stock" is for a chosen variant that is sold out.
    summary.querySelectorAll("[data-stock-alert]").forEach(function (alertForm) {
      alertForm.hidden = !(variant && availability === "out_of_stock");
    });
    var url = variant ? variant.url : window.location.pathname;
    summary.querySelectorAll("[data-next-field]").forEach(function (field) { field.value = url; });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", url);
    }
    showOffers(variant);
    showPictures(variant);
  }

  form.addEventListener("change", function () {
    var options = chosen();
    markOptions(options);
    var complete = Object.keys(options).length === data.axes.length;
    var variant = complete ? data.variants.filter(function (v) { return matches(v, options); })[0] : null;
    show(variant || null, options);
  });
})();
