"""템플릿 관리 > 친구톡 템플릿 (06-kakao.md KFT-01, manual chapter 04): an account's saved
Brand Message contents — the list with its search, paging and 선택삭제, and the form
(등록, 수정) with the 0/1,300 counter (0/76 for 와이드형), 가변문자 and 특수문자, the image,
the buttons and the live phone preview (static/js/friendtalk_template.js).

Thin: the form is read into what app/services/kakao/friendtalk_templates.py takes, and the
service decides every rule; its refusal names the field (a Korean label, or a JSON path for
a button: `buttons[1].url_mobile` is the input `buttons-1-url_mobile`). Without the script,
[추가] and 삭제 of a button are submit buttons and the form comes back with the row added or
removed (nothing saved). The image is served by FileView (/files/<id>) to its owner only."""
from __future__ import annotations

import re

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain import friendtalk, message_types
from app.security.tenancy import current_account, current_account_id
from app.services.accounts import access
from app.services.kakao import friendtalk_templates as templates
from app.services.shared import files
from app.views.base import ON_PAGE, PortalView, page_arg
from app.views.portal import kakao_forms
from app.views.portal.compose import SPECIAL_CHARACTERS

PER_PAGE = 10
#: read past the 5 MB limit so that the refusal names the file's real size
IMAGE_READ_LIMIT = 2 * friendtalk.MAX_IMAGE_BYTES
#: refusals name these fields by their Korean label; the inputs' ids
LABEL_INPUTS = {"템플릿 이름": "name", "내용": "content", "이미지": "image", "템플릿": "templates"}
_ROW_ACTION = re.compile(r"^(add|remove):buttons(?::(\d{1,2}))?$")


def form_state(form) -> dict:
    """The posted form as the service takes it (and as the form shows it again)."""
    return {"name": form.get("name", ""), "content": form.get("content", ""), "wide": form.get("wide") == "1",
            "remove_image": form.get("remove_image") == "1",
            "buttons": kakao_forms.rows(form, "buttons", kakao_forms.BUTTON_FIELDS)}


def _edit_rows(state: dict, action: str, form) -> bool:
    """[추가] / 삭제 of a button without the script: the state changed, True when it was one."""
    match = _ROW_ACTION.match(action or "")
    if not match:
        return False
    if match.group(1) == "remove":
        if match.group(2) is not None and int(match.group(2)) < len(state["buttons"]):
            state["buttons"].pop(int(match.group(2)))
    elif form.get("new_button_type") in friendtalk.BUTTON_TYPES:
        state["buttons"].append({"type": form["new_button_type"], "name": ""})
    return True


def _image_upload():
    filename, data = files.read_upload(request.files.get("image"), limit=IMAGE_READ_LIMIT)
    return (filename, data) if data or filename else None


def _image_url(template) -> str | None:
    return url_for("FileView.download", file_id=template.image_file_id) if template and template.image_file_id else None


class FriendtalkTemplateView(PortalView):
    route_base = "/templates/friendtalk"

    # --- the list ------------------------------------------------------------------------------------

    def _list(self, *, error=None, status=200):
        account = current_account()
        items, total = templates.list_templates(account.id, query=request.args.get("q"), page=page_arg(),
                                                per_page=PER_PAGE)
        return self.render_template(
            "portal/friendtalk/template_list.html", account=account, items=items, total=total, page=page_arg(),
            per_page=PER_PAGE, args=request.args, error=error, type_labels=message_types.LABELS,
            kakao_unavailable=not access.kakao_available()), status

    @expose("/")
    @has_access
    def index(self):
        return self._list()

    @expose("/delete", methods=["POST"])
    @has_access
    def delete(self):
        """삭제 and 선택삭제: the ids in the form, each the account's (another's is a 404)."""
        try:
            deleted = templates.delete_templates(account_id=current_account_id(),
                                                 template_ids=request.form.getlist("template_id"), now=clock.now())
        except ON_PAGE as error:
            return self._list(error=error, status=error.status)
        flash(f"친구톡 템플릿 {deleted}개를 삭제했습니다.", "success")
        return redirect(url_for("FriendtalkTemplateView.index"))

    # --- 등록 and 수정 ---------------------------------------------------------------------------------

    def _form(self, state: dict, *, template=None, error=None, status=200, uploaded=False):
        account = current_account()
        image_url = None if state.get("remove_image") else _image_url(template)
        return self.render_template(
            "portal/friendtalk/template_form.html", account=account, state=state, tmpl=template, error=error,
            error_at=kakao_forms.error_input(error, LABEL_INPUTS), uploaded=uploaded, image_url=image_url,
            stored_image_url=_image_url(template), rules=friendtalk, specials=SPECIAL_CHARACTERS,
            max_name=templates.MAX_NAME, kakao_unavailable=not access.kakao_available()), status

    def _submit(self, save, *, template=None, done: str):
        state = form_state(request.form)
        if _edit_rows(state, request.form.get("op", "save"), request.form):
            return self._form(state, template=template)
        image = _image_upload()
        try:
            save(name=state["name"], text=state["content"], buttons=state["buttons"], image=image,
                 wide=state["wide"], keep_image=not state["remove_image"])
        except ON_PAGE as error:
            return self._form(state, template=template, error=error, status=error.status, uploaded=bool(image))
        flash(done, "success")
        return redirect(url_for("FriendtalkTemplateView.index"))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "GET":
            return self._form({"name": "", "content": "", "wide": False, "buttons": []})
        return self._submit(lambda keep_image, **kw: templates.create_template(
            account_id=current_account_id(), now=clock.now(), **kw), done="템플릿을 저장했습니다.")

    @expose("/<int:template_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, template_id):
        account_id = current_account_id()
        template = templates.get_template(account_id, template_id)
        if request.method == "GET":
            return self._form(templates.as_form(template), template=template)
        return self._submit(lambda **kw: templates.update_template(
            account_id=account_id, template_id=template_id, now=clock.now(), **kw), template=template,
            done="템플릿을 수정했습니다.")
