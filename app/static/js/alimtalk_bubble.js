/* The AlimTalk bubble as KakaoTalk draws it (KAT-05, KAT-06), element for element as
   macros/alimtalk.html draws it: used by the template form's live preview
   (alimtalk_preview.js) and the 알림톡 발송 page (alimtalk_compose.js). `s` is a template as
   templates.as_form gives it (content already filled with a recipient's values on the
   compose page). Text goes in with textContent only.
   MB.brandBubble draws a Brand Message (친구톡, KFT-01) with the same function, as
   macros/alimtalk.html brand_bubble does: no "알림톡 도착" head, the image on top, "(광고)"
   first (Kakao adds it). */
(function () {
  "use strict";
  var MB = window.MB = window.MB || {};
  var _ = MB.t || function (text) { return text; };
  function isAd(type) { return type === "AD" || type === "MI"; }
  function hasExtra(type) { return type === "EX" || type === "MI"; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function bubble(s, imageUrl) {
    var root = el("div", "mb-kakao");
    root.dataset.messageType = s.message_type;
    root.dataset.emphasisType = s.emphasis_type;
    if (s.brand) root.dataset.brand = s.wide ? "wide" : "brand";
    root.appendChild(el("div", "mb-kakao-channel", s.channel || ""));
    var card = root.appendChild(el("div", "mb-kakao-card"));
    if (!s.brand) card.appendChild(el("div", "mb-kakao-head", _("알림톡 도착")));
    if (s.emphasis_type === "IMAGE") {
      if (imageUrl) {
        var img = el("img", "mb-kakao-image");
        img.src = imageUrl;
        img.alt = s.brand ? _("이미지") : _("강조 이미지");
        card.appendChild(img);
      } else {
        card.appendChild(el("div", "mb-kakao-image mb-kakao-image-empty", s.brand ? _("와이드 이미지") : _("이미지 800×400")));
      }
    }
    var body = card.appendChild(el("div", "mb-kakao-body"));
    if (s.brand) body.appendChild(el("div", "mb-kakao-ad-mark", _("(광고)")));
    if (s.emphasis_type === "TEXT") {
      body.appendChild(el("div", "mb-kakao-subtitle", s.emphasis_subtitle));
      body.appendChild(el("div", "mb-kakao-title", s.emphasis_title));
    }
    if (s.emphasis_type === "ITEM_LIST") {
      if (s.item_header) body.appendChild(el("div", "mb-kakao-item-header", s.item_header));
      var list = body.appendChild(el("dl", "mb-kakao-items"));
      s.items.forEach(function (item) {
        var row = list.appendChild(el("div", "mb-kakao-item"));
        row.appendChild(el("dt", null, item.title));
        row.appendChild(el("dd", null, item.description));
      });
    }
    body.appendChild(el("div", "mb-kakao-content", s.content));
    if (hasExtra(s.message_type) && s.extra) body.appendChild(el("div", "mb-kakao-extra", s.extra));
    if (isAd(s.message_type)) {
      body.appendChild(el("div", "mb-kakao-ad", _("채널 추가하고 이 채널의 광고와 마케팅 메시지 등을 카카오톡으로 받기")));
    }
    if (s.buttons.length) {
      var buttons = body.appendChild(el("div", "mb-kakao-buttons"));
      s.buttons.forEach(function (b) { buttons.appendChild(el("div", "mb-kakao-button", b.name)).dataset.type = b.type; });
    }
    if (s.quick_replies.length) {
      var replies = root.appendChild(el("div", "mb-kakao-replies"));
      s.quick_replies.forEach(function (b) { replies.appendChild(el("span", "mb-kakao-reply", b.name)).dataset.type = b.type; });
    }
    return root;
  }

  MB.el = el;
  MB.alimtalkBubble = function (s, imageUrl) {
    return bubble({message_type: s.message_type, emphasis_type: s.emphasis_type, channel: s.channel || "",
                   content: s.content || "", extra: s.extra || "", emphasis_title: s.emphasis_title || "",
                   emphasis_subtitle: s.emphasis_subtitle || "", item_header: s.item_header || "",
                   items: s.items || [], buttons: s.buttons || [], quick_replies: s.quick_replies || []},
                  imageUrl || null);
  };
  // s: {content, buttons, wide, channel}; imageUrl: the 친구톡 포토's image (none: 친구톡 텍스트)
  MB.brandBubble = function (s, imageUrl) {
    return bubble({brand: true, wide: !!s.wide, channel: s.channel || "", content: s.content || "",
                   message_type: imageUrl ? "FRIENDTALK_IMAGE" : "FRIENDTALK_TEXT",
                   emphasis_type: imageUrl || s.wide ? "IMAGE" : "NONE",
                   buttons: s.buttons || [], quick_replies: []}, imageUrl || null);
  };
})();
