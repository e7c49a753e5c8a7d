"""문자 발송 (manual chapter 02, 04-sms.md): the compose page and the JSON endpoints its
script calls. Every rule is the accept service's; the page only counts bytes live."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import flash, Response, jsonify, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import sms
from app.domain.recipient_files import MAX_FILE_BYTES
from app.errors import ValidationError
from app.i18n import localized
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import optout_codes
from app.services.contacts import address_book, sms_templates
from app.services.history import resend
from app.services.senders import sender_numbers
from app.services.sending import compose
from app.services.shared import files
from app.views.base import PortalView, page_arg

SPECIAL_CHARACTERS = list("☆★○●◎◇◆□■△▲▽▼→←↑↓↔〓◁◀▷▶♤♠♡♥♧♣⊙◈▣◐◑▒▤▥▨▧▦▩♨☏☎☜☞¶†‡↕↗↙↖↘♭♩♪♬㉿㈜№㏇™㏂㏘℡"
                          "※『』「」《》〈〉【】〔〕±×÷≠≤≥∞∴♂♀∠⊥⌒∂∇≡≒≪≫√∽∝∵∫∬∈∋⊆⊇⊂⊃∪∩∧∨￢⇒⇔∀∃"
                          "ⓐⓑⓒ①②③④⑤⑥⑦⑧⑨⑩ⅰⅱⅲⅳⅴⅠⅡⅢⅣⅤ￦＄％￥￡￠℃Å℉")


# --- shared with the Kakao compose pages (app/views/portal/alimtalk_compose.py, friendtalk_compose.py) ---------

def next_minute(moment: dt.datetime) -> str:
    """The picker's minimum in KST, rounded up to the minute (the server counts seconds;
    one more minute leaves the person time to press the button)."""
    local = clock.to_kst(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return local.strftime("%Y-%m-%dT%H:%M")


def compose_limits() -> dict:
    """What every compose page's template counts against: the SMS byte limits (the SMS
    page, and the 대체문자 of the Kakao pages) and the 예약시간 picker's 10 minutes to 30
    days ahead (SMS-07), in KST."""
    now = clock.now()
    return {"limits": {"sms": sms.SMS_LIMIT, "long": sms.LONG_LIMIT, "title": sms.TITLE_LIMIT},
            "min_schedule": next_minute(now + sms.SCHEDULE_MIN + dt.timedelta(minutes=1)),
            "max_schedule": clock.to_kst(now + sms.SCHEDULE_MAX).strftime("%Y-%m-%dT%H:%M")}


def reasons_localized(body):
    """The refused recipients' reasons in the page's language (docs/ARCHITECTURE.md,
    "Languages"); numbers, names and counts are data and stay as they are."""
    if isinstance(body, dict):
        for row in body.get("rejected") or ():
            if isinstance(row, dict) and isinstance(row.get("reason"), str):
                row["reason"] = localized(row["reason"])
    return body


def accepted(result, detail_endpoint: str, message) -> tuple:
    """발송하기's answer (201) on every compose page: the accepted send as the API shapes it
    (or the first answer again for a page sent twice), the send's page to go to, and the
    success message `message(body)` flashed there."""
    body = result if isinstance(result, dict) else result.to_api()
    body["redirect"] = url_for(detail_endpoint, send_id=body["send_id"])
    flash(message(body), "success")
    return jsonify(reasons_localized(body)), 201


def json_payload() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("요청 형식이 올바르지 않습니다.", field="요청", code="invalid_json")
    return data


class ComposeView(PortalView):
    route_base = "/sms"

    @expose("/")
    @has_access
    def index(self):
        account = current_account()
        prefill = {}
        template_id = request.args.get("template_id")
        if template_id:
            prefill = sms_templates.as_dict(sms_templates.get(account.id, template_id))
        resent_send = request.args.get("resend")
        if resent_send:
            prefill = resend.prefill(account.id, resent_send, request.args.getlist("status"),
                                     request.args.getlist("category"))
        return self.render_template(
            "portal/compose.html", account=account, senders=sender_numbers.approved_numbers(account.id),
            optouts=optout_codes.choices(account.id),
            templates=sms_templates.all_of(account.id), compose_token=uuid.uuid4().hex,
            specials=SPECIAL_CHARACTERS, prefill=prefill, **compose_limits())

    @expose("/sample.xlsx")
    @has_access
    def sample(self):
        return Response(compose.sample_file(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=megabird-recipients-sample.xlsx"})

    @expose("/recipients/upload", methods=["POST"])
    @has_access
    def upload(self):
        filename, data = files.read_upload(request.files.get("file"), limit=MAX_FILE_BYTES)
        if not filename and not data:
            raise ValidationError("파일을 선택해주세요.", field="파일", code="required")
        stored = compose.store_upload(account_id=current_account_id(), filename=filename, data=data, now=clock.now())
        return jsonify(reasons_localized(stored))

    @expose("/recipients/check", methods=["POST"])
    @has_access
    def check_recipients(self):
        return jsonify(reasons_localized(compose.check_typed(json_payload())))

    @expose("/images", methods=["POST"])
    @has_access
    def image(self):
        # read well past the 300 KB limit, so the refusal can name the file's real size
        filename, data = files.read_upload(request.files.get("image"), limit=10 * 1024 * 1024)
        return jsonify(compose.store_image(account_id=current_account_id(), filename=filename, data=data,
                                           now=clock.now()))

    @expose("/quote", methods=["POST"])
    @has_access
    def quote(self):
        return jsonify(reasons_localized(compose.quote(current_account_id(), json_payload(), clock.now())))

    @expose("/send", methods=["POST"])
    @has_access
    def send(self):
        return accepted(compose.send(current_account_id(), json_payload(), clock.now()), "HistoryView.detail",
                        compose.accepted_message)

    @expose("/templates", methods=["GET", "POST"])
    @has_access
    def templates(self):
        account_id = current_account_id()
        if request.method == "POST":
            data = json_payload()
            template = sms_templates.create(account_id=account_id, name=data.get("name"), title=data.get("title"),
                                                body=data.get("body"), is_ad=data.get("is_ad"),
                                                ad_company=data.get("ad_company"), ad_optout=data.get("ad_optout"),
                                                now=clock.now())
            return jsonify(sms_templates.as_dict(template)), 201
        return jsonify([sms_templates.as_dict(t) for t in sms_templates.all_of(account_id)])

    @expose("/templates/<int:template_id>")
    @has_access
    def template(self, template_id):
        return jsonify(sms_templates.as_dict(sms_templates.get(current_account_id(), template_id)))

    @expose("/address-book")
    @has_access
    def address_book(self):
        account_id = current_account_id()
        rows, total = address_book.search(account_id, group_id=request.args.get("group_id") or None,
                                      query=request.args.get("q"), page=page_arg())
        firsts = address_book.first_members(account_id)
        return jsonify({"groups": [{"id": g.id, "name": g.name, "count": n,
                                    "first": _preview_person(firsts.get(g.id))}
                                   for g, n in address_book.groups(account_id)],
                        "contacts": [{"id": c.id, "name": c.name, "phone": c.phone, "group_id": c.group_id,
                                      "vars": c.variables()} for c in rows],
                        "total": total})


def _preview_person(contact) -> dict | None:
    return {"name": contact.name, "vars": contact.variables()} if contact is not None else None
