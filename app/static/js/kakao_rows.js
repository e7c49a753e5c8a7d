/* The rows of a Kakao content form (buttons, quick replies, items; macros/kakao_buttons.html):
   added from their <template>, removed, and renumbered so that every input keeps the
   service's JSON path (`buttons-1-url_mobile` is buttons[1].url_mobile). Used by 알림톡
   템플릿 등록 (alimtalk_preview.js) and 친구톡 템플릿 (friendtalk_template.js). Without the
   script the same buttons submit (`op=add:buttons`, `op=remove:buttons:1`) and the server
   draws the form again.

     var rows = MB.kakaoRows(form, {
       buttons: {rows: "button-rows", add: "add-button", type: "new-button-type",
                 max: 5 or function () {…}, full: "…" or function () {…},
                 template: function (type) { return "row-buttons-" + type; },   // optional
                 refuse: function (type) { return "…" or ""; },                 // optional
                 first: function (type) { return true to insert on top; }}      // optional
     }, onChange);
     rows.add("buttons", "WL", quiet); rows.renumber("buttons"); rows.count("buttons");
*/
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};

  function each(nodes, fn) { Array.prototype.forEach.call(nodes, fn); }
  function value(v) { return typeof v === "function" ? v() : v; }

  MB.kakaoRows = function (form, lists, onChange) {
    var $ = function (id) { return document.getElementById(id); };

    function renumber(key) {
      var pattern = new RegExp("^" + key + "-(\\d+|__i__)");
      each($(lists[key].rows).children, function (row, i) {
        var prefix = key + "-" + i;
        row.id = prefix;
        each(row.querySelectorAll("[name], [id], label[for]"), function (node) {
          ["name", "id", "for"].forEach(function (attr) {
            var old = node.getAttribute(attr);
            if (old && pattern.test(old)) node.setAttribute(attr, old.replace(pattern, prefix));
          });
        });
        var remove = row.querySelector(".mb-at-remove");
        if (remove) remove.value = "remove:" + key + ":" + i;
      });
    }

    function add(key, type, quiet) {
      var list = lists[key], rows = $(list.rows);
      if (rows.children.length >= value(list.max)) { if (!quiet) MB.alert(value(list.full)); return false; }
      var refused = list.refuse ? list.refuse(type) : "";
      if (refused) { if (!quiet) MB.alert(refused); return false; }
      var template = $(list.template ? list.template(type) : "row-" + key + (type ? "-" + type : ""));
      if (!template) return false;
      var row = template.content.firstElementChild.cloneNode(true);
      if (list.first && list.first(type)) rows.insertBefore(row, rows.firstChild);
      else rows.appendChild(row);
      renumber(key);
      var first = row.querySelector("input:not([type=hidden]):not([readonly])");
      if (first && !quiet) first.focus();
      return true;
    }

    form.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("button");
      if (!button) return;
      if (button.classList.contains("mb-at-remove")) {
        var row = button.closest(".mb-at-row");
        if (!row || !lists[row.dataset.list]) return;
        e.preventDefault();
        row.remove();
        renumber(row.dataset.list);
      } else {
        var key = Object.keys(lists).filter(function (k) { return lists[k].add === button.id; })[0];
        if (!key) return;
        e.preventDefault();
        add(key, lists[key].type ? $(lists[key].type).value : undefined);
      }
      if (onChange) onChange();
    });

    return {
      add: add,
      renumber: renumber,
      count: function (key) { return $(lists[key].rows).children.length; }
    };
  };
})();
