/* The 친구톡 발송 page, sent as a Brand Message (06-kakao.md KFT-01..04, KAT-07/08;
   portal/friendtalk/compose.html). Holds the content with its character counter (1,300, or
   76 for 와이드형), the image attached through the server (checked by the Brand Message
   rules and kept as a draft), the buttons (kakao_rows.js: 5, or 2 for 와이드형), the
   targeting the chosen channel may use, the recipients (recipients.js, as on the 문자 page)
   and the ad fallback (대체문자 수정하기 with the SMS byte counter); draws the bubble with the
   first recipient's values (MB.brandBubble); and asks the server for the
   quote of the two-column confirm dialog and for the send, which decide every rule. A
   refusal is shown under the field it names. Typed text goes in with textContent only. */
(function () {
  "use strict";
  var cfg = window.MB_FRIENDTALK_COMPOSE, MB = window.MB, B = MB.bytes, C = MB.compose;
  var _ = MB.t;
  var $ = function (id) { return document.getElementById(id); };
  if (!cfg) return;
  var state = {image: null, fallbackText: null};

  function wide() { return $("wide").checked; }
  function length(text) { return Array.from(text).length; }       // characters, as Python counts them
  function content() { return B.normalize($("content").value).trim(); }

  // ---- buttons (KAT-02 without 채널 추가): kakao_rows.js, as on the 친구톡 템플릿 form ----------------
  function maxButtons() { return wide() ? cfg.maxWideButtons : cfg.maxButtons; }
  var rows = MB.kakaoRows(document.querySelector(".mb-compose-form"), {
    buttons: {rows: "button-rows", add: "add-button", type: "new-button-type", max: maxButtons,
              full: function () {
                return wide() ? _("와이드형 친구톡의 버튼은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxWideButtons})
                              : _("버튼은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxButtons});
              }}
  }, function () { refresh(); });
  // each row's inputs by their data-field, blanks left out: [{type: "WL", name: "…", url_mobile: "…"}, …]
  function buttons() {
    return Array.prototype.map.call($("button-rows").children, function (row) {
      var out = {};
      row.querySelectorAll("[data-field]").forEach(function (input) {
        if (input.value.trim()) out[input.dataset.field] = input.value.trim();
      });
      return out;
    });
  }
  $("button-rows").addEventListener("input", refresh);

  // ---- the image (KFT-01): checked and kept by the server ----------------------------------------
  $("add-image").addEventListener("click", function () { $("image-input").click(); });
  $("image-input").addEventListener("change", function () {
    var posted = C.postFile(this, cfg.image, "image", {wide: wide() ? "1" : "0"});
    if (posted) posted.then(function (image) { C.showError(""); setImage(image); }).catch(C.fail);
  });
  function setImage(image) {
    state.image = image;
    var box = $("image-thumb");
    box.replaceChildren();
    if (image) {
      var wrap = box.appendChild(MB.el("span", "mb-thumb"));
      var img = wrap.appendChild(MB.el("img"));
      img.src = image.url;
      img.alt = image.name;
      var x = wrap.appendChild(MB.el("button", null, "×"));
      x.type = "button"; x.title = _("이미지 삭제");
      x.addEventListener("click", function () { setImage(null); });
      box.appendChild(MB.el("span", "mb-help", " " + image.name + " (" + image.width + "×" + image.height + ")"));
    }
    refresh();
  }

  // ---- 발송 대상 (KFT-02): M/N only where the channel may use them ---------------------------------
  function targeting() {
    var option = $("channel").selectedOptions[0];
    var allowed = option ? option.dataset.targeting.split(" ") : ["I"];
    document.querySelectorAll("#targeting-group [data-targeting]").forEach(function (line) {
      var on = allowed.indexOf(line.dataset.targeting) >= 0;
      line.style.display = on ? "" : "none";
      var radio = line.querySelector("input");
      if (!on && radio.checked) document.querySelector('input[name="targeting"][value="I"]').checked = true;
    });
    $("targeting-note").style.display = allowed.length > 1 ? "none" : "";
  }
  $("channel").addEventListener("change", function () { targeting(); refresh(); });

  // ---- recipients (recipients.js) and the page's dialogs -----------------------------------------
  var modal = C.modals(["address-book", "confirm-dialog", "fallback-editor"]);
  var box = MB.recipients({urls: {check: cfg.checkRecipients, upload: cfg.upload, addressBook: cfg.addressBook},
                           open: modal.open, close: modal.close, changed: refresh, error: C.fail});

  // ---- 대체문자 (KFT-04): an ad; the default is the content and each link button as 버튼명: URL ----
  function defaultFallback() {
    var lines = [content()];
    buttons().forEach(function (b) {
      var url = b.url_mobile || b.url_pc;
      if (url) lines.push(b.name + ": " + url);
    });
    return lines.join("\n");
  }
  function fallbackBody() { return state.fallbackText !== null ? state.fallbackText : defaultFallback(); }
  function fallbackInfo() {
    var on = $("use-fallback").checked;
    $("fallback-box").style.display = on ? "" : "none";
    var text = B.adWrap(B.normalize(B.render(fallbackBody(), box.firstValues())).trim(), $("ad-company").value.trim(),
                        $("ad-optout").value, C.optoutCode());
    // MMS with the image when it also meets SMS-14, else LMS without it; a text's by length
    var type = state.image ? (state.image.meets_mms ? "MMS" : "LMS") : B.byteLength(text) > B.SMS_LIMIT ? "LMS" : "SMS";
    C.fallbackCounters(text, type, fallbackBody());
  }
  function openEditor() {
    $("fallback-text").value = fallbackBody();
    fallbackInfo();
    modal.open("fallback-editor");
    $("fallback-text").focus();
  }
  $("use-fallback").addEventListener("change", fallbackInfo);
  $("edit-fallback").addEventListener("click", openEditor);
  $("fallback-text").addEventListener("input", function () { state.fallbackText = this.value; fallbackInfo(); });
  ["fallback-title", "ad-company", "ad-optout"].forEach(function (id) { $(id).addEventListener("input", fallbackInfo); });
  $("fallback-reset").addEventListener("click", function () {
    state.fallbackText = null;
    $("fallback-text").value = fallbackBody();
    fallbackInfo();
  });
  $("fallback-done").addEventListener("click", function () { modal.close(); fallbackInfo(); });

  // ---- the counter and the bubble ----------------------------------------------------------------
  function refresh() {
    var text = content(), limit = wide() ? cfg.maxWideContent : cfg.maxContent, used = length(text);
    $("content-count").textContent = used.toLocaleString("ko-KR");
    $("content-limit").textContent = limit.toLocaleString("ko-KR");
    $("content-counter").classList.toggle("over", used > limit);
    var breaks = (text.match(/\n/g) || []).length, warning = $("line-warning");
    warning.hidden = breaks <= cfg.maxLineBreaks;
    warning.textContent = warning.hidden ? "" : _("줄바꿈은 최대 {max}개까지 쓸 수 있습니다 (현재 {n}개).",
                                                  {max: cfg.maxLineBreaks, n: breaks});
    var option = $("channel").selectedOptions[0];
    var values = box.firstValues();
    var shown = buttons().map(function (b) { return {type: b.type, name: b.name || ""}; });
    $("preview").replaceChildren(MB.brandBubble({wide: wide(), channel: option ? option.textContent : "",
                                                 content: B.render(text, values), buttons: shown},
                                                state.image ? state.image.url : null));
    fallbackInfo();
  }
  $("content").addEventListener("input", refresh);
  $("wide").addEventListener("change", refresh);
  C.textTools($("content"), refresh);
  $("use-schedule").addEventListener("change", function () { $("scheduled-at").disabled = !this.checked; });

  // ---- 템플릿: a saved content fills 내용, 이미지 (와이드형) and 버튼 ------------------------------------
  $("template").addEventListener("change", function () {
    if (!this.value) return;
    C.request(cfg.template.replace(/0$/, this.value)).then(function (saved) {
      C.showError("");
      $("content").value = saved.content;
      $("wide").checked = saved.wide;
      $("button-rows").replaceChildren();
      saved.buttons.forEach(function (b) {
        if (!rows.add("buttons", b.type, true)) return;
        $("button-rows").lastElementChild.querySelectorAll("[data-field]").forEach(function (input) {
          if (input.type !== "hidden" && b[input.dataset.field] !== undefined) input.value = b[input.dataset.field];
        });
      });
      state.fallbackText = null;
      setImage(saved.image);
    }).catch(C.fail);
  });

  // ---- confirm and send (KAT-08): the server quotes; 발송하기 sends once ---------------------------
  function payload() {
    var on = $("use-fallback").checked, checked = document.querySelector('input[name="targeting"]:checked');
    return Object.assign(box.payload(), {
      channel: $("channel").value, use_schedule: $("use-schedule").checked, scheduled_at: $("scheduled-at").value,
      template_id: $("template").value || null, content: $("content").value, wide: wide(),
      image_id: state.image ? state.image.image_id : null, buttons: buttons(),
      targeting: checked ? checked.value : "I", use_fallback: on,
      fallback: on ? {sender: $("fallback-sender") ? $("fallback-sender").value : "", text: state.fallbackText,
                      title: $("fallback-title").value, ad_company: $("ad-company").value,
                      ad_optout: $("ad-optout").value} : null,
      compose_token: $("compose-token").value
    });
  }

  $("send-open").addEventListener("click", function () {
    C.showError("");
    // a default fallback that SMS cannot carry (emoji in the content) opens the editor first (KAT-07)
    if ($("use-fallback").checked && state.fallbackText === null && B.unsupported(B.normalize(defaultFallback())).length) {
      openEditor();
      return;
    }
    box.checking().then(function () {
      return C.request(cfg.quote, {method: "POST", json: payload()});
    }).then(function (q) {
      C.kakaoConfirm(q, cfg.notes);
      modal.open("confirm-dialog");
    }).catch(C.fail);
  });

  C.sendOnce(cfg.send, payload, modal.close);

  targeting();
  box.draw();
})();
