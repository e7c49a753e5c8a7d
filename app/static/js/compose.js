/* The 문자 발송 page (04-sms.md). Holds what the person composes, counts bytes live
   (MB.bytes, the same rules as the server), and asks the server for everything else:
   the quote for the confirmation dialog and the send itself, which every rule checks.
   The recipients are recipients.js's, the request and the page's tools compose_common.js's. */
(function () {
  "use strict";
  var B = window.MB.bytes, cfg = window.MB_COMPOSE;
  var _ = window.MB.t;            // the page's language (dialogs.js; window.MB_TEXT)
  var $ = function (id) { return document.getElementById(id); };
  var C = window.MB.compose, won = C.won, showError = C.showError;
  var state = {images: []};             // the recipients are MB.recipients' (recipients.js)

  // ---- the counter, the type and the preview (SMS-01, SMS-02, SMS-06, SMS-10) -----------------
  function composedText() {
    var body = B.normalize($("body").value);
    if ($("is-ad").checked) body = B.adWrap(body, $("ad-company").value.trim(), $("ad-optout").value, optoutCode());
    return body;
  }

  var optoutCode = C.optoutCode;

  function messageType(bytes) {
    if (state.images.length) return "MMS";
    return bytes > B.SMS_LIMIT ? "LMS" : "SMS";
  }

  function refresh() {
    var text = composedText(), bytes = B.byteLength(text), type = messageType(bytes);
    var limit = type === "SMS" ? B.SMS_LIMIT : B.LONG_LIMIT;
    var counter = $("byte-count");
    counter.textContent = bytes + "/" + limit + " byte";
    counter.classList.toggle("over", bytes > B.LONG_LIMIT);
    $("msg-type").textContent = type;
    var title = B.normalize($("title").value), titleBytes = B.byteLength(title);
    $("title-bytes").textContent = titleBytes + "/" + B.TITLE_LIMIT + " byte";
    $("title-bytes").classList.toggle("over", titleBytes > B.TITLE_LIMIT);
    $("title-note").style.display = type === "SMS" ? "" : "none";
    $("var-note").style.display = /#\[[^\]]+\]/.test(text + title) ? "" : "none";   // SMS-02: server decides
    var bad = B.unsupported(B.normalize($("body").value));
    var warning = $("char-warning");
    warning.style.display = bad.length ? "" : "none";
    var shown = bad.slice(0, 5).map(function (b) {
      return _("{position}번째 '{char}'", {position: b.position, char: b.char}); }).join(", ");
    warning.textContent = bad.length ? _("보낼 수 없는 문자: {chars} (이모지나 일부 특수문자는 사용할 수 없습니다)", {chars: shown}) : "";
    var values = box.firstValues();
    $("preview-body").textContent = B.render(text, values);
    var shownTitle = type === "SMS" ? "" : B.render(title, values);
    $("preview-title").textContent = shownTitle;
    $("preview-title").style.display = shownTitle ? "" : "none";
    $("preview-images").innerHTML = "";
    state.images.forEach(function (img) {
      var el = document.createElement("img");
      el.src = cfg.files + img.image_id;
      $("preview-images").appendChild(el);
    });
  }

  // ---- recipients (SMS-04, SMS-12): recipients.js; the dialogs ------------------------------------
  var modal = C.modals(["address-book", "confirm-dialog"]), openModal = modal.open, closeModals = modal.close;
  var box = window.MB.recipients({urls: {check: cfg.checkRecipients, upload: cfg.upload, addressBook: cfg.addressBook},
                                  open: openModal, close: closeModals, changed: refresh, error: C.fail});
  var drawRecipients = box.draw;

  // ---- images (SMS-14) --------------------------------------------------------------------------------
  $("add-image").addEventListener("click", function () {
    if (state.images.length >= 3) { showError(_("이미지는 최대 3장까지 첨부할 수 있습니다.")); return; }
    $("image-input").click();
  });
  $("image-input").addEventListener("change", function () {
    var file = this.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("image", file);
    C.request(cfg.image, {method: "POST", body: data}).then(function (img) {
      showError("");
      state.images.push(img);
      drawImages();
    }).catch(function (err) { showError(err.message); });
    this.value = "";
  });
  function drawImages() {
    var box = $("image-thumbs");
    box.innerHTML = "";
    state.images.forEach(function (img, index) {
      var wrap = document.createElement("span");
      wrap.className = "mb-thumb";
      var el = document.createElement("img");
      el.src = cfg.files + img.image_id;
      el.alt = img.name;
      var x = document.createElement("button");
      x.type = "button"; x.textContent = "×"; x.title = _("이미지 삭제");
      x.addEventListener("click", function () { state.images.splice(index, 1); drawImages(); });
      wrap.appendChild(el); wrap.appendChild(x); box.appendChild(wrap);
    });
    refresh();
  }

  // ---- form controls --------------------------------------------------------------------------------
  ["body", "title", "ad-company", "ad-optout"].forEach(function (id) { $(id).addEventListener("input", refresh); });
  $("is-ad").addEventListener("change", function () {
    $("ad-company").style.display = this.checked ? "" : "none";
    $("ad-optout-line").style.display = this.checked ? "" : "none";
    refresh();
  });
  $("use-schedule").addEventListener("change", function () { $("scheduled-at").disabled = !this.checked; });
  C.textTools($("body"), refresh);
  $("template").addEventListener("change", function () {
    if (!this.value) return;
    C.request(cfg.templates + "/" + this.value).then(function (t) {
      $("title").value = t.title; $("body").value = t.body;
      $("is-ad").checked = t.is_ad; $("ad-company").value = t.ad_company;
      if (t.ad_optout) $("ad-optout").value = t.ad_optout;
      $("is-ad").dispatchEvent(new Event("change"));
    }).catch(function (e) { showError(e.message); });
  });
  $("reset").addEventListener("click", function () {
    MB.confirm(_("작성한 내용과 수신자를 모두 지울까요?"), {ok: _("초기화"), danger: true}).then(function (yes) {
      if (yes) resetAll();
    });
  });
  function resetAll() {
    ["title", "body", "ad-company", "recipient-input", "template"].forEach(function (id) { $(id).value = ""; });
    $("is-ad").checked = false; $("is-ad").dispatchEvent(new Event("change"));
    $("use-schedule").checked = false; $("scheduled-at").disabled = true;
    state.images = [];
    box.clear();
    drawImages(); showError("");
  }
  $("save-template").addEventListener("click", function () {
    MB.prompt(_("템플릿 이름을 입력해주세요."), {ok: _("저장"), maxLength: 50, required: _("템플릿 이름을 입력해주세요.")})
      .then(function (name) { if (name) saveTemplate(name); });
  });
  function saveTemplate(name) {
    C.request(cfg.templates, {method: "POST", json: {name: name, title: $("title").value, body: $("body").value,
      is_ad: $("is-ad").checked, ad_company: $("ad-company").value, ad_optout: $("ad-optout").value}})
      .then(function (t) {
      var option = document.createElement("option");
      option.value = t.id; option.textContent = t.name;
      $("template").appendChild(option);
      showError("");
      MB.alert(_("'{name}' 템플릿으로 저장했습니다.", {name: t.name}));
    }).catch(function (e) { showError(e.message); });
  }

  // ---- confirm and send (SMS-11): the server quotes; 발송하기 sends once --------------------------
  function payload() {
    return Object.assign(box.payload(), {
      sender: $("sender") ? $("sender").value : "", use_schedule: $("use-schedule").checked,
      scheduled_at: $("scheduled-at").value, template_id: $("template").value || null,
      title: $("title").value, body: $("body").value, is_ad: $("is-ad").checked,
      ad_company: $("ad-company").value, ad_optout: $("ad-optout").value,
      image_ids: state.images.map(function (i) { return i.image_id; }),
      resend: box.state.resend ? {send_id: box.state.resend.send_id, status: box.state.resend.status,
                                  category: box.state.resend.category} : null,
      compose_token: $("compose-token").value
    });
  }

  $("send-open").addEventListener("click", function () {
    showError("");
    box.checking().then(function () {          // typed numbers still being checked come first
      return C.request(cfg.quote, {method: "POST", json: payload()});
    }).then(function (q) {
      $("confirm-type").textContent = q.type;
      $("confirm-price").textContent = _("{amount}원", {amount: won(q.unit_price)});
      $("confirm-schedule").textContent = q.scheduled_at || _("즉시 발송");
      $("confirm-recipients").textContent = _("{count}명", {count: won(q.recipients)});
      $("confirm-hold").textContent = _("{amount}원", {amount: won(q.hold)});
      $("confirm-remaining").textContent = won(q.remaining);
      $("confirm-cash").textContent = won(q.cash);
      $("confirm-points").textContent = won(q.points);
      var extra = [];
      if (q.duplicates) extra.push(_("중복 번호 {count}건은 한 번만 보냅니다.", {count: won(q.duplicates)}));
      if (q.rejected_count) extra.push(_("잘못된 번호 {count}건은 제외됩니다.", {count: won(q.rejected_count)}));
      if (q.optouts) extra.push(_("수신거부 번호 {count}건은 발송되지 않으며 요금이 없습니다.", {count: won(q.optouts)}));
      if (q.duplicate_sends) extra.push(_("1시간 안에 같은 내용을 받은 번호 {count}건은 중복 발송으로 제외되며 요금이 없습니다.",
                                        {count: won(q.duplicate_sends)}));
      if (q.expected_duplicate_sends) extra.push(_("예약 시각 전 1시간 안에 같은 내용을 받는 번호 {count}건은 발송 시점에 중복 발송으로 제외됩니다 (요금은 발송 완료 후 돌려드립니다).",
          {count: won(q.expected_duplicate_sends)}));
      if (!q.sendable) extra.push(_("보낼 수 있는 수신자가 없습니다."));
      if (q.title_dropped) extra.push(_("SMS 발송 시, 제목이 포함되지 않습니다."));
      if (!q.enough) extra.push(_("잔액이 부족합니다. 충전 후 발송해주세요."));
      $("confirm-extra").textContent = extra.join(" ");
      var list = $("confirm-rejected");        // SMS-04: each refused number with its reason
      list.innerHTML = "";
      (q.rejected || []).forEach(function (r) {
        var item = document.createElement("li");
        item.textContent = (r.phone || _("(빈 값)")) + " — " + r.reason;
        list.appendChild(item);
      });
      if (q.rejected_count > (q.rejected || []).length) {
        var more = document.createElement("li");
        more.textContent = _("외 {count}건", {count: won(q.rejected_count - q.rejected.length)});
        list.appendChild(more);
      }
      $("confirm-send").disabled = !q.enough || !q.sendable;
      openModal("confirm-dialog");
    }).catch(C.fail);
  });

  C.sendOnce(cfg.send, payload, closeModals);

  // a resend (재발송하기) or a template arrives prefilled
  (cfg.prefillRecipients || []).forEach(function (r) { box.state.typed.push(r); });
  (cfg.prefillImages || []).forEach(function (img) { state.images.push(img); });
  box.state.resend = cfg.prefillResend || null;
  if (state.images.length) drawImages();
  if ($("is-ad").checked) $("is-ad").dispatchEvent(new Event("change"));
  drawRecipients();
})();
