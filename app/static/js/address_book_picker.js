/* 주소록 불러오기 (04-sms.md SMS-12, 06-kakao.md KAT-06): the address-book picker both compose
   pages share (static/js/compose.js, static/js/alimtalk_compose.js; its dialog is
   templates/macros/address_book.html). It lists the account's groups, pages through its
   contacts (더 보기) and searches them, all through ComposeView.address_book; 추가 puts the
   ticked groups and contacts into the page's recipients, each once. Names and values go in
   with textContent only. */
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function checkbox(className, value) {
    var box = el("input", className);
    box.type = "checkbox";
    box.value = value;
    return box;
  }
  function merge(into, chosen) {
    chosen.forEach(function (item) {
      if (!into.some(function (x) { return x.id === item.id; })) into.push(item);
    });
  }

  /* options: url (the endpoint), request(url) -> Promise of its JSON, state() -> the page's
     {groups, contacts}, open() and close() the dialog, added() after 추가, error(message). */
  MB.addressBookPicker = function (options) {
    var _ = MB.t;
    var $ = function (id) { return document.getElementById(id); };
    var groups = {}, contacts = {}, page = 1;    // id -> as the address book last listed it

    function load(next) {
      page = next || 1;
      var url = options.url + "?q=" + encodeURIComponent($("ab-query").value || "") + "&page=" + page;
      return options.request(url).then(function (data) {
        var groupBox = $("ab-groups"), contactBox = $("ab-contacts");
        groupBox.replaceChildren();
        data.groups.forEach(function (g, index) {
          groups[g.id] = g;
          if (index) groupBox.appendChild(document.createTextNode(" "));
          var label = groupBox.appendChild(el("label", "checkbox-inline"));
          label.appendChild(checkbox("ab-group", g.id));
          label.appendChild(document.createTextNode(" " + g.name + " (" + g.count + ")"));
        });
        if (!data.groups.length) groupBox.appendChild(el("p", "mb-help", _("그룹이 없습니다.")));
        if (page === 1) contactBox.replaceChildren();
        data.contacts.forEach(function (c) {
          contacts[c.id] = c;
          var label = contactBox.appendChild(el("div", "checkbox")).appendChild(el("label"));
          label.appendChild(checkbox("ab-contact", c.id));
          label.appendChild(document.createTextNode(" " + (c.name || "") + " " + c.phone));
        });
        if (page === 1 && !data.contacts.length) contactBox.appendChild(el("p", "mb-help", _("연락처가 없습니다.")));
        var shown = contactBox.querySelectorAll(".ab-contact").length;
        $("ab-more").style.display = shown < data.total ? "" : "none";
        $("ab-more").textContent = _("더 보기 ({shown}/{total})", {shown: shown, total: data.total});
      });
    }
    function fail(e) { options.error(e.message); }

    $("open-address-book").addEventListener("click", function () {
      load().then(options.open).catch(fail);
    });
    $("ab-more").addEventListener("click", function () { load(page + 1).catch(fail); });
    $("ab-search").addEventListener("click", function () { load().catch(fail); });
    $("ab-query").addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); load().catch(fail); }
    });
    $("ab-add").addEventListener("click", function () {
      var state = options.state();
      merge(state.groups, Array.prototype.map.call(document.querySelectorAll(".ab-group:checked"),
                                                   function (box) { return groups[box.value]; }));
      merge(state.contacts, Array.prototype.map.call(document.querySelectorAll(".ab-contact:checked"),
                                                     function (box) { return contacts[box.value]; }));
      options.close();
      options.added();
    });
  };
})();
