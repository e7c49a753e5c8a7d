/* 친구톡 템플릿 등록 / 수정 (06-kakao.md KFT-01, portal/friendtalk/template_form.html): the
   counters (0/1300, 0/76 for 와이드형), 가변문자 and 특수문자 inserted at the cursor, the button
   rows (kakao_rows.js: at most 5, 2 for 와이드형), and the phone preview drawn live as the
   server draws it (alimtalk_bubble.js MB.brandBubble, macros/alimtalk.html brand_bubble).
   The form submits without this script, and the server decides every rule; here only what
   is typed is shown. Typed text goes in with textContent only. */
(function () {
  "use strict";
  var cfg = window.MB_FRIENDTALK, MB = window.MB;
  var _ = MB.t;                   // the page's language (dialogs.js; window.MB_TEXT)
  var $ = function (id) { return document.getElementById(id); };
  var form = $("template-form");
  if (!form || !cfg) return;
  var objectUrl = null;

  // ---- what the server keeps of what is typed (app/domain/friendtalk.py check_text) ---------------
  function collapse(text) { return String(text || "").split(/\s+/).filter(Boolean).join(" "); }
  function multiline(text) { return String(text || "").replace(/\r\n?/g, "\n").trim(); }
  function length(text) { return Array.from(text).length; }        // characters, as Python counts them
  function wide() { return $("wide").checked; }
  function value(row, field) {
    var input = row.querySelector('[data-field="' + field + '"]');
    return input ? input.value : "";
  }
  function buttons() {
    return Array.prototype.map.call($("button-rows").children, function (row) {
      return {type: row.dataset.type, name: collapse(value(row, "name"))};
    });
  }
  function imageUrl() {
    if (objectUrl) return objectUrl;
    var remove = $("remove_image");
    return remove && remove.checked ? null : (cfg.storedImageUrl || null);
  }
  function maxButtons() { return wide() ? cfg.maxWideButtons : cfg.maxButtons; }
  function fullMessage() {
    return wide() ? _("와이드형 친구톡의 버튼은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxWideButtons})
                  : _("버튼은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxButtons});
  }

  // ---- counters and the preview ------------------------------------------------------------------
  function refresh() {
    var name = length(collapse($("name").value));
    $("name-count").textContent = name;
    $("name-count").parentNode.classList.toggle("over", name > cfg.maxName);
    var content = multiline($("content").value), limit = wide() ? cfg.maxWideContent : cfg.maxContent;
    $("content-count").textContent = length(content);
    $("content-limit").textContent = limit;
    $("content-counter").classList.toggle("over", length(content) > limit);
    var tooMany = $("button-rows").children.length > maxButtons();
    $("buttons-warning").hidden = !tooMany;
    $("buttons-warning").textContent = tooMany ? fullMessage() : "";
    $("preview").replaceChildren(MB.brandBubble({content: content, buttons: buttons(), wide: wide()}, imageUrl()));
  }

  // ---- 가변문자 and 특수문자 (as on the 문자 page, macros/sms_text.html) ---------------------------
  function insertAtCursor(field, text) {
    var start = field.selectionStart || 0, end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.focus();
    refresh();
  }
  form.querySelectorAll(".var-btn").forEach(function (b) {
    b.addEventListener("click", function () { insertAtCursor($("content"), b.dataset.var); });
  });
  $("toggle-specials").addEventListener("click", function () {
    var box = $("specials");
    box.style.display = box.style.display === "none" ? "" : "none";
  });
  form.querySelectorAll(".special-btn").forEach(function (b) {
    b.addEventListener("click", function () { insertAtCursor($("content"), b.textContent); });
  });

  // ---- buttons (kakao_rows.js) -------------------------------------------------------------------
  MB.kakaoRows(form, {
    buttons: {rows: "button-rows", add: "add-button", type: "new-button-type", max: maxButtons,
              full: fullMessage}
  }, refresh);

  // ---- the image -------------------------------------------------------------------------------
  $("image").addEventListener("change", function () {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    var file = this.files && this.files[0];
    objectUrl = file ? URL.createObjectURL(file) : null;
  });

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
  var refused = form.querySelector('[aria-invalid="true"]');
  if (refused && !refused.disabled) refused.focus();
})();
