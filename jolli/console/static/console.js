// The console's only script of its own: the copy buttons of webhook URLs (no inline script: the CSP forbids it).
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest(".copy-button") : null;
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  var said = button.parentElement.querySelector(".copied");
  function done(text) { if (said) { said.textContent = text; } }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(function () { done("Copied"); }, function () { field.select(); done("Press Ctrl+C to copy"); });
  } else {
    field.select();
    done(document.execCommand && document.execCommand("copy") ? "Copied" : "Press Ctrl+C to copy");
  }
});
