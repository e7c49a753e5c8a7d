/* The 문자 발송 page (04-sms.md). Holds what the person composes, counts bytes live
   (MB.bytes, the same rules as the server), and asks the server for everything else:
   the quote for the confirmation dialog and the send itself, which every rule checks. */
(function () {
  "use strict";
  var B = window.MB.bytes, cfg = window.MB_COMPOSE;
  var _ = window.MB.t;            // the page's language (dialogs.js; window.MB_TEXT)
  var $ = function (id) { return document.getElementById(id); };
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var state = {typed: [], contacts: [], groups: [], upload: null, resend: null, images: []};

  // ---- helpers --------------------------------------------------------------------------------
  function showError(message) {
    var box = $("compose-error");
    box.textContent = message;
    box.style.display = message ? "" : "none";
    if (message) window.scrollTo(0, 0);
  }

  function request(url, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "X-CSRFToken": csrf};
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {method: options.method || "GET", headers: headers, credentials: "same-origin",
                       body: options.json !== undefined ? JSON.stringify(options.json) : options.body})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var err = (data && data.error) || {};
            throw new Error(err.message || _("요청을 처리할 수 없습니다 ({status}).", {status: response.status}));
          }
          return data;
        });
      });
  }

  function won(n) { return Number(n || 0).toLocaleString("ko-KR"); }

  function insertAtCursor(field, text) {
    var start = field.selectionStart || 0, end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.focus();
    refresh();
  }

  // ---- the counter, the type and the preview (SMS-01, SMS-02, SMS-06, SMS-10) -----------------
  function composedText() {
    var body = B.normalize($("body").value);
    if ($("is-ad").checked) body = B.adWrap(body, $("ad-company").value.trim(), $("ad-optout").value, optoutCode());
    return body;
  }

  // SND-09: the shared 080 number goes with the account's 인증코드 (shown beside it, and in the text)
  function optoutCode() {
    var line = $("ad-optout-code"), shared = line.dataset.shared;
    var digits = $("ad-optout").value.replace(/\D/g, "");
    var code = digits === shared ? line.dataset.code : "";
    line.style.display = code ? "" : "none";
    return code;
  }

  function messageType(bytes) {
    if (state.images.length) return "MMS";
    return bytes > B.SMS_LIMIT ? "LMS" : "SMS";
  }

  function firstRecipientValues() {
    // the server's order (app/services/compose.build_request): typed, the groups' members,
    // the chosen contacts, then the file
    var group = state.groups.filter(function (g) { return g.first; })[0];
    var first = state.typed[0] || (group && group.first) || state.contacts[0] ||
      (state.upload && state.upload.preview[0]) || (state.resend && state.resend.preview[0]);
    if (!first) return {};
    var values = Object.assign({}, first.vars || {});
    if (first.name) values["이름"] = first.name;
    return values;
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
    var values = firstRecipientValues();
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

  // ---- recipients (SMS-04, SMS-12) ---------------------------------------------------------------
  function total() {
    return state.typed.length + state.contacts.length + (state.upload ? state.upload.valid : 0) +
      (state.resend ? state.resend.count : 0) +
      state.groups.reduce(function (n, g) { return n + g.count; }, 0);
  }

  function drawRecipients() {
    var chips = $("recipient-chips");
    chips.innerHTML = "";
    state.typed.concat(state.contacts).slice(0, 300).forEach(function (r, index) {
      var chip = document.createElement("span");
      chip.className = "mb-chip";
      chip.textContent = (r.name ? r.name + " " : "") + r.phone;
      var x = document.createElement("button");
      x.type = "button"; x.textContent = "×"; x.title = _("삭제");
      x.addEventListener("click", function () {
        if (index < state.typed.length) state.typed.splice(index, 1);
        else state.contacts.splice(index - state.typed.length, 1);
        drawRecipients();
      });
      chip.appendChild(x);
      chips.appendChild(chip);
    });
    var sources = [];
    state.groups.forEach(function (g) { sources.push(_("그룹 {name} ({count}건)", {name: g.name, count: g.count})); });
    if (state.upload) sources.push(_("파일 {name} ({count}건)", {name: state.upload.filename, count: state.upload.valid}));
    if (state.resend) sources.push(_("재발송 대상 {name} ({count}건)", {name: state.resend.label, count: won(state.resend.count)}));
    $("recipient-sources").textContent = sources.join(", ");
    $("recipient-total").textContent = won(total());
    refresh();
  }

  function addTyped(pasted) {
    var input = $("recipient-input");
    // as app/domain/recipients.split_typed: commas, semicolons, slashes, bars and new lines
    // separate numbers; spaces too, unless the words together make one number (010 2345 6789).
    // A paste is put in at the cursor as the clipboard has it: a one-line input would turn its
    // new lines into spaces, and "010 2345 6701⏎010 2345 6702" into one run of words.
    var text = input.value;
    if (typeof pasted === "string") {
      var start = input.selectionStart || 0, end = input.selectionEnd || 0;
      text = text.slice(0, start) + pasted + text.slice(end);
    }
    var parts = [];
    text.split(/[,;\/|\r\n]+/).forEach(function (piece) {
      var words = piece.trim().split(/\s+/).filter(Boolean), joined = words.join("");
      var digits = joined.replace(/\D/g, "").length;
      if (words.length > 1 && /^\+?[\d\-().]+$/.test(joined) && digits >= 10 && digits <= 12) parts.push(joined);
      else parts.push.apply(parts, words);
    });
    // one number however written: 010-2345-6789, 01023456789, +82 10 2345 6789
    function key(phone) { return phone.replace(/\D/g, "").replace(/^82(?=1)/, "0"); }
    var known = {}, fresh = [], repeated = 0;
    state.typed.forEach(function (r) { known[key(r.phone)] = true; });
    parts.forEach(function (p) {
      var digits = key(p);
      if (!known[digits]) { fresh.push(p); known[digits] = true; } else { repeated += 1; }
    });
    input.value = "";
    if (!fresh.length) { noteTyped(repeated, []); return Promise.resolve(); }
    // the server checks them as the send will (SMS-04): a refused number never becomes a chip;
    // 발송하기 waits for the check in flight (checking)
    checking = request(cfg.checkRecipients, {method: "POST", json: {numbers: fresh}}).then(function (checked) {
      checked.accepted.forEach(function (a) { state.typed.push({phone: a.phone}); });
      if (checked.rejected.length) input.value = checked.rejected.map(function (r) { return r.phone; }).join(", ");
      drawRecipients();
      noteTyped(repeated, checked.rejected);
    }).catch(function (err) { input.value = fresh.join(", "); showError(err.message); });
    return checking;
  }
  var checking = Promise.resolve();

  function noteTyped(repeated, rejected) {
    var note = $("recipient-note");
    note.innerHTML = "";
    if (repeated) note.appendChild(document.createTextNode(_("이미 추가된 번호 {count}건은 한 번만 넣었습니다.", {count: repeated})));
    if (rejected.length) {
      var list = document.createElement("ul");
      list.id = "typed-rejected";
      list.className = "mb-error";
      rejected.forEach(function (r) {
        var item = document.createElement("li");
        item.textContent = (r.phone || _("(빈 값)")) + ": " + r.reason;
        list.appendChild(item);
      });
      note.appendChild(list);
    }
  }

  $("add-recipient").addEventListener("click", addTyped);
  $("recipient-input").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); addTyped(); }
  });
  $("recipient-input").addEventListener("paste", function (e) {
    var text = e.clipboardData && e.clipboardData.getData("text");
    if (text) { e.preventDefault(); addTyped(text); } else setTimeout(addTyped, 0);
  });
  $("clear-recipients").addEventListener("click", function () {
    state.typed = []; state.contacts = []; state.groups = []; state.upload = null; state.resend = null;
    $("upload-report").style.display = "none";
    drawRecipients();
  });

  // the recipients file (SMS-04): validated by the server, reported row by row
  $("open-file").addEventListener("click", function () { $("file-input").click(); });
  $("file-input").addEventListener("change", function () {
    var file = this.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("file", file);
    showError("");
    var report = $("upload-report");
    report.style.display = "";
    report.textContent = _("파일을 확인하는 중입니다…");
    request(cfg.upload, {method: "POST", body: data}).then(function (result) {
      state.upload = result;
      var html = "<strong>" + escapeHtml(result.filename) + "</strong>: " +
        escapeHtml(_("전체 {total}행 중 {valid}건 추가", {total: won(result.total), valid: won(result.valid)}));
      if (result.duplicates) html += ", " + escapeHtml(_("중복 {count}건 제외", {count: won(result.duplicates)}));
      if (result.rejected_count) {
        html += ", " + escapeHtml(_("오류 {count}건 제외", {count: won(result.rejected_count)})) +
          "<table class='table table-condensed' id='upload-errors'>" +
          "<tr><th>" + _("행") + "</th><th>" + _("번호") + "</th><th>" + _("사유") + "</th></tr>" + result.rejected.map(function (r) {
            return "<tr><td>" + r.row + "</td><td>" + escapeHtml(r.phone) + "</td><td>" + escapeHtml(r.reason) + "</td></tr>";
          }).join("") + "</table>";
      }
      if ((result.ignored_columns || []).length) {
        html += "<div class='mb-help' id='upload-ignored'>" + escapeHtml(_("읽지 않은 열: {columns} (이름은 '이름', 변수는 '변수1'~'변수4' 머리글로 읽습니다)",
          {columns: result.ignored_columns.join(", ")})) + "</div>";
      }
      report.innerHTML = html;
      drawRecipients();
    }).catch(function (err) {
      report.style.display = "none";
      showError(err.message);
    });
    this.value = "";
  });

  function escapeHtml(text) {  // for text and for quoted attribute values
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML.replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  // the address book (SMS-12)
  function openModal(id) { $("backdrop").style.display = "block"; $(id).style.display = "block"; }
  function closeModals() {
    $("backdrop").style.display = "none";
    ["address-book", "confirm-dialog"].forEach(function (id) { $(id).style.display = "none"; });
  }
  document.querySelectorAll("[data-close]").forEach(function (b) { b.addEventListener("click", closeModals); });
  $("backdrop").addEventListener("click", closeModals);

  MB.addressBookPicker({url: cfg.addressBook, request: request, state: function () { return state; },
                        open: function () { openModal("address-book"); }, close: closeModals,
                        added: drawRecipients, error: showError});

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
    request(cfg.image, {method: "POST", body: data}).then(function (img) {
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
  document.querySelectorAll(".var-btn").forEach(function (b) {
    b.addEventListener("click", function () { insertAtCursor($("body"), b.dataset.var); });
  });
  $("toggle-specials").addEventListener("click", function () {
    var box = $("specials");
    box.style.display = box.style.display === "none" ? "" : "none";
  });
  document.querySelectorAll(".special-btn").forEach(function (b) {
    b.addEventListener("click", function () { insertAtCursor($("body"), b.textContent); });
  });
  $("template").addEventListener("change", function () {
    if (!this.value) return;
    request(cfg.templates + "/" + this.value).then(function (t) {
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
    state = {typed: [], contacts: [], groups: [], upload: null, resend: null, images: []};
    $("upload-report").style.display = "none";
    drawImages(); drawRecipients(); showError("");
  }
  $("save-template").addEventListener("click", function () {
    MB.prompt(_("템플릿 이름을 입력해주세요."), {ok: _("저장"), maxLength: 50, required: _("템플릿 이름을 입력해주세요.")})
      .then(function (name) { if (name) saveTemplate(name); });
  });
  function saveTemplate(name) {
    request(cfg.templates, {method: "POST", json: {name: name, title: $("title").value, body: $("body").value,
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
    return {
      sender: $("sender") ? $("sender").value : "", use_schedule: $("use-schedule").checked,
      scheduled_at: $("scheduled-at").value, template_id: $("template").value || null,
      title: $("title").value, body: $("body").value, is_ad: $("is-ad").checked,
      ad_company: $("ad-company").value, ad_optout: $("ad-optout").value,
      image_ids: state.images.map(function (i) { return i.image_id; }),
      recipients: state.typed, contact_ids: state.contacts.map(function (c) { return c.id; }),
      group_ids: state.groups.map(function (g) { return g.id; }),
      upload_id: state.upload ? state.upload.upload_id : null,
      resend: state.resend ? {send_id: state.resend.send_id, status: state.resend.status,
                              category: state.resend.category} : null,
      compose_token: $("compose-token").value
    };
  }

  $("send-open").addEventListener("click", function () {
    showError("");
    checking.then(function () {          // typed numbers still being checked come first
      return request(cfg.quote, {method: "POST", json: payload()});
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
    }).catch(function (err) { showError(err.message); });
  });

  var sending = false;
  $("confirm-send").addEventListener("click", function () {
    if (sending) return;       // a double click sends once (the server also refuses a second send)
    sending = true;
    this.disabled = true;
    request(cfg.send, {method: "POST", json: payload()}).then(function (result) {
      window.location.href = result.redirect;
    }).catch(function (err) {
      sending = false;
      $("confirm-send").disabled = false;
      closeModals();
      showError(err.message);
    });
  });

  // a resend (재발송하기) or a template arrives prefilled
  (cfg.prefillRecipients || []).forEach(function (r) { state.typed.push(r); });
  (cfg.prefillImages || []).forEach(function (img) { state.images.push(img); });
  state.resend = cfg.prefillResend || null;
  if (state.images.length) drawImages();
  if ($("is-ad").checked) $("is-ad").dispatchEvent(new Event("change"));
  drawRecipients();
})();
