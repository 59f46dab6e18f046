/* Ballot page, progressive enhancement only: the form works without this file.
 *
 * - Ranking (Borda, Schulze): "Move up" / "Move down" buttons on each priority reorder the list
 *   and set every rank select to the new order; the new position is said in the status line.
 *   No drag-and-drop: the buttons are ordinary buttons (Tab, Enter, Space).
 * - Points: the remaining budget is recounted as the voter types (the server checks it anyway).
 *
 * Loaded from the page body (see templates/consultations/_assets.html), so it runs again after
 * an hx-boost swap: each fieldset is set up once (data-*-ready), listeners are bound once.
 */
(function () {
  "use strict";

  function rankOf(item) {
    var value = item.querySelector("select").value;
    return value ? parseInt(value, 10) : Infinity;
  }

  function initRanking(fieldset) {
    if (fieldset.dataset.rankingReady) { return; }
    fieldset.dataset.rankingReady = "1";
    var list = fieldset.querySelector(".ranking-list");
    var status = fieldset.querySelector("[data-ranking-status]");
    if (!list) { return; }

    // The list in the order of the ranks chosen so far (ranked first, then the others as listed).
    function sortByRanks() {
      Array.prototype.slice.call(list.children)
        .map(function (item, index) { return [item, index]; })
        .sort(function (a, b) { return (rankOf(a[0]) - rankOf(b[0])) || (a[1] - b[1]); })
        .forEach(function (pair) { list.appendChild(pair[0]); });
    }

    // Every rank select follows the order of the list.
    function renumber() {
      Array.prototype.forEach.call(list.children, function (item, index) {
        item.querySelector("select").value = String(index + 1);
      });
    }

    function announce(item) {
      var items = Array.prototype.slice.call(list.children);
      var text = (fieldset.dataset.announce || "{title}: {position}/{count}")
        .replace("{title}", item.dataset.title || "")
        .replace("{position}", String(items.indexOf(item) + 1))
        .replace("{count}", String(items.length));
      // The same words twice in a row would not be read again: alternate a trailing space.
      status.textContent = status.textContent === text ? text + "\u00a0" : text;
    }

    function move(item, button, step) {
      sortByRanks();
      if (step < 0 && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (step > 0 && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      renumber();
      button.focus();  // moving the item in the page takes the focus away from the button
      announce(item);
    }

    function makeButton(label, title, className) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary " + className;
      button.appendChild(document.createTextNode(label));
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " \u00ab\u00a0" + title + "\u00a0\u00bb";
      button.appendChild(hidden);
      return button;
    }

    if (fieldset.dataset.announceHint) {
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = fieldset.dataset.announceHint;
      list.parentNode.insertBefore(hint, list);
    }
    Array.prototype.forEach.call(list.children, function (item) {
      var title = item.dataset.title || "";
      var moves = document.createElement("div");
      moves.className = "ranking-moves";
      var up = makeButton(fieldset.dataset.labelUp || "\u2191", title, "ranking-up");
      var down = makeButton(fieldset.dataset.labelDown || "\u2193", title, "ranking-down");
      up.addEventListener("click", function () { move(item, up, -1); });
      down.addEventListener("click", function () { move(item, down, 1); });
      moves.appendChild(up);
      moves.appendChild(down);
      item.appendChild(moves);
    });
    sortByRanks();
  }

  function initPoints(fieldset) {
    if (fieldset.dataset.pointsReady) { return; }
    fieldset.dataset.pointsReady = "1";
    var budget = parseInt(fieldset.dataset.pointsBudget, 10) || 0;
    var output = fieldset.querySelector("[data-points-remaining]");
    if (!output) { return; }
    function update() {
      var total = 0;
      Array.prototype.forEach.call(fieldset.querySelectorAll("input[type=number]"), function (input) {
        var value = parseInt(input.value, 10);
        if (value > 0) { total += value; }
      });
      output.textContent = String(budget - total);
      fieldset.classList.toggle("ballot--over-budget", total > budget);
    }
    fieldset.addEventListener("input", update);
    update();
  }

  function init(root) {
    if (!root || !root.querySelectorAll) { return; }
    Array.prototype.forEach.call(root.querySelectorAll("[data-ranking]"), initRanking);
    Array.prototype.forEach.call(root.querySelectorAll("[data-points-budget]"), initPoints);
  }

  if (!window.civicsanteBallot) {
    window.civicsanteBallot = true;
    document.addEventListener("htmx:load", function (event) { init(event.target); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
}());
