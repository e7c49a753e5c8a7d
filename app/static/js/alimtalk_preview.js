/* 알림톡 템플릿 등록 (06-kakao.md KAT-01/02, portal/alimtalk/form.html): the phone preview
   drawn live exactly as macros/alimtalk.html draws it (the same elements, classes and
   order, so that the server's bubble on the template's page reads the same), the
   counters, the variables found, the sections each type uses, and the rows of buttons,
   quick replies and items. The form submits without this script, and the server decides
   every rule; here only what is typed is shown. Typed text goes in with textContent only. */
(function () {
  "use strict";
  var cfg = window.MB_ALIMTALK, MB = window.MB;
  var _ = MB.t;                   // the page's language (dialogs.js; window.MB_TEXT)
  var $ = function (id) { return document.getElementById(id); };
  var form = $("template-form");
  if (!form || !cfg) return;
  var imageUrl = cfg.imageUrl || null, objectUrl = null;
  var LISTS = {
    buttons: {rows: "button-rows", max: cfg.maxButtons, full: _("버튼은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxButtons})},
    quick_replies: {rows: "reply-rows", max: cfg.maxReplies,
                    full: _("바로연결은 최대 {n}개까지 추가할 수 있습니다.", {n: cfg.maxReplies})},
    items: {rows: "item-rows", max: cfg.maxItems, full: _("아이템은 최대 {n}개까지 입력할 수 있습니다.", {n: cfg.maxItems})}
  };

  // ---- what the server keeps of what is typed (app/domain/alimtalk.py _text) -----------------
  function collapse(text) { return String(text || "").split(/\s+/).filter(Boolean).join(" "); }
  function multiline(text) { return String(text || "").replace(/\r\n?/g, "\n").trim(); }
  function length(text) { return Array.from(text).length; }        // characters, as Python counts them
  function isAd(type) { return type === "AD" || type === "MI"; }
  function hasExtra(type) { return type === "EX" || type === "MI"; }

  function each(nodes, fn) { Array.prototype.forEach.call(nodes, fn); }
  function value(row, field) {
    var input = row.querySelector('[data-field="' + field + '"]');
    return input ? input.value : "";
  }
  function buttonRows(key) {
    return Array.prototype.map.call($(LISTS[key].rows).children, function (row) {
      return {type: row.dataset.type, name: collapse(value(row, "name")),
              url_mobile: value(row, "url_mobile").trim(), url_pc: value(row, "url_pc").trim()};
    });
  }
  function itemRows() {
    return Array.prototype.map.call($(LISTS.items.rows).children, function (row) {
      return {title: value(row, "title"), description: value(row, "description")};
    }).filter(function (item) {            // a blank row is not an item (the view drops it too)
      return item.title.trim() || item.description.trim();
    }).map(function (item) { return {title: collapse(item.title), description: collapse(item.description)}; });
  }

  function state() {
    var option = $("channel").selectedOptions[0];
    return {
      channel: option ? option.dataset.searchId : "",
      name: collapse($("name").value),
      message_type: $("message_type").value, emphasis_type: $("emphasis_type").value,
      content: multiline($("content").value), extra: multiline($("extra").value),
      emphasis_title: collapse($("emphasis_title").value), emphasis_subtitle: collapse($("emphasis_subtitle").value),
      item_header: collapse($("item_header").value), items: itemRows(),
      buttons: buttonRows("buttons"), quick_replies: buttonRows("quick_replies")
    };
  }

  // ---- the bubble: macros/alimtalk.html, element for element (alimtalk_bubble.js) -----------
  var el = MB.el;
  function bubble(s) { return MB.alimtalkBubble(s, imageUrl); }

  // ---- variables (app/domain/alimtalk.py variables()) -----------------------------------------
  var VARIABLE = /^#\{([^{}#\n]*)\}/;

  function scan(text, label, names) {
    var position = 0;
    for (;;) {
      var start = text.indexOf("#{", position);
      if (start < 0) return null;
      var match = VARIABLE.exec(text.slice(start));
      var at = length(text.slice(0, start)) + 1;
      if (!match) {
        return _("{label}의 {n}번째 글자에서 시작하는 변수가 올바르지 않습니다. 변수는 #{변수명} 형식으로 입력해주세요.",
                 {label: label, n: at});
      }
      var name = match[1].trim();
      if (!name) return _("{label}의 {n}번째 글자: 변수명이 비어 있습니다 (#{}).", {label: label, n: at});
      if (names.indexOf(name) < 0) names.push(name);
      position = start + match[0].length;
    }
  }

  function variables(s) {
    var names = [], problems = [];
    function check(text, label) { var problem = scan(text, label, names); if (problem) problems.push(problem); }
    check(s.content, _("내용"));
    if (s.emphasis_type === "TEXT") {
      check(s.emphasis_title, _("강조 제목"));
      check(s.emphasis_subtitle, _("보조 문구"));
    }
    if (s.emphasis_type === "ITEM_LIST") {
      s.items.forEach(function (item, i) { check(item.description, _("{n}번째 아이템의 설명", {n: i + 1})); });
    }
    s.buttons.concat(s.quick_replies).forEach(function (b) { check(b.url_mobile, "Mobile"); check(b.url_pc, "PC"); });
    if (names.length > cfg.maxVariables) {
      problems.push(_("변수는 최대 {max}개까지 쓸 수 있습니다 (현재 {n}개).", {max: cfg.maxVariables, n: names.length}));
    }
    var list = $("variables");
    list.replaceChildren();
    names.forEach(function (name) { list.appendChild(el("span", "mb-chip", "#{" + name + "}")); });
    if (!names.length) list.textContent = "-";
    var warning = $("variable-warning");
    warning.textContent = problems.join(" ");
    warning.hidden = !problems.length;
  }

  // ---- counters and the sections each type uses -----------------------------------------------
  function counters(s) {
    var name = length(s.name);
    $("name-count").textContent = name;
    $("name-count").parentNode.classList.toggle("over", name > cfg.maxName);
    var limit = cfg.maxContent - (isAd(s.message_type) ? cfg.adReserved : 0), used = length(s.content);
    $("content-count").textContent = used;
    $("content-limit").textContent = limit;
    $("content-counter").classList.toggle("over", used > limit);
    $("content-reserved").hidden = !isAd(s.message_type);
  }

  function show(box, on) {
    box.hidden = !on;                      // a hidden section's inputs are not sent
    each(box.querySelectorAll("input, textarea, select"), function (field) { field.disabled = !on; });
  }

  function sections(s) {
    each(form.querySelectorAll("[data-emphasis]"), function (box) { show(box, box.dataset.emphasis === s.emphasis_type); });
    show($("extra-group"), hasExtra(s.message_type));
    var channelAdd = $("new-button-type").querySelector("[data-ad-only]");
    channelAdd.disabled = !isAd(s.message_type);
    if (channelAdd.disabled && channelAdd.selected) $("new-button-type").selectedIndex = 0;
  }

  function refresh() {
    var s = state();
    sections(s);
    counters(s);
    variables(s);
    $("preview").replaceChildren(bubble(s));
  }

  // ---- rows (kakao_rows.js) -------------------------------------------------------------------
  function channelAddRows() {
    return Array.prototype.filter.call($(LISTS.buttons.rows).children, function (row) { return row.dataset.type === "AC"; });
  }

  var rows = MB.kakaoRows(form, {
    buttons: {rows: LISTS.buttons.rows, max: LISTS.buttons.max, full: LISTS.buttons.full, add: "add-button",
              type: "new-button-type",
              refuse: function (type) {
                return type === "AC" && channelAddRows().length ? _("채널 추가 버튼은 하나만 추가할 수 있습니다.") : "";
              },
              first: function (type) { return type === "AC"; }},          // 채널 추가 is the first button
    quick_replies: {rows: LISTS.quick_replies.rows, max: LISTS.quick_replies.max, full: LISTS.quick_replies.full,
                    add: "add-reply", type: "new-reply-type"},
    items: {rows: LISTS.items.rows, max: LISTS.items.max, full: LISTS.items.full, add: "add-item"}
  }, refresh);

  // 채널추가형·복합형: the 채널 추가 button comes first by itself; other types cannot have it
  $("message_type").addEventListener("change", function () {
    if (isAd(this.value)) { if (!channelAddRows().length) rows.add("buttons", "AC", true); }
    else channelAddRows().forEach(function (row) { row.remove(); });
    rows.renumber("buttons");
  });

  $("image").addEventListener("change", function () {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    var file = this.files && this.files[0];
    objectUrl = file ? URL.createObjectURL(file) : null;
    imageUrl = objectUrl || cfg.imageUrl || null;
  });

  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
  var refused = form.querySelector('[aria-invalid="true"]');
  if (refused && !refused.disabled) refused.focus();
})();
