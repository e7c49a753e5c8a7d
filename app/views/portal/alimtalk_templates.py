"""템플릿 관리 > 알림톡 템플릿 관리 (06-kakao.md KAT-01..04, manual chapter 03): the list,
알림톡 템플릿 등록 with its live preview (static/js/alimtalk_preview.js), the template's
page with 검수 이력, edit, 등록 요청, delete, 문의, 휴면 해제.

Thin: the form is read into the dict the service takes (app/services/kakao/templates.py
decides everything and names the refused field by its JSON path, which is also how the
form's inputs are named: `buttons[1].url_mobile` is the input `buttons-1-url_mobile`).
Rows of buttons, quick replies and items are added and removed by the page's script; without
a script, [추가] and 삭제 are submit buttons and the form comes back with the row added or
removed (nothing saved)."""
from __future__ import annotations

import re

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import alimtalk
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import access
from app.services.kakao import templates
from app.services.senders import kakao_channels
from app.services.shared import files
from app.views.base import ON_PAGE, PortalView, page_arg
from app.views.portal import kakao_forms

PER_PAGE = 10
#: read past the 500 KB limit so that the refusal names the file's real size
IMAGE_READ_LIMIT = 10 * 1024 * 1024

BUTTON_FIELDS = kakao_forms.BUTTON_FIELDS
ROW_FIELDS = {"buttons": BUTTON_FIELDS, "quick_replies": BUTTON_FIELDS, "items": ("title", "description")}
TEXT_FIELDS = ("name", "content", "extra", "emphasis_title", "emphasis_subtitle", "item_header", "category")
_ROW_ACTION = re.compile(r"^(add|remove):(buttons|quick_replies|items)(?::(\d{1,2}))?$")
#: refusals that name a field by its Korean label instead of its JSON path
LABEL_INPUTS = {"발신 채널 ID": "channel"}

SAVED = "템플릿을 저장했습니다."
REQUESTED = "템플릿을 저장하고 등록을 요청했습니다. 카카오 검수 후 사용할 수 있습니다 (영업일 기준 2일 내외)."


def _rows(form, key: str) -> list[dict]:
    """The rows of one list (`buttons-0-name`, `buttons-0-url_mobile`, …) in index order."""
    return kakao_forms.rows(form, key, ROW_FIELDS[key])


def form_state(form) -> dict:
    """The posted form as the service's raw dict (and as the form shows it again). An item
    row left blank is not an item (the form offers two empty rows)."""
    state = {key: form.get(key, "") for key in TEXT_FIELDS}
    state.update(channel=form.get("channel", ""), message_type=form.get("message_type", "BA"),
                 emphasis_type=form.get("emphasis_type", "NONE"), security=form.get("security") == "1",
                 buttons=_rows(form, "buttons"), quick_replies=_rows(form, "quick_replies"),
                 items=[row for row in _rows(form, "items") if any(str(v).strip() for v in row.values())])
    return state


def _edit_rows(state: dict, action: str, form) -> bool:
    """[추가] / 삭제 of a row without the script: change the state, True when it was one."""
    match = _ROW_ACTION.match(action or "")
    if not match:
        return False
    verb, key, index = match.group(1), match.group(2), match.group(3)
    rows = state[key]
    if verb == "remove":
        if index is not None and int(index) < len(rows):
            rows.pop(int(index))
        return True
    if key == "items":
        rows.append({"title": "", "description": ""})
        return True
    kind = form.get("new_button_type" if key == "buttons" else "new_reply_type", "WL")
    row = {"type": kind, "name": alimtalk.CHANNEL_ADD_NAME if kind == "AC" else ""}
    if kind == "AC":
        rows.insert(0, row)          # 채널 추가 is the first button
    else:
        rows.append(row)
    return True


def _blank_items() -> list[dict]:
    """아이템리스트형 starts with the two rows it needs at least."""
    return [{"title": "", "description": ""} for _ in range(alimtalk.MIN_ITEMS)]


def error_input(error) -> str | None:
    """The id of the input a refusal names: `buttons[1].url_mobile` -> `buttons-1-url_mobile`."""
    return kakao_forms.error_input(error, LABEL_INPUTS)


def _image_upload():
    filename, data = files.read_upload(request.files.get("image"), limit=IMAGE_READ_LIMIT)
    return (filename, data) if data or filename else None


def _image_url(template) -> str | None:
    return url_for("FileView.download", file_id=template.image_file_id) if template and template.image_file_id else None


