// Undersigned: every page works without this script; it only adds a copy button to the
// signer's share link. No inline script, nothing from other sites.
"use strict";
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-status"));
  if (!field) return;
  function copied() {
    if (status) status.textContent = status.getAttribute("data-done");
  }
  function select() {
    field.focus();
    field.select();
    try {
      if (document.execCommand("copy")) copied();
    } catch (e) {
      // The link stays selected for the visitor to copy.
    }
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(copied, select);
    } else {
      select();
    }
  });
});
