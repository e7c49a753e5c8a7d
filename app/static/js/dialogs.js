// The page's own dialogs (issue 12): MB.confirm / MB.alert / MB.prompt instead of the
// browser's boxes, in the page's language, with the keyboard working (Enter confirms,
// Escape cancels, focus stays inside).
//
// In templates, no script is needed:
//   <form data-confirm="예약 발송을 취소할까요?" data-confirm-ok="예약 취소">…</form>
//   <button data-confirm="…" formaction="…">선택삭제</button>
//   <button data-needs-checked=".row-check" data-empty="삭제할 발송내역을 선택해주세요.">…</button>
// (templates write those texts with _() so they come in the page's language).
//
// MB.t(korean, values): a script's string in the page's language. The layout renders
// window.MB_TEXT, the catalogue's entries for app/static/js (app/i18n: script_catalogue);
// a string without an entry stays Korean. "{name}" is replaced by values.name. Scripts
// write _("…") with var _ = MB.t, so that pybabel extracts the strings (babel.cfg).
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};
  var open = null;

  MB.t = function (text, values) {
    var catalogue = window.MB_TEXT || {};
    var out = Object.prototype.hasOwnProperty.call(catalogue, text) ? catalogue[text] : text;
    if (!values) return out;
    return out.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  };
  var _ = MB.t;

  function build() {
    var backdrop = document.createElement("div");
    backdrop.className = "mb-dialog-backdrop";
    backdrop.innerHTML =
      '<div class="mb-dialog" role="dialog" aria-modal="true" aria-labelledby="mb-dialog-message" id="mb-dialog">' +
      '<p id="mb-dialog-message"></p>' +
      '<input type="text" class="form-control" id="mb-dialog-input" style="display:none">' +
      '<p class="mb-error-text" id="mb-dialog-error" style="display:none"></p>' +
      '<div class="mb-dialog-buttons">' +
      '<button type="button" class="btn btn-default btn-sm" id="mb-dialog-cancel">' + _("취소") + '</button> ' +
      '<button type="button" class="btn btn-primary btn-sm" id="mb-dialog-ok">' + _("확인") + '</button></div></div>';
    document.body.appendChild(backdrop);
    return backdrop;
  }

  function show(kind, message, options) {
    options = options || {};
    if (open) open.finish(null);
    var backdrop = document.querySelector(".mb-dialog-backdrop") || build();
    var input = backdrop.querySelector("#mb-dialog-input");
    var ok = backdrop.querySelector("#mb-dialog-ok");
    var cancel = backdrop.querySelector("#mb-dialog-cancel");
    var error = backdrop.querySelector("#mb-dialog-error");
    backdrop.querySelector("#mb-dialog-message").textContent = message;
    input.style.display = kind === "prompt" ? "" : "none";
    input.value = options.value || "";
    input.maxLength = options.maxLength || 524288;
    error.style.display = "none";
    cancel.style.display = kind === "alert" ? "none" : "";
    ok.textContent = options.ok || _("확인");
    ok.className = "btn btn-sm " + (options.danger ? "btn-danger" : "btn-primary");
    backdrop.style.display = "flex";
    var previous = document.activeElement;
    return new Promise(function (resolve) {
      function finish(value) {
        backdrop.style.display = "none";
        document.removeEventListener("keydown", keys, true);
        ok.onclick = cancel.onclick = null;
        open = null;
        if (previous && previous.focus) previous.focus();
        resolve(value);
      }
      function accept() {
        if (kind === "prompt") {
          var value = input.value.trim();
          if (!value && options.required) {
            error.textContent = options.required;
            error.style.display = "";
            input.focus();
            return;
          }
          finish(value);
        } else {
          finish(true);
        }
      }
      function keys(e) {
        if (e.key === "Escape") { e.preventDefault(); finish(kind === "prompt" ? null : kind === "alert"); }
        else if (e.key === "Enter" && (kind !== "confirm" || document.activeElement !== cancel)) {
          e.preventDefault(); accept();
        } else if (e.key === "Tab") {            // focus stays inside the dialog
          var stops = [input, cancel, ok].filter(function (el) { return el.style.display !== "none"; });
          var at = stops.indexOf(document.activeElement);
          e.preventDefault();
          stops[(at + (e.shiftKey ? stops.length - 1 : 1)) % stops.length].focus();
        }
      }
      ok.onclick = accept;
      cancel.onclick = function () { finish(kind === "prompt" ? null : false); };
      document.addEventListener("keydown", keys, true);
      open = {finish: finish};
      (kind === "prompt" ? input : ok).focus();
    });
  }

  MB.confirm = function (message, options) { return show("confirm", message, options); };
  MB.alert = function (message, options) { return show("alert", message, options); };
  MB.prompt = function (message, options) { return show("prompt", message, options); };

  // forms and buttons that ask first
  var confirmed = new WeakSet();
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-needs-checked], button[data-confirm], input[type=submit][data-confirm]");
    if (!button || confirmed.has(button)) return;
    var form = button.form;
    if (button.dataset.needsChecked) {
      var scope = form || document;
      if (!scope.querySelector(button.dataset.needsChecked + ":checked")) {
        e.preventDefault();
        MB.alert(button.dataset.empty || _("먼저 항목을 선택해주세요."));
        return;
      }
    }
    if (button.dataset.confirm) {
      e.preventDefault();
      MB.confirm(button.dataset.confirm, {ok: button.dataset.confirmOk, danger: "danger" in button.dataset})
        .then(function (yes) {
          if (!yes) return;
          confirmed.add(button);
          button.click();                       // the form goes with this button's name and formaction
          confirmed.delete(button);
        });
    }
  }, true);
  // <textarea data-count-into="note-count">: its length shown in #note-count as it is typed
  document.addEventListener("input", function (e) {
    var field = e.target.closest && e.target.closest("[data-count-into]");
    var counter = field && document.getElementById(field.dataset.countInto);
    if (counter) counter.textContent = field.value.length;
  });
  // <input type="checkbox" data-check-all=".row-check">: ticks or clears every row (no inline handlers: CSP)
  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("input[data-check-all]");
    if (!all) return;
    document.querySelectorAll(all.dataset.checkAll).forEach(function (box) { box.checked = all.checked; });
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.confirm || confirmed.has(form)) return;
    e.preventDefault();
    var submitter = e.submitter;
    MB.confirm(form.dataset.confirm, {ok: form.dataset.confirmOk, danger: "danger" in form.dataset})
      .then(function (yes) {
        if (!yes) return;
        confirmed.add(form);
        if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
        confirmed.delete(form);
      });
  }, true);
})();

// FAB's own list actions alert in English when nothing is ticked: say it in the page's
// language (app/templates/appbuilder/general/alert.html carries the text in data-no-row).
(function ($) {
  "use strict";
  if (!$ || typeof window.ab_alert !== "function") { return; }
  var fabAlert = window.ab_alert;
  window.ab_alert = function (text) {
    if (text === "No row selected") { text = $("#modal-alert").data("no-row") || text; }
    return fabAlert(text);
  };
})(window.jQuery);
