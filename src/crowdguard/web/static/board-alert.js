// The control-room board's P1 alert (static/board.js): when a P1 report arrives the
// banner names it; if the operator works elsewhere (another window has the focus, or the
// tab is hidden) the title counts the P1s not yet seen and, once sound is turned on with a
// gesture (browsers allow audio only after one), two short tones sound. Coming back to the
// board restores the title; "Open" selects the report, "Dismiss" hides the banner.
"use strict";
window.CGBoardAlert = (function () {
  function create(options) {
    const $ = function (id) { return document.getElementById(id); };
    const board = $("board");
    const baseTitle = document.title;
    let audio = null;
    let unseen = 0;

    function primeSound() {
      if (audio || !window.AudioContext) { return; }
      audio = new window.AudioContext();
      $("sound").textContent = "Sound alerts are on";
      $("sound").setAttribute("aria-pressed", "true");
    }
    $("sound").addEventListener("click", primeSound);
    document.addEventListener("keydown", primeSound, { once: true });

    function beep() {
      if (!audio) { return; }
      if (audio.state === "suspended") { audio.resume(); }
      [0, 0.35].forEach(function (delay) {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.2;
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + delay);
        tone.stop(audio.currentTime + delay + 0.2);
      });
    }

    function alert(reference, text) {
      const away = document.hidden || !document.hasFocus();
      const banner = $("p1-alert");
      $("p1-text").textContent = text;
      banner.dataset.reference = reference;
      banner.hidden = false;
      board.dataset.alert = reference;
      if (away) {
        unseen += 1;
        document.title = "(" + unseen + ") P1 - " + baseTitle;
        beep();
      }
    }

    function seen() {
      if (!document.hidden && document.hasFocus()) { unseen = 0; document.title = baseTitle; }
    }
    document.addEventListener("visibilitychange", seen);
    window.addEventListener("focus", seen);
    $("p1-open").addEventListener("click", function () {
      options.open($("p1-alert").dataset.reference);
      $("p1-alert").hidden = true;
    });
    $("p1-dismiss").addEventListener("click", function () { $("p1-alert").hidden = true; });
    return { alert: alert };
  }
  return { create: create };
})();
