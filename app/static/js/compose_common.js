/* What the compose pages' scripts share (문자 compose.js, 알림톡 alimtalk_compose.js, 친구톡
   friendtalk_compose.js): the JSON request with the CSRF token (a refusal keeps its Korean
   message, its field and its code), a refusal shown under the field it names (a group
   marked data-fields, macros/compose.html) or in the page's error box, the page's modals,
   won, 가변문자 and 특수문자 put in at the cursor, the ad line's 인증코드, and — for the
   Kakao pages — the 대체문자 counters and the two-column confirm dialog (KAT-08). The
   server decides every rule; here only what it answered is shown. Text goes in with
   textContent only. */
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};
  var _ = MB.t;
  var B = MB.bytes;
  var $ = function (id) { return document.getElementById(id); };
  var meta = document.querySelector('meta[name="csrf-token"]');

  function request(url, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "X-CSRFToken": meta ? meta.content : ""};
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {method: options.method || "GET", headers: headers, credentials: "same-origin",
                       body: options.json !== undefined ? JSON.stringify(options.json) : options.body})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var refusal = (data && data.error) || {};
            var error = new Error(refusal.message || _("요청을 처리할 수 없습니다 ({status}).", {status: response.status}));
            error.field = refusal.field || null;
            error.code = refusal.code || null;
            error.status = response.status;
            throw error;
          }
          return data;
        });
      });
  }

  function won(n) { return Number(n || 0).toLocaleString("ko-KR"); }
  function element(tag, text) { var node = document.createElement(tag); node.textContent = text; return node; }

  // ---- refusals: under the field they name, else in the page's box ---------------------------------
  // "buttons[1].url_mobile" names the input buttons-1-url_mobile (as the template form's inputs)
  function inputOf(field) { return String(field).replace(/\[(\d+)\]\.?/g, "-$1-").replace(/-$/, ""); }
  function groupOf(field) {
    if (!field) return null;
    var base = String(field).split(/[\[.]/)[0];
    var groups = document.querySelectorAll("[data-fields]");
    for (var i = 0; i < groups.length; i += 1) {
      var names = groups[i].dataset.fields.split("|");
      if (names.indexOf(field) >= 0 || names.indexOf(base) >= 0) return groups[i];
    }
    return null;
  }
  function clearErrors() {
    document.querySelectorAll(".mb-field-error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    document.querySelectorAll("[data-fields].has-error, .mb-at-field.has-error").forEach(function (g) {
      g.classList.remove("has-error");
    });
  }
  function showError(message, field) {
    clearErrors();
    var box = $("compose-error");
    var group = message ? groupOf(field) : null;
    var slot = group && group.querySelector(".mb-field-error");
    box.textContent = slot ? "" : (message || "");
    box.style.display = message && !slot ? "" : "none";
    if (!message) return;
    if (!slot) { window.scrollTo(0, 0); return; }
    group.classList.add("has-error");
    slot.textContent = message;
    slot.hidden = false;
    var input = $(inputOf(field));
    if (input && group.contains(input) && input.closest(".mb-at-field")) input.closest(".mb-at-field").classList.add("has-error");
    group.scrollIntoView({block: "center"});
  }
  function fail(error) { showError(error.message, error.field); }
  // typing into the refused field takes its message away
  document.addEventListener("input", function (e) {
    var group = e.target.closest && e.target.closest("[data-fields].has-error");
    if (!group) return;
    group.classList.remove("has-error");
    var slot = group.querySelector(".mb-field-error");
    if (slot) { slot.hidden = true; slot.textContent = ""; }
  });

  // ---- modals ---------------------------------------------------------------------------------------
  function modals(ids) {
    function open(id) { $("backdrop").style.display = "block"; $(id).style.display = "block"; }
    function close() {
      $("backdrop").style.display = "none";
      ids.forEach(function (id) { $(id).style.display = "none"; });
    }
    document.querySelectorAll("[data-close]").forEach(function (b) { b.addEventListener("click", close); });
    $("backdrop").addEventListener("click", close);
    return {open: open, close: close};
  }

  // ---- 가변문자 and 특수문자 (SMS-05, SMS-09) -----------------------------------------------------
  function insertAtCursor(field, text) {
    var start = field.selectionStart || 0, end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.focus();
  }
  function textTools(field, changed) {
    function put(text) { insertAtCursor(field, text); changed(); }
    document.querySelectorAll(".var-btn").forEach(function (b) {
      b.addEventListener("click", function () { put(b.dataset.var); });
    });
    $("toggle-specials").addEventListener("click", function () {
      var box = $("specials");
      box.style.display = box.style.display === "none" ? "" : "none";
    });
    document.querySelectorAll(".special-btn").forEach(function (b) {
      b.addEventListener("click", function () { put(b.textContent); });
    });
  }

  // SND-09: the shared 080 number goes with the account's 인증코드 (shown beside it, and in the text)
  function optoutCode() {
    var line = $("ad-optout-code"), shared = line.dataset.shared;
    var digits = $("ad-optout").value.replace(/\D/g, "");
    var code = digits === shared ? line.dataset.code : "";
    line.style.display = code ? "" : "none";
    return code;
  }

  // ---- 대체문자 (KAT-07, KFT-04): its type, bytes and refused characters as typed -------------------
  function fallbackCounters(text, type, source) {
    var bytes = B.byteLength(text), limit = type === "SMS" ? B.SMS_LIMIT : B.LONG_LIMIT;
    ["fallback-type", "fallback-editor-type"].forEach(function (id) { $(id).textContent = type; });
    $("fallback-bytes").textContent = bytes + "/" + limit + " byte";
    $("fallback-text-bytes").textContent = bytes + "/" + limit + " byte";
    $("fallback-text-bytes").classList.toggle("over", bytes > B.LONG_LIMIT);
    var title = B.byteLength(B.normalize($("fallback-title").value));
    $("fallback-title-bytes").textContent = title + "/" + B.TITLE_LIMIT + " byte";
    var bad = B.unsupported(B.normalize(source));
    var warning = $("fallback-char-warning");
    warning.style.display = bad.length ? "" : "none";
    warning.textContent = bad.length ? _("보낼 수 없는 문자: {chars} (이모지나 일부 특수문자는 사용할 수 없습니다)",
      {chars: bad.slice(0, 5).map(function (b) { return _("{position}번째 '{char}'", {position: b.position, char: b.char}); }).join(", ")}) : "";
  }

  // ---- the two-column confirm dialog (KAT-08): 카카오톡 | 대체문자, from the server's quote ----------
  function kakaoConfirm(q, notes) {
    var withFallback = !!q.fallback_type;
    document.querySelectorAll(".confirm-fallback").forEach(function (cell) { cell.style.display = withFallback ? "" : "none"; });
    $("confirm-kakao-type").textContent = q.kakao_type;
    $("confirm-kakao-price").textContent = _("{amount}원", {amount: won(q.kakao_price)});
    $("confirm-fallback-type").textContent = q.fallback_type || "";
    $("confirm-fallback-price").textContent = withFallback ? _("{amount}원", {amount: won(q.fallback_price)}) : "";
    $("confirm-schedule").textContent = q.scheduled_at || _("즉시 발송");
    $("confirm-recipients").textContent = _("{count}명", {count: won(q.recipients)});
    $("confirm-hold").textContent = _("{amount}원", {amount: won(q.hold)});
    $("confirm-remaining").textContent = won(q.remaining);
    $("confirm-note").textContent = withFallback && q.fallback_price > q.kakao_price ? notes.fallback : notes.kakao;
    // as the SMS dialog (compose.js): how many numbers are left out, each with its reason
    $("confirm-extra").textContent = q.rejected_count ?
      _("잘못된 번호 {count}건은 제외됩니다.", {count: won(q.rejected_count)}) : "";
    var list = $("confirm-rejected");
    list.replaceChildren();
    (q.rejected || []).forEach(function (r) {
      list.appendChild(element("li", (r.phone || _("(빈 값)")) + " — " + r.reason));
    });
    if (q.rejected_count > (q.rejected || []).length) {
      list.appendChild(element("li", _("외 {count}건", {count: won(q.rejected_count - q.rejected.length)})));
    }
    $("confirm-short").style.display = q.enough ? "none" : "";
    $("confirm-send").disabled = !q.enough || !q.recipients;
  }

  // ---- a chosen file posted as it is chosen (a recipients file, an image) ---------------------------
  function postFile(input, url, name, extra) {
    var file = input.files[0];
    input.value = "";
    if (!file) return null;
    var data = new FormData();
    data.append(name, file);
    Object.keys(extra || {}).forEach(function (key) { data.append(key, extra[key]); });
    return request(url, {method: "POST", body: data});
  }

  // ---- 발송하기 in the confirm dialog: one post at a time, then the send's page --------------------
  // (the server answers a second post of the same page with the first answer: once_per_token)
  function sendOnce(url, payload, close) {
    var sending = false;
    $("confirm-send").addEventListener("click", function () {
      if (sending) return;
      sending = true;
      this.disabled = true;
      request(url, {method: "POST", json: payload()}).then(function (result) {
        window.location.href = result.redirect;
      }).catch(function (err) {
        sending = false;
        $("confirm-send").disabled = false;
        close();
        fail(err);
      });
    });
  }

  MB.compose = {request: request, won: won, showError: showError, fail: fail, modals: modals,
                insertAtCursor: insertAtCursor, textTools: textTools, optoutCode: optoutCode, postFile: postFile,
                sendOnce: sendOnce, fallbackCounters: fallbackCounters, kakaoConfirm: kakaoConfirm};
})();
