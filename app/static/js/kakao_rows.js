/* Rows of Kakao buttons (KAT-02), quick replies and items as the 알림톡 템플릿 form
   (alimtalk_preview.js) and the 친구톡 발송 page (friendtalk_compose.js) edit them: a row is
   added from its <template> (macros/kakao_buttons.html row_templates, "__i__" renumbered),
   removed by its 삭제, and the inputs of every row keep the service's JSON paths
   (`buttons-1-url_mobile` for buttons[1].url_mobile). The server decides every rule. */
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};

  function each(nodes, fn) { Array.prototype.forEach.call(nodes, fn); }

  /* lists: {key: {rows: the container's id, max: a number or a function, full: the message
     (or a function of the limit) when it is reached, template(type): the <template>'s id}};
     changed(key) after a row is removed. */
  MB.kakaoRows = function (lists, changed) {
    var $ = function (id) { return document.getElementById(id); };
    function limit(key) { var max = lists[key].max; return typeof max === "function" ? max() : max; }
    function rows(key) { return Array.prototype.slice.call($(lists[key].rows).children); }

    function renumber(key) {
      var pattern = new RegExp("^" + key + "-(\\d+|__i__)");
      rows(key).forEach(function (row, i) {
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

    /* a row of `type` at the end (or first); the list's message when it is full */
    function add(key, type, options) {
      options = options || {};
      var list = lists[key], max = limit(key);
      if (rows(key).length >= max) {
        if (!options.quiet) MB.alert(typeof list.full === "function" ? list.full(max) : list.full);
        return null;
      }
      var template = $(list.template(type));
      if (!template) return null;
      var row = template.content.firstElementChild.cloneNode(true), box = $(list.rows);
      if (options.first) box.insertBefore(row, box.firstChild);
      else box.appendChild(row);
      renumber(key);
      var input = row.querySelector("input:not([type=hidden]):not([readonly])");
      if (input && !options.quiet) input.focus();
      return row;
    }

    /* each row's inputs by their data-field: [{type: "WL", name: "…", url_mobile: "…"}, …] */
    function values(key) {
      return rows(key).map(function (row) {
        var out = {};
        each(row.querySelectorAll("[data-field]"), function (input) { out[input.dataset.field] = input.value; });
        return out;
      });
    }

    Object.keys(lists).forEach(function (key) {
      $(lists[key].rows).addEventListener("click", function (e) {
        var button = e.target.closest && e.target.closest(".mb-at-remove");
        if (!button) return;
        e.preventDefault();
        button.closest(".mb-at-row").remove();
        renumber(key);
        changed(key);
      });
    });
    return {add: add, rows: rows, renumber: renumber, values: values, limit: limit};
  };
})();
