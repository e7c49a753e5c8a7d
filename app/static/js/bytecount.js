/* The SMS byte counter (SMS-01), the same rules as app/domain/sms.py: after CRLF/CR
   become LF, an ASCII character is 1 byte and any other character 2 (CP949); a
   character CP949 cannot encode is reported with its 1-based position (code points,
   as Python counts them). Tested against app/domain/data/byte_cases.json. */
(function (global) {
  "use strict";
  var ranges = global.MB_CP949_RANGES || [];

  function normalize(text) {
    return String(text || "").replace(/\r\n/g, "\n").replace(/\r/g, "\n");
  }

  function encodable(cp) {
    if (cp < 0x80) return true;
    var lo = 0, hi = ranges.length / 2 - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1, first = ranges[2 * mid], last = ranges[2 * mid + 1];
      if (cp < first) hi = mid - 1;
      else if (cp > last) lo = mid + 1;
      else return true;
    }
    return false;
  }

  function byteLength(text) {
    var n = 0;
    for (var ch of text) n += ch.codePointAt(0) < 0x80 ? 1 : 2;
    return n;
  }

  /* control characters but tab and line feed cannot be sent either (as on the server) */
  function control(cp) {
    return (cp < 0x20 && cp !== 9 && cp !== 10) || cp === 0x7f;
  }

  function unsupported(text) {
    var found = [], position = 0;
    for (var ch of text) {
      position += 1;
      var cp = ch.codePointAt(0);
      if (cp < 0x80 ? control(cp) : !encodable(cp)) found.push({position: position, char: ch});
    }
    return found;
  }

  /* "0801234567" -> "080-123-4567", as app/domain/numbers.format_number does for 080 numbers */
  function formatOptout(digits) {
    var d = String(digits || "").replace(/\D/g, "");
    if (d.length === 10) return d.slice(0, 3) + "-" + d.slice(3, 6) + "-" + d.slice(6);
    if (d.length === 11) return d.slice(0, 3) + "-" + d.slice(3, 7) + "-" + d.slice(7);
    return d;
  }

  /* SMS-06: (광고)업체명 \n body \n 무료거부 080-XXX-XXXX, and on the shared number the
     account's code (SND-09): 무료거부 080-XXX-XXXX 인증코드 NNNNNN (app/domain/sms.optout_footer) */
  function adWrap(body, company, optout, code) {
    return "(광고)" + company + "\n" + body + "\n무료거부 " + formatOptout(optout) + (code ? " 인증코드 " + code : "");
  }

  /* SMS-05: #[이름], #[1]..#[4] */
  function render(text, values) {
    return String(text || "").replace(/#\[(이름|[1-4])\]/g, function (_, key) {
      return values && values[key] != null ? String(values[key]) : "";
    });
  }

  global.MB = global.MB || {};
  global.MB.bytes = {normalize: normalize, byteLength: byteLength, unsupported: unsupported,
                     adWrap: adWrap, render: render, formatOptout: formatOptout,
                     SMS_LIMIT: 90, LONG_LIMIT: 2000, TITLE_LIMIT: 30};
})(window);