class AlimtalkTemplateView(PortalView):
    route_base = "/alimtalk/templates"

    # --- the list (KAT-04) ---------------------------------------------------------------------------

    @expose("/")
    @has_access
    def index(self):
        account = current_account()
        args, error, status = request.args, None, 200
        try:
            items, total = templates.list_templates(account.id, channel_id=args.get("channel"),
                                                    status=args.get("status"), query=args.get("q"),
                                                    page=page_arg(), per_page=PER_PAGE)
        except ON_PAGE as refused:
            args, error, status = {}, refused, refused.status
            items, total = templates.list_templates(account.id, page=1, per_page=PER_PAGE)
        return self.render_template(
            "portal/alimtalk/list.html", items=items, total=total, page=page_arg() if not error else 1,
            per_page=PER_PAGE, account=account, args=args, error=error, status_labels=templates.STATUS_LABELS,
            channels=templates.channel_choices(account.id), kakao_unavailable=not access.kakao_available(),
            has_approved_channel=bool(kakao_channels.approved_channels(account.id))), status

    # --- 알림톡 템플릿 등록 and edit (KAT-01, KAT-02) ---------------------------------------------------

    def _form(self, state: dict, *, template=None, error=None, status=200, uploaded=False):
        account = current_account()
        return self.render_template(
            "portal/alimtalk/form.html", account=account, state=state, tmpl=template, error=error,
            error_at=error_input(error), uploaded=uploaded, image_url=_image_url(template),
            channels=kakao_channels.approved_channels(account.id) if account.is_corporate else [],
            kakao_unavailable=not access.kakao_available(), rules=alimtalk,
            status_labels=templates.STATUS_LABELS), status

    def _submit(self, save, *, template=None):
        """저장 or 저장 및 등록 요청 (or a row added or removed without the script)."""
        state = form_state(request.form)
        action = request.form.get("op", "save")
        if _edit_rows(state, action, request.form):
            return self._form(state, template=template)
        image = _image_upload()
        try:
            saved = save(raw=dict(state), image=image, request_review=action == "request")
        except ON_PAGE as error:
            return self._form(state, template=template, error=error, status=error.status, uploaded=bool(image))
        flash(REQUESTED if action == "request" else SAVED, "success")
        return redirect(url_for("AlimtalkTemplateView.show", template_id=saved.id))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            channels = kakao_channels.approved_channels(current_account_id())
            return self._form({"message_type": "BA", "emphasis_type": "NONE", "channel": channels[0].id if channels else "",
                               "items": _blank_items(), "buttons": [], "quick_replies": []})
        return self._submit(lambda **kw: templates.create_template(account_id=current_account_id(), actor=g.user,
                                                                   now=clock.now(), **kw))

    @expose("/<int:template_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, template_id):
        account_id = current_account_id()
        template = templates.get_template(account_id, template_id)
        try:
            templates.require_editable(template)
        except ON_PAGE as error:
            return self._show(template, error=error, status=error.status)
        if request.method == "GET":
            state = {**templates.as_form(template), "variables": template.variables}
            state["channel"] = state.pop("channel_id")
            if state["emphasis_type"] != "ITEM_LIST" and not state["items"]:
                state["items"] = _blank_items()
            return self._form(state, template=template)
        return self._submit(lambda **kw: templates.update_template(account_id=account_id, template_id=template_id,
                                                                   actor=g.user, now=clock.now(), **kw),
                            template=template)

    # --- the template's page, its history and its steps (KAT-03) -----------------------------------------

    def _show(self, template, *, error=None, status=200, comment=""):
        return self.render_template(
            "portal/alimtalk/show.html", tmpl=template, t=templates.as_form(template),
            events=templates.history(template), image_url=_image_url(template), error=error,
            error_at=error_input(error), comment=comment, rules=alimtalk, status_labels=templates.STATUS_LABELS,
            system_comments=templates.SYSTEM_COMMENTS, editable=templates.EDITABLE, deletable=templates.DELETABLE, requestable=templates.REQUESTABLE,
            open_history=bool(request.args.get("history")) or request.form.get("comment") is not None), status

    @expose("/<int:template_id>")
    @has_access
    def show(self, template_id):
        return self._show(templates.get_template(current_account_id(), template_id))

    def _step(self, template_id, step, done: str, *, then=None, **values):
        """A POST on the template's page: its refusal shown on the page (a 404 stays a 404)."""
        try:
            step()
        except ON_PAGE as error:
            template = templates.get_template(current_account_id(), template_id)
            return self._show(template, error=error, status=error.status, comment=request.form.get("comment", ""))
        flash(done, "success")
        return redirect(then or url_for("AlimtalkTemplateView.show", template_id=template_id, **values))

    @expose("/<int:template_id>/request", methods=["POST"])
    @has_access
    def request_review(self, template_id):
        return self._step(template_id, lambda: templates.request_review(
            account_id=current_account_id(), template_id=template_id, actor=g.user, now=clock.now()),
            "템플릿 등록을 요청했습니다. 카카오 검수 후 사용할 수 있습니다 (영업일 기준 2일 내외).")

    @expose("/<int:template_id>/delete", methods=["POST"])
    @has_access
    def delete(self, template_id):
        return self._step(template_id, lambda: templates.delete_template(
            account_id=current_account_id(), template_id=template_id, now=clock.now()),
            "템플릿을 삭제했습니다.", then=url_for("AlimtalkTemplateView.index"))

    @expose("/<int:template_id>/comment", methods=["POST"])
    @has_access
    def comment(self, template_id):
        return self._step(template_id, lambda: templates.add_comment(
            account_id=current_account_id(), template_id=template_id, actor=g.user,
            comment=request.form.get("comment"), now=clock.now()),
            "문의를 남겼습니다. 검수 이력에서 답변을 확인할 수 있습니다.", history=1, _anchor="history")

    @expose("/<int:template_id>/reactivate", methods=["POST"])
    @has_access
    def reactivate(self, template_id):
        return self._step(template_id, lambda: templates.reactivate(
            account_id=current_account_id(), template_id=template_id, actor=g.user, now=clock.now()),
            "휴면을 해제했습니다. 이 템플릿으로 다시 발송할 수 있습니다.")
