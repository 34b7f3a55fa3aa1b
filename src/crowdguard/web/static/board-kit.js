// Helpers of the control-room board (static/board.js) that know nothing of the board:
// times in UK time, words from identifiers, chips and buttons built with textContent only,
// re-rendering only on change, and the server's error detail as one line.
"use strict";
window.CGBoardKit = (function () {
  function when(iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleString("en-GB", {
      timeZone: "Europe/London", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString("en-GB", {
      timeZone: "Europe/London", hour: "2-digit", minute: "2-digit",
    });
  }

  // "14:05" today, "3 Dec 14:05" before (UK time).
  function shortWhen(iso) {
    if (!iso) { return ""; }
    const opts = { timeZone: "Europe/London" };
    const day = function (d) { return d.toLocaleDateString("en-GB", opts); };
    const at = new Date(iso);
    return day(at) === day(new Date()) ? clock(iso) : when(iso);
  }

  function words(value) { return String(value == null ? "" : value).replace(/_/g, " "); }
  function chip(cls, text) {
    const span = document.createElement("span");
    span.className = "chip " + cls;
    span.textContent = text;
    return span;
  }

  // A button whose accessible name is its visible text with, for screen readers only,
  // what it acts on before ("Move X to ") or after (" of X") it: WCAG 2.5.3, the name
  // contains the visible label.
  function button(text, cls, more, onClick, before) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    const hidden = function (words) {
      const span = document.createElement("span");
      span.className = "visually-hidden";
      span.textContent = words;
      return span;
    };
    if (before) { b.appendChild(hidden(before + " ")); }
    b.appendChild(document.createTextNode(text));
    if (more) { b.appendChild(hidden(" " + more)); }
    b.addEventListener("click", function () { onClick(b); });
    return b;
  }

  // Re-render a container only when what it shows has changed, so a control that has
  // the keyboard focus is not replaced by an identical one when an event arrives.
  function renderOnce(element, key, build) {
    if (element.dataset.key === key) { return; }
    element.dataset.key = key;
    element.textContent = "";
    build(element);
  }

  // The server's message: a string, or FastAPI's list of field errors.
  function detailText(detail) {
    if (typeof detail === "string") { return detail; }
    if (Array.isArray(detail)) {
      return detail.map(function (d) {
        const where = (d.loc || []).filter(function (p) { return p !== "body"; }).join(".");
        return (where ? where + ": " : "") + d.msg;
      }).join("; ");
    }
    return JSON.stringify(detail);
  }

  return {
    when: when, clock: clock, shortWhen: shortWhen, words: words, chip: chip,
    button: button, renderOnce: renderOnce, detailText: detailText,
  };
})();
