"""주소록 (SMS-12), 수신거부 목록 (SMS-13) and 문자 템플릿 (SMS-08) pages."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.domain.recipient_files import MAX_FILE_BYTES
from app.errors import MegabirdError
from app.security.tenancy import current_account_id
from app.services.contacts import address_book, optouts, sms_templates
from app.services.shared import files, xlsx
from app.views.base import ON_PAGE, PortalView, page_arg


def _upload(name: str = "file"):
    return files.read_upload(request.files.get(name), limit=MAX_FILE_BYTES)


class ContactsView(PortalView):
    route_base = "/contacts"

    def _render(self, error=None, status=200, form=None, report=None):
        account_id = current_account_id()
        group_id = request.args.get("group_id") or None
        rows, total = address_book.search(account_id, group_id=group_id, query=request.args.get("q"), page=page_arg())
        return self.render_template("portal/contacts/index.html", groups=address_book.groups(account_id), rows=rows,
                                    total=total, page=page_arg(), per_page=address_book.PER_PAGE, group_id=group_id,
                                    args=request.args, error=error, form=form or {}, report=report), status

    def _done(self, message: str):
        flash(message, "success")
        return redirect(request.referrer or url_for("ContactsView.index"))

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/groups", methods=["POST"])
    @has_access
    def add_group(self):
        try:
            group = address_book.create_group(account_id=current_account_id(), name=request.form.get("name"),
                                          now=clock.now())
        except MegabirdError as error:
            return self._render(error, error.status)
        flash("그룹을 만들었습니다.", "success")
        return redirect(url_for("ContactsView.index", group_id=group.id))

    @expose("/groups/<int:group_id>/rename", methods=["POST"])
    @has_access
    def rename_group(self, group_id):
        try:
            address_book.rename_group(account_id=current_account_id(), group_id=group_id, name=request.form.get("name"))
        except ON_PAGE as error:      # a missing row still answers 404
            return self._render(error, error.status)
        return self._done("그룹 이름을 바꿨습니다.")

    @expose("/groups/<int:group_id>/delete", methods=["POST"])
    @has_access
    def delete_group(self, group_id):
        address_book.delete_group(account_id=current_account_id(), group_id=group_id)
        flash("그룹과 그 연락처를 삭제했습니다.", "info")
        return redirect(url_for("ContactsView.index"))

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        try:
            address_book.add_contact(account_id=current_account_id(), group_id=request.form.get("group_id"),
                                 form=request.form, now=clock.now())
        except ON_PAGE as error:      # a missing row still answers 404
            return self._render(error, error.status, request.form)
        return self._done("연락처를 추가했습니다.")

    @expose("/<int:contact_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, contact_id):
        account_id = current_account_id()
        contact = address_book.get_contact(account_id, contact_id)
        error, status = None, 200
        if request.method == "POST":
            try:
                address_book.update_contact(account_id=account_id, contact_id=contact_id,
                                        group_id=request.form.get("group_id"), form=request.form)
                flash("연락처를 수정했습니다.", "success")
                return redirect(url_for("ContactsView.index", group_id=request.form.get("group_id")))
            except ON_PAGE as exc:      # a missing row still answers 404
                error, status = exc, exc.status
        return self.render_template("portal/contacts/edit.html", contact=contact,
                                    groups=address_book.groups(account_id), error=error), status

    @expose("/delete", methods=["POST"])
    @has_access
    def delete(self):
        count = address_book.delete_contacts(account_id=current_account_id(),
                                         contact_ids=request.form.getlist("contact_id"))
        return self._done(f"연락처 {count}건을 삭제했습니다.")

    @expose("/import", methods=["POST"])
    @has_access
    def import_file(self):
        filename, data = _upload()
        try:
            report = address_book.import_file(account_id=current_account_id(), group_id=request.form.get("group_id"),
                                          filename=filename, data=data, now=clock.now())
        except ON_PAGE as error:      # a missing row still answers 404
            return self._render(error, error.status)
        return self._render(report=report)

    @expose("/export.xlsx")
    @has_access
    def export(self):
        return xlsx.xlsx_response(filename="megabird-contacts.xlsx", title="주소록", headers=address_book.EXPORT_HEADERS,
                                     rows=address_book.export_rows(current_account_id(), request.args.get("group_id")))


class OptOutView(PortalView):
    route_base = "/optouts"

    def _render(self, error=None, status=200, report=None):
        rows, total = optouts.listing(current_account_id(), query=request.args.get("q"), page=page_arg())
        return self.render_template("portal/optouts.html", rows=rows, total=total, page=page_arg(),
                                    per_page=optouts.PER_PAGE, args=request.args, error=error, report=report), status

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        try:
            report = optouts.add_typed(account_id=current_account_id(), text=request.form.get("numbers", ""),
                                       memo=request.form.get("memo"), now=clock.now())
        except MegabirdError as error:
            return self._render(error, error.status)
        flash(f"{report['added']}건을 수신거부 목록에 추가했습니다." +
              (f" (이미 있는 번호 {report['already']}건)" if report["already"] else ""), "success")
        return redirect(url_for("OptOutView.index"))

    @expose("/import", methods=["POST"])
    @has_access
    def import_file(self):
        filename, data = _upload()
        try:
            report = optouts.add_file(account_id=current_account_id(), filename=filename, data=data, now=clock.now())
        except MegabirdError as error:
            return self._render(error, error.status)
        return self._render(report=report)

    @expose("/<int:optout_id>/delete", methods=["POST"])
    @has_access
    def delete(self, optout_id):
        optouts.remove(account_id=current_account_id(), optout_id=optout_id)
        flash("수신거부 목록에서 삭제했습니다.", "info")
        return redirect(url_for("OptOutView.index"))


class TemplateView(PortalView):
    route_base = "/templates/sms"

    @expose("/")
    @has_access
    def index(self):
        rows, total = sms_templates.listing(current_account_id(), query=request.args.get("q"), page=page_arg())
        return self.render_template("portal/templates/list.html", rows=rows, total=total, page=page_arg(),
                                    per_page=sms_templates.PER_PAGE, args=request.args)

    def _form(self, template=None, error=None, status=200, form=None):
        return self.render_template("portal/templates/form.html", tmpl=template, error=error,
                                    form=form or (sms_templates.as_dict(template) if template else {})), status

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        if request.method == "POST":
            f = request.form
            try:
                sms_templates.create(account_id=current_account_id(), name=f.get("name"), title=f.get("title"),
                                         body=f.get("body"), is_ad=f.get("is_ad") == "1",
                                         ad_company=f.get("ad_company"), ad_optout=f.get("ad_optout"),
                                         now=clock.now())
            except MegabirdError as error:
                return self._form(None, error, error.status, f)
            flash("템플릿을 저장했습니다.", "success")
            return redirect(url_for("TemplateView.index"))
        return self._form()

    @expose("/<int:template_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, template_id):
        account_id = current_account_id()
        template = sms_templates.get(account_id, template_id)
        if request.method == "POST":
            f = request.form
            try:
                sms_templates.update(account_id=account_id, template_id=template_id, name=f.get("name"),
                                         title=f.get("title"), body=f.get("body"), is_ad=f.get("is_ad") == "1",
                                         ad_company=f.get("ad_company"), ad_optout=f.get("ad_optout"),
                                         now=clock.now())
            except MegabirdError as error:
                return self._form(template, error, error.status, f)
            flash("템플릿을 수정했습니다.", "success")
            return redirect(url_for("TemplateView.index"))
        return self._form(template)

    @expose("/<int:template_id>/delete", methods=["POST"])
    @has_access
    def delete(self, template_id):
        sms_templates.delete(account_id=current_account_id(), template_id=template_id)
        flash("템플릿을 삭제했습니다.", "info")
        return redirect(url_for("TemplateView.index"))
