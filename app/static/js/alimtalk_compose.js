/* The 알림톡 발송 page (06-kakao.md KAT-06..08; portal/alimtalk/compose.html). Holds the
   recipients with their values by template variable, draws the bubble with the first
   recipient's values (MB.alimtalkBubble, as the template form draws it), edits the
   fallback (대체문자 수정하기) with the SMS byte counter (MB.bytes, the server's rules), and
   asks the server for the quote of the two-column confirm dialog and for the send, which
   decide every rule. Typed text goes in with textContent only. */
(function () {
  "use strict";
  var cfg = window.MB_ALIMTALK_COMPOSE, MB = window.MB, B = MB.bytes;
  var _ = MB.t;
  var $ = function (id) { return document.getElementById(id); };
  if (!cfg) return;
  var C = MB.compose, won = C.won, request = C.request;
  var byId = {};
  cfg.templates.forEach(function (t) { byId[String(t.id)] = t; });
  var state = {typed: [], contacts: [], groups: [], upload: null, fallbackText: null, fallbackChecked: false};

  function showError(message) { C.showError(message || ""); }

  function template() { return byId[$("template").value] || null; }
  // app/domain/alimtalk.py render(): each #{변수} replaced by its value, a missing one kept
  function render(text, values) {
    return String(text || "").replace(/#\{([^{}#\n]*)\}/g, function (whole, name) {
      var v = values[name.trim()];
      return v === undefined || v === "" ? whole : v;
    });
  }

  // ---- the template: channel, variables, preview ------------------------------------------------
  function channelTemplates() {
    var channel = $("channel").value;
    Array.prototype.forEach.call($("template").options, function (option) {
      if (!option.value) return;
      option.hidden = option.dataset.channel !== channel;
      if (option.hidden && option.selected) $("template").value = "";
    });
  }

  function firstValues() {
    var first = state.typed[0];
    if (first) return first.vars;
    var t = template(), mapping = bookMapping();
    var contact = state.contacts[0] || (state.groups.filter(function (g) { return g.first; })[0] || {}).first;
    if (contact && t) {
      var values = {};
      Object.keys(mapping).forEach(function (name) {
        var source = mapping[name];
        var v = source === "이름" ? contact.name : (contact.vars || {})[source];
        if (v) values[name] = v;
      });
      return values;
    }
    if (state.upload && state.upload.preview[0]) return state.upload.preview[0].vars || {};
    return {};
  }

  function preview() {
    var t = template(), box = $("preview");
    box.replaceChildren();
    if (!t) return;
    var values = firstValues(), s = Object.assign({}, t.bubble);
    s.channel = t.channel;
    s.content = render(s.content, values);
    s.emphasis_title = render(s.emphasis_title, values);
    s.emphasis_subtitle = render(s.emphasis_subtitle, values);
    box.appendChild(MB.alimtalkBubble(s, t.image_url));
  }

  // ---- recipients: typed ones with their values, address book, file -----------------------------
  function total() {
    return state.typed.length + state.contacts.length + (state.upload ? state.upload.valid : 0) +
      state.groups.reduce(function (n, g) { return n + g.count; }, 0);
  }

  function drawRecipients() {
    var t = template(), list = $("recipient-list");
    list.replaceChildren();
    state.typed.forEach(function (r, index) {
      var row = MB.el("div", "mb-at-recipient");
      row.dataset.index = index;
      var head = row.appendChild(MB.el("div", null));
      head.appendChild(MB.el("strong", null, r.phone));
      var x = head.appendChild(MB.el("button", "btn btn-link btn-xs", "×"));
      x.type = "button"; x.title = _("삭제");
      x.addEventListener("click", function () { state.typed.splice(index, 1); drawRecipients(); });
      (t ? t.variables : []).forEach(function (name) {
        var line = row.appendChild(MB.el("label", "mb-at-value"));
        line.appendChild(MB.el("span", null, "#{" + name + "} :"));
        var input = line.appendChild(MB.el("input", "form-control input-sm recipient-value"));
        input.dataset.variable = name;
        input.value = r.vars[name] || "";
        input.addEventListener("input", function () { r.vars[name] = input.value; preview(); fallbackInfo(); });
      });
      list.appendChild(row);
    });
    state.contacts.forEach(function (c, index) {
      var row = MB.el("div", "mb-at-recipient");
      row.appendChild(MB.el("strong", null, (c.name ? c.name + " " : "") + c.phone));
      var x = row.appendChild(MB.el("button", "btn btn-link btn-xs", "×"));
      x.type = "button";
      x.addEventListener("click", function () { state.contacts.splice(index, 1); drawRecipients(); });
      list.appendChild(row);
    });
    if (state.upload) {
      state.upload.preview.forEach(function (r) {
        var row = list.appendChild(MB.el("div", "mb-at-recipient"));
        row.appendChild(MB.el("strong", null, r.phone));
        Object.keys(r.vars || {}).forEach(function (name) {
          row.appendChild(MB.el("div", "mb-at-value", "#{" + name + "} : " + r.vars[name]));
        });
      });
    }
    var sources = [];
    state.groups.forEach(function (g) { sources.push(_("그룹 {name} ({count}건)", {name: g.name, count: g.count})); });
    if (state.upload) sources.push(_("파일 {name} ({count}건)", {name: state.upload.filename, count: state.upload.valid}));
    $("recipient-sources").textContent = sources.join(", ");
    $("recipient-total").textContent = won(total());
    drawMapping();
    preview();
    fallbackInfo();
  }

  function addTyped() {
    var t = template();
    if (!t) { showError(_("템플릿을 먼저 선택해주세요.")); return; }
    var parts = $("recipient-input").value.split(/[,;\/|\r\n\s]+/).filter(Boolean);
    parts.forEach(function (phone) {
      var vars = {};
      t.variables.forEach(function (name) { vars[name] = ""; });
      state.typed.push({phone: phone, vars: vars});
    });
    $("recipient-input").value = "";
    showError("");
    drawRecipients();
  }
  $("add-recipient").addEventListener("click", addTyped);
  $("recipient-input").addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); addTyped(); }
  });
  $("clear-recipients").addEventListener("click", function () {
    state.typed = []; state.contacts = []; state.groups = []; state.upload = null;
    $("upload-report").style.display = "none";
    drawRecipients();
  });

  // address-book recipients: each template variable mapped to 이름 or 변수1–4
  var SOURCES = [["", _("선택")], ["이름", _("이름")], ["1", _("변수1")], ["2", _("변수2")], ["3", _("변수3")],
                 ["4", _("변수4")]];
  var mapping = {};
  function bookMapping() { return mapping; }
  function drawMapping() {
    var t = template(), box = $("book-mapping");
    var used = state.contacts.length || state.groups.length;
    box.style.display = used && t && t.variables.length ? "" : "none";
    box.replaceChildren();
    if (!used || !t) return;
    box.appendChild(MB.el("div", "mb-help", _("주소록 수신자의 변수 값을 골라주세요.")));
    t.variables.forEach(function (name) {
      var line = box.appendChild(MB.el("label", "mb-at-value"));
      line.appendChild(MB.el("span", null, "#{" + name + "} :"));
      var select = line.appendChild(MB.el("select", "form-control input-sm book-map"));
      select.dataset.variable = name;
      SOURCES.forEach(function (pair) {
        var option = select.appendChild(MB.el("option", null, pair[1]));
        option.value = pair[0];
      });
      select.value = mapping[name] || "";
      select.addEventListener("change", function () { mapping[name] = select.value; preview(); });
    });
  }

  var modal = C.modals(["address-book", "confirm-dialog", "fallback-editor"]);
  var openModal = modal.open, closeModals = modal.close;

  MB.addressBookPicker({url: cfg.addressBook, request: request, state: function () { return state; },
                        open: function () { openModal("address-book"); }, close: closeModals,
                        added: drawRecipients, error: showError});

  // the recipients file, read by the template's variables (the sample file's columns)
  $("open-file").addEventListener("click", function () {
    if (!template()) { showError(_("템플릿을 먼저 선택해주세요.")); return; }
    $("file-input").click();
  });
  $("file-input").addEventListener("change", function () {
    var file = this.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("file", file);
    data.append("template_id", $("template").value);
    request(cfg.upload, {method: "POST", body: data}).then(function (result) {
      state.upload = result;
      var report = $("upload-report");
      report.style.display = "";
      report.textContent = result.filename + ": " + _("전체 {total}행 중 {valid}건 추가", {total: won(result.total), valid: won(result.valid)}) +
        (result.rejected_count ? ", " + _("오류 {count}건 제외", {count: won(result.rejected_count)}) : "");
      showError("");
      drawRecipients();
    }).catch(function (err) { showError(err.message); });
    this.value = "";
  });
  $("sample-file").addEventListener("click", function (e) {
    e.preventDefault();
    if (!template()) { showError(_("템플릿을 먼저 선택해주세요.")); return; }
    window.location.href = this.dataset.base.replace(/0\.xlsx$/, template().id + ".xlsx");
  });

  // ---- 대체문자 (KAT-07): default text, editor, byte counter ----------------------------------------
  function fallbackBody() {
    var t = template();
    if (!t) return "";
    return state.fallbackText !== null ? state.fallbackText : t.default_fallback;
  }
  function fallbackComposed(values) {
    var text = B.normalize(render(fallbackBody(), values || firstValues()));
    if (template() && template().is_ad) {
      text = B.adWrap(text, $("fallback-ad-company").value.trim(), $("fallback-ad-optout").value, "");
    }
    return text;
  }
  function fallbackInfo() {
    var t = template(), on = $("use-fallback").checked;
    $("fallback-box").style.display = on ? "" : "none";
    $("fallback-ad").style.display = t && t.is_ad ? "" : "none";
    if (!t) return;
    var text = fallbackComposed();
    C.fallbackCounters(text, B.byteLength(text) > B.SMS_LIMIT ? "LMS" : "SMS", fallbackBody());
    var problem = state.fallbackText === null ? t.fallback_problem : null;
    $("fallback-problem").textContent = problem || "";
    $("fallback-problem").style.display = on && problem ? "" : "none";
  }
  function openEditor() {
    $("fallback-text").value = fallbackBody();
    fallbackInfo();
    openModal("fallback-editor");
    $("fallback-text").focus();
  }
  $("edit-fallback").addEventListener("click", function () {
    if (!template()) { showError(_("템플릿을 먼저 선택해주세요.")); return; }
    openEditor();
  });
  $("fallback-text").addEventListener("input", function () { state.fallbackText = this.value; fallbackInfo(); });
  ["fallback-title", "fallback-ad-company", "fallback-ad-optout"].forEach(function (id) {
    $(id).addEventListener("input", fallbackInfo);
  });
  $("fallback-reset").addEventListener("click", function () {
    state.fallbackText = null;
    $("fallback-text").value = fallbackBody();
    fallbackInfo();
  });
  $("fallback-done").addEventListener("click", function () { state.fallbackChecked = true; closeModals(); fallbackInfo(); });
  $("use-fallback").addEventListener("change", fallbackInfo);

  // ---- controls ---------------------------------------------------------------------------------
  $("channel").addEventListener("change", function () { channelTemplates(); chooseTemplate(); });
  $("template").addEventListener("change", chooseTemplate);
  function chooseTemplate() {
    var t = template();
    state.fallbackText = null; state.fallbackChecked = false; mapping = {};
    state.typed.forEach(function (r) {
      var vars = {};
      (t ? t.variables : []).forEach(function (name) { vars[name] = r.vars[name] || ""; });
      r.vars = vars;
    });
    drawRecipients();
  }
  $("use-schedule").addEventListener("change", function () { $("scheduled-at").disabled = !this.checked; });

  // ---- confirm and send (KAT-08): the server quotes; 발송하기 sends once ---------------------------
  function payload() {
    var t = template(), on = $("use-fallback").checked;
    return {
      channel: $("channel").value, template_id: t ? t.id : null,
      use_schedule: $("use-schedule").checked, scheduled_at: $("scheduled-at").value,
      recipients: state.typed, contact_ids: state.contacts.map(function (c) { return c.id; }),
      group_ids: state.groups.map(function (g) { return g.id; }), mapping: mapping,
      upload_id: state.upload ? state.upload.upload_id : null,
      use_fallback: on,
      fallback: on ? {sender: $("fallback-sender") ? $("fallback-sender").value : "",
                      text: state.fallbackText, title: $("fallback-title").value,
                      ad_company: $("fallback-ad-company").value, ad_optout: $("fallback-ad-optout").value} : null,
      compose_token: $("compose-token").value
    };
  }

  $("send-open").addEventListener("click", function () {
    showError("");
    var t = template();
    // a default fallback that breaks the SMS rules opens the editor first (KAT-07)
    if (t && $("use-fallback").checked && state.fallbackText === null && t.fallback_problem) {
      openEditor();
      return;
    }
    request(cfg.quote, {method: "POST", json: payload()}).then(function (q) {
      C.kakaoConfirm(q, cfg.notes);
      openModal("confirm-dialog");
    }).catch(function (err) { showError(err.message); });
  });

  C.sendOnce(cfg.send, payload, closeModals);

  channelTemplates();
  drawRecipients();
})();
