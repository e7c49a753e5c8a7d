"""Brand Message targeting (06-kakao.md KFT-02). Pure rules.

A Brand Message (the new 친구톡) goes to the channel's friends (`I`) by default. `M` and `N`
reach people who are not friends of the channel but consented to marketing; Kakao opens
them to a channel that an operator marked eligible (business verified, enough friends,
consent evidence on file) and whose advertiser has a registered 080 opt-out number. Here:
the three targets, the friend-count rule of the application, and which targets follow from
the two facts."""
from __future__ import annotations

from app.domain import friendtalk
from app.domain import text as rules
from app.domain.korean import N_
from app.errors import ValidationError

#: I: the channel's friends; M, N: non-friends who consented to marketing (labels: friendtalk.TARGETING)
FRIENDS = friendtalk.DEFAULT_TARGETING
TARGETS = tuple(friendtalk.TARGETING)
FRIENDS_ONLY = (FRIENDS,)
#: Kakao's minimum number of channel friends for M/N
MIN_FRIENDS = 50_000
#: the application's fields, as its form labels them and its refusals name them
FRIEND_COUNT_FIELD = N_("친구 수")
BUSINESS_FIELD = N_("사업자 인증 서류")
CONSENT_FIELD = N_("수신 동의 증빙")


def friend_count(value) -> int:
    """The channel's friend count as typed (commas allowed), at least MIN_FRIENDS, or a
    refusal naming 친구 수."""
    number = rules.positive_int(value, FRIEND_COUNT_FIELD, minimum=0)
    if number < MIN_FRIENDS:
        raise ValidationError("친구 수가 50,000명 이상인 채널만 타겟팅(M/N)을 신청할 수 있습니다 (카카오 기준). "
                              "친구 수를 확인해주세요.", field=FRIEND_COUNT_FIELD, code="too_few_friends")
    return number


def choices(*, eligible: bool, has_optout_number: bool) -> tuple[str, ...]:
    """The targets a Brand Message of the channel may use: M/N only when the channel is
    eligible (its application approved) and the account has a registered 080 number."""
    return TARGETS if eligible and has_optout_number else FRIENDS_ONLY
