"""마이페이지 > 연동 API > 웹훅 (09-api.md API-06): the account's endpoints (add, edit,
disable, delete, rotate the secret, a test event) and the delivery log with 다시 보내기."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access

from app import clock
from app.errors import MegabirdError
from app.security.tenancy import current_account, current_account_id
from app.services.webhooks import delivery, endpoints, outbox
from app.views.base import PortalView, no_cache, page_arg

PER_PAGE = 20
STATUS_LABELS = delivery.STATUS_LABELS
OUTCOME_LABELS = delivery.OUTCOME_LABELS


def _form_events() -> list[str]:
    return request.form.getlist("events")


class WebhookView(PortalView):
    route_base = "/mypage/api/webhooks"

    def _log_args(self) -> dict:
        status = request.args.get("status") or None
        endpoint = request.args.get("endpoint") or None
        return {"status": status if status in delivery.STATUSES else None,
                "endpoint_id": int(endpoint) if endpoint and endpoint.isdigit() and len(endpoint) < 10 else None}

    def _page(self, *, error=None, status=200, form=None, new_secret=None, endpoint=None, template="list"):
        account = current_account()
        approved = account.api_status == "approved"
        args = self._log_args()
        if endpoint is not None:
            args["endpoint_id"] = endpoint.id
        rows, total = delivery.deliveries(account_id=account.id, page=page_arg(), per_page=PER_PAGE, **args) \
            if approved else ([], 0)
        return self.render_template(
            f"portal/webhooks/{template}.html", account=account, approved=approved,
            endpoints=endpoints.list_endpoints(account.id) if approved else [], endpoint=endpoint,
            event_types=outbox.EVENT_TYPES, deliveries=rows, total=total, page=page_arg(), per_page=PER_PAGE,
            filters=args, status_labels=STATUS_LABELS, statuses=delivery.STATUSES, form=form or {}, error=error,
            new_secret=new_secret, production=endpoints.production()), status

    @expose("/")
    @has_access
    @no_cache
    def index(self):
        return self._page()

    @expose("/add", methods=["POST"])
    @has_access
    @no_cache
    def add(self):
        try:
            endpoint, secret = endpoints.create(account_id=current_account_id(), url=request.form.get("url"),
                                                events=_form_events(), description=request.form.get("description"),
                                                actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self._page(error=error, status=error.status, form=request.form)
        flash("웹훅 엔드포인트를 추가했습니다. 비밀키는 지금 한 번만 보여드립니다.", "success")
        return self._page(endpoint=endpoint, new_secret=secret, template="endpoint")

    @expose("/<int:endpoint_id>")
    @has_access
    @no_cache
    def show(self, endpoint_id):
        return self._page(endpoint=endpoints.get(current_account_id(), endpoint_id), template="endpoint")

    @expose("/<int:endpoint_id>/edit", methods=["POST"])
    @has_access
    def edit(self, endpoint_id):
        account_id = current_account_id()
        try:
            endpoints.update_endpoint(account_id=account_id, endpoint_id=endpoint_id, url=request.form.get("url"),
                                      events=_form_events(), description=request.form.get("description"),
                                      actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self._page(endpoint=endpoints.get(account_id, endpoint_id), error=error, status=error.status,
                              form=request.form, template="endpoint")
        return self._back(endpoint_id, "웹훅 엔드포인트를 저장했습니다.")

    def _refused(self, endpoint_id, error: MegabirdError):
        return self._page(endpoint=endpoints.get(current_account_id(), endpoint_id), error=error,
                          status=error.status, template="endpoint")

    def _back(self, endpoint_id, done: str):
        flash(done, "success")
        return redirect(url_for("WebhookView.show", endpoint_id=endpoint_id))

    @expose("/<int:endpoint_id>/test", methods=["POST"])
    @has_access
    def test(self, endpoint_id):
        try:
            endpoints.send_test(account_id=current_account_id(), endpoint_id=endpoint_id, actor=g.user,
                                now=clock.now())
        except MegabirdError as error:
            return self._refused(endpoint_id, error)
        return self._back(endpoint_id, "테스트 이벤트(webhook.test)를 보냈습니다. 아래 전송 기록에서 결과를 확인하세요.")

    @expose("/<int:endpoint_id>/rotate", methods=["POST"])
    @has_access
    @no_cache
    def rotate(self, endpoint_id):
        try:
            endpoint, secret = endpoints.rotate_secret(account_id=current_account_id(), endpoint_id=endpoint_id,
                                                       actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self._refused(endpoint_id, error)
        flash("새 비밀키를 발급했습니다. 24시간 동안은 이전 비밀키의 서명도 함께 보냅니다.", "success")
        return self._page(endpoint=endpoint, new_secret=secret, template="endpoint")

    @expose("/<int:endpoint_id>/disable", methods=["POST"])
    @has_access
    def disable(self, endpoint_id):
        return self._switch(endpoint_id, False, "웹훅 엔드포인트 사용을 중지했습니다. 기다리던 전송은 취소되었습니다.")

    @expose("/<int:endpoint_id>/enable", methods=["POST"])
    @has_access
    def enable(self, endpoint_id):
        return self._switch(endpoint_id, True,
                            "웹훅 엔드포인트를 다시 사용합니다. 실패하거나 취소된 전송은 다시 보내기로 보낼 수 있습니다.")

    def _switch(self, endpoint_id, enabled: bool, done: str):
        try:
            endpoints.set_enabled(account_id=current_account_id(), endpoint_id=endpoint_id, enabled=enabled,
                                  actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self._refused(endpoint_id, error)
        return self._back(endpoint_id, done)

    @expose("/<int:endpoint_id>/delete", methods=["POST"])
    @has_access
    def delete(self, endpoint_id):
        endpoints.delete(account_id=current_account_id(), endpoint_id=endpoint_id, actor=g.user, now=clock.now())
        flash("웹훅 엔드포인트를 삭제했습니다.", "success")
        return redirect(url_for("WebhookView.index"))

    @expose("/deliveries/<int:delivery_id>")
    @has_access
    def delivery_page(self, delivery_id, error=None, status=200):
        found = delivery.get_delivery(current_account_id(), delivery_id)
        return self.render_template("portal/webhooks/delivery.html", delivery=found,
                                    attempts=delivery.attempts_of(found), status_labels=STATUS_LABELS,
                                    outcome_labels=OUTCOME_LABELS, error=error, staff=False), status

    @expose("/deliveries/<int:delivery_id>/replay", methods=["POST"])
    @has_access
    def replay(self, delivery_id):
        try:
            delivery.replay(account_id=current_account_id(), delivery_id=delivery_id, actor=g.user, now=clock.now())
        except MegabirdError as error:
            return self.delivery_page(delivery_id, error=error, status=error.status)
        flash("다시 보내기를 요청했습니다. 같은 webhook-id로 곧 다시 보냅니다.", "success")
        return redirect(url_for("WebhookView.delivery_page", delivery_id=delivery_id))
