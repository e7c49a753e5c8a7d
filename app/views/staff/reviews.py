"""Operator queues: oldest first, each item's age, documents inline, approve or reject
with a reason, bulk approve as an FAB action that re-checks every row (ACC-05,
ACC-06, ACC-12; the sender and Kakao queues reuse this)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import clock
from app.errors import InvalidState, MegabirdError, NotFound
from app.domain import business
from app.models import ApiUseApplication, CompanyChangeRequest, CorporateConversion
from app.security.roles import OPERATIONS
from app.services.accounts import accounts, company_changes
from app.views.base import StaffModelView
from app.views.staff import cells
from app.web import app_filters


def kst_with_age(value):
    if value is None:
        return ""
    return f"{app_filters('kst')(value)} ({app_filters('age')(value)} 대기)"


class ReviewQueueView(StaffModelView):
    """Subclasses set `datamodel`, the columns and `decide(pk, approve, actor, now, reason)`."""

    class_permission_name = OPERATIONS
    show_template = "staff/review_show.html"
    base_filters = [["status", FilterEqual, "requested"]]
    base_order = ("requested_at", "asc")
    can_add = False
    can_edit = False
    can_delete = False
    formatters_columns = {"requested_at": kst_with_age}
    object_type = "item"

    def decide(self, pk, *, approve: bool, actor, now, reason=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def documents(self, item) -> list[tuple[str, object]]:
        """(label, StoredFile) pairs shown inline on the item's page."""
        return []

    def facts(self, item) -> tuple[str, list[tuple[str, str]]] | None:
        """(title, [(label, text)]) the reviewer needs beside the item's own columns."""
        return None

    def comparison(self, item) -> tuple[str, tuple[str, str], list[tuple[str, str, str]]] | None:
        """(title, (heading of what is in force, heading of what is asked for),
        [(label, in force, asked for)]): shown side by side, each changed row marked."""
        return None

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        return self.show_item_page(pk, documents=self.documents(item) if item else [],
                                   facts=self.facts(item) if item else None,
                                   comparison=self.comparison(item) if item else None,
                                   decide_endpoint=f"{self.endpoint}.decide_item")

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide_item(self, pk):
        approve = request.form.get("decision") == "approve"
        try:
            self.decide(pk, approve=approve, actor=g.user, now=clock.now(),
                        reason=request.form.get("reason"))
        except MegabirdError as error:
            flash(error.message, "danger")
            if isinstance(error, (InvalidState, NotFound)):  # no longer in the queue: its page is gone
                return redirect(url_for(f"{self.endpoint}.list"))
            return redirect(url_for(f"{self.endpoint}.show", pk=pk))
        flash("승인했습니다." if approve else "반려했습니다.", "success")
        return redirect(url_for(f"{self.endpoint}.list"))

    @action("approve_selected", "일괄 승인", "선택한 요청을 모두 승인할까요?", "fa-check", single=False)
    def approve_selected(self, items):
        # FAB loads these rows without base_filters: the service re-checks each one.
        items = items if isinstance(items, list) else [items]
        done, skipped = 0, 0
        for item in items:
            if item is None:  # an id that does not exist (FAB passes None)
                skipped += 1
                continue
            try:
                self.decide(item.id, approve=True, actor=g.user, now=clock.now())
                done += 1
            except MegabirdError:
                skipped += 1
        flash(f"{done}건을 승인했습니다." + (f" 이미 처리되었거나 승인할 수 없는 {skipped}건은 건너뛰었습니다." if skipped else ""),
              "success" if done else "warning")
        return redirect(url_for(f"{self.endpoint}.list"))


class ConversionQueueView(ReviewQueueView):
    route_base = "/staff/queues/conversions"
    datamodel = SQLAInterface(CorporateConversion)
    list_title = show_title = "기업전환 심사"
    list_columns = ["account", "company_name", "brn", "representative", "requested_at"]
    show_columns = ["account", "brn", "company_name", "representative", "business_address",
                    "business_type", "business_item", "tax_contact_name", "tax_contact_email",
                    "tax_contact_phone", "requested_at"]
    label_columns = {"account": "계정", "company_name": "상호", "brn": "사업자등록번호",
                     "representative": "대표자", "business_address": "사업장주소", "business_type": "업태",
                     "business_item": "종목", "tax_contact_name": "담당자 이름",
                     "tax_contact_email": "담당자 이메일", "tax_contact_phone": "담당자 연락처",
                     "requested_at": "요청 일시"}
    search_columns = ["company_name", "brn", "representative"]
    formatters_columns = {**ReviewQueueView.formatters_columns, "brn": cells.brn,
                          "tax_contact_phone": cells.phone}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return accounts.decide_conversion(pk, approve=approve, actor=actor, now=now, reason=reason)

    def documents(self, item):
        return [("사업자등록증", item.certificate_file)]


class CompanyChangeQueueView(ReviewQueueView):
    """기업정보 변경 심사 (ACC-12): the account's data in force beside the data asked for,
    with the new certificate (and the one behind the data in force) inline."""

    route_base = "/staff/queues/company-changes"
    datamodel = SQLAInterface(CompanyChangeRequest)
    list_title = show_title = "기업정보 변경 심사"
    list_columns = ["account", "company_name", "brn", "representative", "requested_at"]
    show_columns = ["account", "requested_at"]
    label_columns = {"account": "계정", "company_name": "상호 (변경 신청)", "brn": "사업자등록번호 (변경 신청)",
                     "representative": "대표자 (변경 신청)", "requested_at": "요청 일시"}
    search_columns = ["company_name", "brn", "representative"]
    formatters_columns = {**ReviewQueueView.formatters_columns, "brn": cells.brn}

    def decide(self, pk, *, approve, actor, now, reason=None):
        return company_changes.decide_change(pk, approve=approve, actor=actor, now=now, reason=reason)

    def documents(self, item):
        shown = [("새 사업자등록증 (변경 신청)", item.certificate_file)]
        current = company_changes.current_certificate(item.account_id)
        if current is not None:
            shown.append(("현재 사업자등록증", current))
        return shown

    def comparison(self, item):
        current = company_changes.registration_of(item.account)

        def shown(name, value):
            return cells.brn(value) if name == "brn" else (value or "")

        return "사업자 등록 정보", ("현재 (승인 전까지 유지)", "변경 신청"), [
            (label, shown(name, current[name]), shown(name, getattr(item, name)))
            for name, label, _max in business.REGISTRATION_FIELDS]


class ApiUseQueueView(ReviewQueueView):
    route_base = "/staff/queues/api-use"
    datamodel = SQLAInterface(ApiUseApplication)
    list_title = show_title = "API 사용 신청"
    list_columns = ["account", "purpose", "server_ips", "requested_at"]
    show_columns = ["account", "purpose", "server_ips", "requested_at"]
    label_columns = {"account": "계정", "purpose": "사용 목적", "server_ips": "서버 IP",
                     "requested_at": "요청 일시"}
    search_columns = ["account", "purpose"]

    def decide(self, pk, *, approve, actor, now, reason=None):
        return accounts.decide_api_use(pk, approve=approve, actor=actor, now=now, reason=reason)
