// The goal-trick pickers: each <select data-trick-picker> becomes a combobox with search
// (GOV.UK's accessible-autocomplete) that finds a trick by any of its names. Without JavaScript
// the select works as it is, and it stays the field the form sends: the combobox only sets it.
(function () {
  "use strict";
  if (!window.accessibleAutocomplete) return;

  function folded(text) {
    return text.toLowerCase().replace(/-/g, " ").replace(/\s+/g, " ").trim();
  }

  // The select's tricks: the option's words, and every name it is found by (data-names).
  function tricksOf(select) {
    return Array.prototype.filter.call(select.options, function (option) { return option.value; })
      .map(function (option) {
        var names = (option.getAttribute("data-names") || "").split("|").filter(Boolean);
        return { option: option, text: option.textContent, names: [option.textContent].concat(names).map(folded) };
      });
  }

  function sourceFor(tricks) {
    return function (query, populate) {
      var wanted = folded(query);
      var found = tricks.filter(function (trick) {
        return trick.names.some(function (name) { return name.indexOf(wanted) !== -1; });
      });
      // Whole-name matches first, as the catalog search does: "lunar" puts Lunar above Lunar flip.
      found.sort(function (a, b) {
        return (b.names.indexOf(wanted) !== -1) - (a.names.indexOf(wanted) !== -1);
      });
      populate(found.map(function (trick) { return trick.text; }));
    };
  }

  // The select follows the box: the trick the box's words name (its option's words or any of its
  // names, whole), else no trick. Returns whether the words name a trick or are empty, so the form
  // can refuse words that name none.
  function settle(select, tricks, input) {
    var words = folded(input.value);
    var match = words && tricks.filter(function (trick) { return trick.names.indexOf(words) !== -1; })[0];
    select.value = match ? match.option.value : "";
    return !words || Boolean(match);
  }

  function enhance(select) {
    select.setAttribute("data-enhanced", "");
    var tricks = tricksOf(select);
    var id = select.id;
    var chosen = select.value ? select.options[select.selectedIndex].textContent : "";
    var holder = document.createElement("div");
    select.parentNode.insertBefore(holder, select);
    select.id = id + "-select"; // the label now names the combobox, which takes the select's id
    select.hidden = true;
    window.accessibleAutocomplete({
      element: holder,
      id: id,
      name: "",
      source: sourceFor(tricks),
      defaultValue: chosen,
      showAllValues: true,
      displayMenu: "overlay",
      autoselect: true,
      // Leaving the box chooses nothing by itself: with an empty box the first trick is
      // highlighted, and a blur would pick it. The select follows the words instead (below).
      confirmOnBlur: false,
      tNoResults: function () { return "No trick by that name"; },
      onConfirm: function (text) {
        var chosen = tricks.filter(function (trick) { return trick.text === text; })[0];
        if (!chosen) return;
        select.value = chosen.option.value;
        clearProblem(document.getElementById(id));
      }
    });
    var input = document.getElementById(id);
    function follow() {
      if (settle(select, tricks, input)) clearProblem(input);
    }
    input.addEventListener("input", follow);
    input.addEventListener("blur", follow);
    pickers.push({ select: select, tricks: tricks, input: input });
  }

  function problemOf(input) {
    return document.getElementById(input.id + "-unmatched");
  }

  function clearProblem(input) {
    var problem = problemOf(input);
    if (!problem) return;
    problem.remove();
    input.removeAttribute("aria-invalid");
    if (input.getAttribute("aria-describedby") === problem.id) input.removeAttribute("aria-describedby");
  }

  function showProblem(input) {
    if (!problemOf(input)) {
      var problem = document.createElement("p");
      problem.className = "field-error";
      problem.id = input.id + "-unmatched";
      problem.textContent = "Choose a trick from the list, or clear the box.";
      input.closest(".autocomplete__wrapper").parentNode.after(problem);
    }
    input.setAttribute("aria-invalid", "true");
    // The combobox sets aria-describedby only while the box is empty, so while it holds words
    // the problem can be the description.
    input.setAttribute("aria-describedby", input.id + "-unmatched");
  }

  var pickers = [];

  // Words that name no trick are not sent as "no goal": the form stops and says so at the box.
  document.addEventListener("submit", function (event) {
    var unmatched = pickers.filter(function (picker) {
      return event.target.contains(picker.input) && !settle(picker.select, picker.tricks, picker.input);
    });
    unmatched.forEach(function (picker) { showProblem(picker.input); });
    if (unmatched.length) {
      event.preventDefault();
      unmatched[0].input.focus();
    }
  }, true);

  function enhanceAll() {
    pickers = pickers.filter(function (picker) { return document.body.contains(picker.input); });
    document.querySelectorAll("select[data-trick-picker]:not([data-enhanced])").forEach(enhance);
  }

  enhanceAll();
  // Picking another day redraws the booking form (after app.js has put the choices back).
  document.addEventListener("htmx:afterSettle", enhanceAll);
})();
