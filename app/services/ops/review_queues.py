"""The operator queues (01-accounts.md): what waits, how many, oldest first.
Each capability adds its queue here; menus and the staff dashboard read it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select

from app.extensions import db
from app.services.kakao import templates as alimtalk_templates
from app.models import (ApiUseApplication, CashRefundRequest, CompanyChangeRequest, CorporateConversion,
                        KakaoChannel, KakaoTargetingApplication, OptoutNumber, SenderNumber, TopupRequest)


@dataclass(frozen=True)
class Queue:
    key: str          # menu item name of the queue's view
    label: str
    endpoint: str     # the queue's list page
    count: Callable[[], int]


def _waiting(model, *conditions):
    def count() -> int:
        return db.session.scalar(select(func.count(model.id)).where(
            model.status == "requested", *conditions)) or 0
    return count


def definitions() -> list[Queue]:
    return [
        Queue("SenderNumberQueue", "발신번호 심사", "SenderNumberQueueView.list", _waiting(SenderNumber)),
        Queue("KakaoChannelQueue", "카카오 채널 심사", "KakaoChannelQueueView.list", _waiting(KakaoChannel)),
        Queue("KakaoTargetingQueue", "타겟팅(M/N) 심사", "KakaoTargetingQueueView.list",
              _waiting(KakaoTargetingApplication)),
        Queue("AlimtalkTemplateQueue", "알림톡 템플릿 검수", "AlimtalkTemplateQueueView.list",
              alimtalk_templates.waiting_count),
        Queue("OptoutNumberQueue", "080 번호 심사", "OptoutNumberQueueView.list", _waiting(OptoutNumber)),
        Queue("TopupQueue", "무통장입금 확인", "TopupQueueView.list",
              _waiting(TopupRequest, TopupRequest.method == "bank_transfer")),
        Queue("CashRefundQueue", "환불 요청", "CashRefundQueueView.list", _waiting(CashRefundRequest)),
        Queue("ConversionQueue", "기업전환 심사", "ConversionQueueView.list", _waiting(CorporateConversion)),
        Queue("CompanyChangeQueue", "기업정보 변경 심사", "CompanyChangeQueueView.list",
              _waiting(CompanyChangeRequest)),
        Queue("ApiUseQueue", "API 사용 신청", "ApiUseQueueView.list", _waiting(ApiUseApplication)),
    ]


def counts() -> dict[str, int]:
    return {q.key: q.count() for q in definitions()}
