"""The one catalogue of message types (app/domain/message_types.py): everything that
names a type or a channel reads it, so a new type is one row there. These check that the
rest of the house agrees with it: the models' CHECKs, the price plan's columns, the
gateways that exist and the statistics groups."""
from __future__ import annotations

import pytest

from app.domain import message_types
from app.domain.results import CATEGORY_LABELS
from app.gateways import SETTINGS
from app.models import Message, PricePlan, Send
from app.services.wallet import pricing


def check_values(model, name: str) -> str:
    return next(str(c.sqltext) for c in model.__table__.constraints if c.name == name)


def test_the_send_table_accepts_exactly_the_catalogues_types_and_channels():
    types = check_values(Send, "ck_send_msg_type")
    channels = check_values(Send, "ck_send_channel")
    assert types == "msg_type IN (" + ", ".join(f"'{c}'" for c in message_types.CODES) + ")"
    assert channels == "channel IN ('sms', 'alimtalk', 'friendtalk')"
    assert message_types.CODES == ("SMS", "LMS", "MMS", "ALIMTALK", "FRIENDTALK_TEXT", "FRIENDTALK_IMAGE")


def test_every_type_has_its_price_column_and_the_price_plan_page_lists_them_all():
    columns = set(PricePlan.__table__.columns.keys())
    assert set(message_types.PRICE_COLUMNS) <= columns
    assert pricing.PRICE_FIELDS == message_types.PRICE_COLUMNS
    assert pricing.PRICE_LABELS == {"sms": "SMS", "lms": "LMS", "mms": "MMS", "alimtalk": "알림톡",
                                    "friendtalk_text": "친구톡 텍스트", "friendtalk_image": "친구톡 포토"}


@pytest.mark.parametrize("kind", message_types.TYPES, ids=lambda t: t.code)
def test_every_type_goes_through_a_configured_gateway_and_shows_known_categories(kind):
    assert kind.gateway in SETTINGS
    assert kind.channel in message_types.CHANNELS
    assert set(kind.categories) <= set(CATEGORY_LABELS)
    assert message_types.get(kind.code) is kind and message_types.label(kind.code) == kind.label


def test_kakao_types_go_to_the_kakao_gateway_and_sms_types_to_the_sms_one():
    assert {t.code for t in message_types.TYPES if t.gateway == "kakao"} == {"ALIMTALK", "FRIENDTALK_TEXT",
                                                                             "FRIENDTALK_IMAGE"}
    assert [t.wire for t in message_types.of_channel("sms")] == ["sms", "lms", "mms"]
    assert message_types.channels_of_group("sms") == ("sms",)
    assert message_types.channels_of_group("kakao") == ("alimtalk", "friendtalk")


def test_an_unknown_code_is_shown_as_itself():
    assert message_types.label("RCS") == "RCS"
    assert Message.__table__.c.msg_type.type.length >= max(len(c) for c in message_types.CODES)
