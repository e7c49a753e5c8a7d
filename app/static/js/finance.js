// 세금계산서 발행 대기열: the confirmation of [선택 발행] names how many invoices and how much
// are ticked. Runs before dialogs.js reads the button's data-confirm (a capture listener on
// window comes before its listener on document), so the page's own dialog shows the figures.
(function () {
  "use strict";
  var _ = (window.MB && window.MB.t) || function (text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) { return values && key in values ? values[key] : whole; });
  };
  var button = document.getElementById("issue-selected");
  if (!button) return;

  function won(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  window.addEventListener("click", function (e) {
    if (!e.target.closest || e.target.closest("#issue-selected") !== button) return;
    var ticked = document.querySelectorAll(".invoice-check:checked");
    if (!ticked.length) return;
    var total = 0;
    ticked.forEach(function (box) { total += parseInt(box.dataset.total, 10) || 0; });
    button.dataset.confirm = _("선택한 세금계산서 {count}건(합계 {total}원)을 발행할까요? 발행하면 국세청에 신고되고 고객에게 메일이 발송되며, 되돌릴 수 없습니다.",
                               {count: won(ticked.length), total: won(total)});
  }, true);
})();
