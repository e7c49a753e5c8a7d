/* 수신자 as the 문자 page has them (04-sms.md SMS-04, SMS-12), for every page that sends
   with #[이름], #[1]..#[4] values (compose.js, friendtalk_compose.js; the markup is
   macros/compose.html recipients()): typed or pasted numbers, each checked by the server
   before it becomes a chip; 주소록 불러오기 (address_book_picker.js); 파일 불러오기 with the
   server's report row by row; 총 n건 and 전체삭제; and a past send's recipients named by
   result (재발송, set by the page). What is posted, and the first recipient's values for
   the preview, follow the server's order (sending/compose.listed_recipients): typed, the
   groups' members, the chosen contacts, the file, then a resend's. */
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};

  /* options: urls {check, upload, addressBook}; open(id) and close() the page's modals;
     changed() after the list changed; error(error) for a refusal. */
  MB.recipients = function (options) {
    var _ = MB.t, C = MB.compose, won = C.won;
    var $ = function (id) { return document.getElementById(id); };
    var state = {typed: [], contacts: [], groups: [], upload: null, resend: null};
    var checking = Promise.resolve();

    function total() {
      return state.typed.length + state.contacts.length + (state.upload ? state.upload.valid : 0) +
        (state.resend ? state.resend.count : 0) +
        state.groups.reduce(function (n, g) { return n + g.count; }, 0);
    }

    function firstValues() {
      var group = state.groups.filter(function (g) { return g.first; })[0];
      var first = state.typed[0] || (group && group.first) || state.contacts[0] ||
        (state.upload && state.upload.preview[0]) || (state.resend && state.resend.preview[0]);
      if (!first) return {};
      var values = Object.assign({}, first.vars || {});
      if (first.name) values["이름"] = first.name;
      return values;
    }

    function draw() {
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
          draw();
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
      options.changed();
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
      checking = C.request(options.urls.check, {method: "POST", json: {numbers: fresh}}).then(function (checked) {
        checked.accepted.forEach(function (a) { state.typed.push({phone: a.phone}); });
        if (checked.rejected.length) input.value = checked.rejected.map(function (r) { return r.phone; }).join(", ");
        draw();
        noteTyped(repeated, checked.rejected);
      }).catch(function (err) { input.value = fresh.join(", "); options.error(err); });
      return checking;
    }

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

    function clear() {
      state.typed = []; state.contacts = []; state.groups = []; state.upload = null; state.resend = null;
      $("upload-report").style.display = "none";
      draw();
    }

    $("add-recipient").addEventListener("click", addTyped);
    $("recipient-input").addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); addTyped(); }
    });
    $("recipient-input").addEventListener("paste", function (e) {
      var text = e.clipboardData && e.clipboardData.getData("text");
      if (text) { e.preventDefault(); addTyped(text); } else setTimeout(addTyped, 0);
    });
    $("clear-recipients").addEventListener("click", clear);

    // the recipients file (SMS-04): validated by the server, reported row by row
    $("open-file").addEventListener("click", function () { $("file-input").click(); });
    $("file-input").addEventListener("change", function () {
      var posted = C.postFile(this, options.urls.upload, "file");
      if (!posted) return;
      C.showError("");
      var report = $("upload-report");
      report.style.display = "";
      report.textContent = _("파일을 확인하는 중입니다…");
      posted.then(function (result) {
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
        draw();
      }).catch(function (err) {
        report.style.display = "none";
        options.error(err);
      });
    });

    function escapeHtml(text) {  // for text and for quoted attribute values
      var div = document.createElement("div");
      div.textContent = text == null ? "" : String(text);
      return div.innerHTML.replace(/"/g, "&quot;").replace(/'/g, "&#39;");
    }

    // the address book (SMS-12)
    MB.addressBookPicker({url: options.urls.addressBook, request: C.request, state: function () { return state; },
                          open: function () { options.open("address-book"); }, close: options.close,
                          added: draw, error: function (message) { options.error(new Error(message)); }});

    return {
      state: state, total: total, firstValues: firstValues, draw: draw, clear: clear,
      checking: function () { return checking; },
      payload: function () {
        return {recipients: state.typed, contact_ids: state.contacts.map(function (c) { return c.id; }),
                group_ids: state.groups.map(function (g) { return g.id; }),
                upload_id: state.upload ? state.upload.upload_id : null};
      }
    };
  };
})();
