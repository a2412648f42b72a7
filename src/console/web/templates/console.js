// synth-review console: keyboard shortcuts, the lease countdown and its renewal. No framework,
// no build step; loaded by every page (CSP: script-src 'self', so nothing inline runs).
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // Queue rows: j/k move the selection, o/Enter open it.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var selected = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) return;
    if (selected >= 0) rows[selected].classList.remove("selected");
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows[selected].classList.add("selected");
    rows[selected].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) select(0);

  function act(el) {
    if (el.dataset.submit) {
      var f = document.getElementById(el.dataset.submit);
      if (f) { f.requestSubmit(); }
    } else if (el.tagName === "FORM") {
      el.requestSubmit();
    } else if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") {
      el.focus();
    } else if (el.href) {
      window.location.assign(el.href);
    }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var key = ev.key;
    if (rows.length && (key === "j" || key === "k")) {
      select(selected + (key === "j" ? 1 : -1));
      ev.preventDefault();
      return;
    }
    if (rows.length && (key === "o" || key === "Enter") && selected >= 0) {
      window.location.assign(rows[selected].dataset.href);
      ev.preventDefault();
      return;
    }
    var el = document.querySelector('[data-key="' + key + '"]');
    if (el) {
      ev.preventDefault();
      act(el);
    }
  });

  // The lease: a countdown, renewed at half its length while the page is open.
  var lease = document.getElementById("lease");
  if (lease) {
    var countdown = document.getElementById("countdown");
    var status = document.getElementById("lease-status");
    var leaseMs = parseInt(lease.dataset.leaseMs, 10);
    var deadline = performance.now() + parseInt(lease.dataset.expiresInMs, 10);
    var renewing = false, lost = false;
    var fmt = function (ms) {
      var s = Math.max(0, Math.floor(ms / 1000));
      var m = Math.floor(s / 60);
      s = s % 60;
      return m + ":" + (s < 10 ? "0" : "") + s;
    };
    var lose = function (why) {
      lost = true;
      lease.classList.add("lost");
      status.textContent = why;
      document.querySelectorAll(".decide button").forEach(function (b) { b.disabled = true; });
    };
    var renew = function () {
      renewing = true;
      fetch(lease.dataset.renewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
        body: "token=" + encodeURIComponent(lease.dataset.token)
      }).then(function (r) {
        if (!r.ok) {
          return r.text().then(function () { lose("lease lost (" + r.status + "): open the item again"); });
        }
        return r.json().then(function (j) {
          deadline = performance.now() + j.expires_in_ms;
          lease.dataset.renewals = String(parseInt(lease.dataset.renewals || "0", 10) + 1);
          status.textContent = "renewed";
        });
      }).catch(function () {
        status.textContent = "renewal failed; retrying";
      }).finally(function () { renewing = false; });
    };
    var tick = function () {
      var left = deadline - performance.now();
      countdown.textContent = fmt(left);
      if (lost) return;
      if (left <= 0) { lose("lease expired: open the item again"); return; }
      if (!renewing && left < leaseMs / 2) renew();
    };
    tick();
    setInterval(tick, 1000);
  }
})();
