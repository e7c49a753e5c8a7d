"""The AlimTalk plan without a database (06-kakao.md KAT-06, KAT-07, KAT-07b): values per
recipient, the rendered limit, repeats per (number, message), the fallback's default text,
its SMS rules and type, and an ad template's fallback wording."""
import datetime as dt

import pytest

from app.domain import alimtalk_plan
from app.domain.alimtalk_plan import AlimtalkRequest, FallbackRequest, TemplateFacts
from app.domain.recipients import Recipient
from app.errors import ValidationError

NOW = dt.datetime(2026, 11, 27, 3, 0)
TEMPLATE = TemplateFacts(1, "MB261127AAAAAA", "주문 안내", "BA", "#{고객명}님, 주문 #{주문번호}이 발송되었습니다.",
                         ("고객명", "주문번호"),
                         ({"type": "WL", "name": "배송 조회", "url_mobile": "https://e.com/o/#{주문번호}"},
                          {"type": "TN", "name": "전화", "phone": "0212345678"}))


def person(phone, row=1, **values):
    return Recipient(phone, None, values or {"고객명": "홍길동", "주문번호": "A-1"}, row)


def plan(recipients, template=TEMPLATE, fallback=None, **changes):
    request = AlimtalkRequest(account_id=1, channel=None, template=template.id, recipients=recipients,
                              fallback=fallback, **changes)
    return alimtalk_plan.plan(request, template, NOW)


def refused(*args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        plan(*args, **kwargs)
    return info.value


def test_kat06_each_recipient_reads_the_template_with_its_values():
    p = plan([person("01023456788"), person("01023456789", 2, 고객명="김철수", 주문번호="B-7")])
    assert [k.text for k in p.recipients] == ["홍길동님, 주문 A-1이 발송되었습니다.", "김철수님, 주문 B-7이 발송되었습니다."]
    assert p.fallback is None and p.uses_variables


@pytest.mark.parametrize("values, code", [({"고객명": "홍길동"}, "variable_missing"),
                                          ({"고객명": "홍길동", "주문번호": ""}, "variable_missing")])
def test_kat06_an_empty_value_or_a_long_rendering_is_refused_naming_the_row(values, code):
    error = refused([person("01023456788"), Recipient("01023456789", None, values, 7)])
    assert error.code == code and "7행" in error.message and error.details == {"rows": [7]}


def test_kat06_a_rendering_over_1300_characters_is_refused_naming_the_row():
    template = TemplateFacts(9, "LONG", "긴 안내", "BA", "가" * 1200 + "#{고객명}", ("고객명",))
    plan([person("01023456789", 고객명="나" * 100)], template=template)
    error = refused([person("01023456789", 고객명="나" * 100), person("01023456788", 4, 고객명="다" * 101)],
                    template=template)
    assert error.code == "content_too_long" and "4행" in error.message


def test_kat07b_a_number_is_kept_once_per_rendered_message():
    p = plan([person("01023456788", 1), person("01023456788", 2, 고객명="홍길동", 주문번호="A-2"),
              person("01023456788", 3)])
    assert [k.recipient.row for k in p.recipients] == [1, 2]
    assert p.duplicates == 1


def test_kat07_the_default_fallback_is_the_message_and_its_web_links():
    p = plan([person("01023456788")], fallback=FallbackRequest("0212345678"))
    assert p.fallback.is_default and p.fallback.msg_type == "SMS"      # 67 bytes
    assert p.recipients[0].fallback_text == "홍길동님, 주문 A-1이 발송되었습니다.\n배송 조회: https://e.com/o/A-1"


def test_kat07_a_short_fallback_is_an_sms_without_title():
    p = plan([person("01023456788")], fallback=FallbackRequest("0212345678", "#{고객명}님 주문 완료", "제목"))
    assert (p.fallback.msg_type, p.fallback.title, p.recipients[0].fallback_title) == ("SMS", None, None)
    assert p.recipients[0].fallback_text == "홍길동님 주문 완료"


@pytest.mark.parametrize("text, message", [("주문 완료 😀", "😀"), ("#{없는변수} 안내", "#{없는변수}"),
                                           ("가" * 1001, "2,000 byte")])
def test_kat07_the_fallback_is_checked_as_an_sms(text, message):
    error = refused([person("01023456788")], fallback=FallbackRequest("0212345678", text))
    assert error.code == "fallback_invalid" and message in error.message and error.field == "대체문자"


def test_kat07_a_default_fallback_with_an_emoji_is_flagged_as_the_default():
    template = TemplateFacts(2, "C", "이모지", "BA", "주문 완료 🎉", (), ())
    error = refused([person("01023456788")], template=template, fallback=FallbackRequest("0212345678"))
    assert error.code == "fallback_invalid" and "기본 대체문자" in error.message
    plan([person("01023456788")], template=template)        # the AlimTalk itself may carry it


def test_kat07_an_ad_templates_fallback_is_an_ad():
    template = TemplateFacts(3, "AD1", "광고", "AD", "#{고객명}님, 이번 주 특가!", ("고객명",), ({"type": "AC", "name": "채널 추가"},))
    p = plan([person("01023456788", 고객명="홍길동")], template=template,
             fallback=FallbackRequest("0212345678", ad_company="메가샵", ad_optout="0801234567"))
    assert p.recipients[0].fallback_text == "(광고)메가샵\n홍길동님, 이번 주 특가!\n무료거부 080-123-4567"
    error = refused([person("01023456788", 고객명="홍길동")], template=template,
                    fallback=FallbackRequest("0212345678"))
    assert error.code == "ad_company_required"


def test_kat06_the_schedule_window():
    assert refused([person("01023456788")], scheduled_at=NOW + dt.timedelta(minutes=5)).code == "schedule_out_of_range"
    assert plan([person("01023456788")], scheduled_at=NOW + dt.timedelta(days=2)).scheduled_at is not None
