// "Copy link" beside a share link: puts the link on the clipboard and says so. Without this
// script the button stays hidden and the read-only field can be selected and copied by hand.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-from]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var said = function (text) { if (status) status.textContent = text; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { said("Link copied."); },
          function () { field.select(); said("Select the link and copy it."); }
        );
      } else {
        // Plain http on a LAN address: no clipboard API; select the link for the shopper.
        field.select();
        said(document.execCommand("copy") ? "Link copied." : "Select the link and copy it.");
      }
    });
  });
})();
