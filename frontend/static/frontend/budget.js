// Adds budget lines without a page reload; without JavaScript the form still
// offers two blank lines and saving brings two more.
(function () {
  "use strict";
  var button = document.getElementById("add-budget-line");
  var template = document.getElementById("budget-line-template");
  var container = document.getElementById("budget-lines");
  var total = document.querySelector("input[name='budget-TOTAL_FORMS']");
  var max = document.querySelector("input[name='budget-MAX_NUM_FORMS']");
  if (!button || !template || !container || !total) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = container.lastElementChild.querySelector("input, select");
    if (added) added.focus();
  });
})();
