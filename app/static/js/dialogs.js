/* The page's own dialogs instead of the browser's confirm()/alert() (issue 12): FAB's
   #modal-confirm and #modal-alert (app/templates/appbuilder/general/), in the page's
   language.

   <button type="submit" data-confirm="… 할까요?" data-confirm-ok="등록취소">  asks first;
   OK submits the form with that button (its formaction too). */
(function ($) {
  "use strict";
  if (!$) { return; }

  // FAB's action menu alerts in English when nothing is ticked: say it in the page's language.
  if (typeof window.ab_alert === "function") {
    var fabAlert = window.ab_alert;
    window.ab_alert = function (text) {
      if (text === "No row selected") { text = $("#modal-alert").data("no-row") || text; }
      return fabAlert(text);
    };
  }

  var pending = null;
  var $modal = $("#modal-confirm");
  var $ok = $("#modal-confirm-ok");

  $(document).on("click", "[data-confirm]", function (event) {
    if (this.getAttribute("data-confirmed") === "1") { this.removeAttribute("data-confirmed"); return; }
    event.preventDefault();
    pending = this;
    $modal.find(".modal-text").text(this.getAttribute("data-confirm"));
    $ok.text(this.getAttribute("data-confirm-ok") || $ok.data("label"));
    $modal.modal("show");
  });

  $ok.on("click", function (event) {
    if (!pending) { return; }          // one of FAB's own actions: its handler submits
    event.preventDefault();
    var button = pending;
    pending = null;
    $modal.modal("hide");
    button.setAttribute("data-confirmed", "1");
    button.click();
  });

  $modal.on("hidden.bs.modal", function () {
    pending = null;
    $ok.text($ok.data("label"));
  });
})(window.jQuery);
