// Progressive enhancement for sliders: previous/next buttons. Without this
// script a slider is still a scrollable, snap-aligned row.
(function () {
  "use strict";
  document.querySelectorAll(".slider").forEach(function (slider) {
    var track = slider.querySelector(".slider__track");
    if (!track || track.children.length < 2) return;
    var controls = document.createElement("div");
    controls.className = "slider__controls";
    [["Previous slide", -1, "\u2190"], ["Next slide", 1, "\u2192"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("aria-label", spec[0]);
      button.textContent = spec[2];
      button.addEventListener("click", function () {
        var slide = track.children[0];
        track.scrollBy({ left: spec[1] * (slide.getBoundingClientRect().width + 16), behavior: "smooth" });
      });
      controls.appendChild(button);
    });
    slider.insertBefore(controls, track);
  });
})();
