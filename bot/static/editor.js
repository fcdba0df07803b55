// The editor pages' live part, kept out of the HTML so the Content Security Policy can
// forbid inline script: the character counter under a text with a limit (the glossary's
// explanations). The server counts too and shows the same number without this script.
(function () {
  "use strict";
  document.querySelectorAll("[data-length-of]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-length-of"));
    if (!field) { return; }
    function update() {
      // As the server counts: characters (not UTF-16 units), runs of spaces as one.
      counter.textContent = String(Array.from(field.value.trim().replace(/\s+/g, " ")).length);
    }
    field.addEventListener("input", update);
    update();
  });
})();
