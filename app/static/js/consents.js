/* Sign-up consents (ACC-01): "전체 동의" ticks or clears every box; it stays ticked only
   while every box is. The server reads the boxes themselves (and agree_all without
   scripts), so this only saves clicks. */
(function () {
  var all = document.getElementById("agree_all");
  if (!all) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".mb-consent-box"));
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      all.checked = boxes.every(function (b) { return b.checked; });
    });
  });
})();
