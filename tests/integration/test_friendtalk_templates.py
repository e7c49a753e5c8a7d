"""친구톡 템플릿, the service (06-kakao.md KFT-01): saved contents checked as a send's, the
image kept, replaced or removed, another account's refused, a refusal changing nothing."""
from __future__ import annotations

import pytest

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import FriendtalkTemplate, StoredFile
from app.services.kakao import friendtalk_templates as service
from tests.support.factories import make_customer
from tests.support.pipeline import NOW
from tests.support.uploads import jpeg, png

WL = {"type": "WL", "name": "쿠폰 받기", "url_mobile": "https://shop.example.com/c"}


@pytest.fixture
def corp(app):
    return make_customer(app, kind="corporate", cash=0)


def test_kft01_a_saved_content_with_image_and_buttons_reads_back_as_a_send_would(app, corp):
    with app.app_context():
        t = service.create_template(account_id=corp.account_id, name=" 겨울  세일 ", text="#[이름]님 세일 안내",
                                    buttons=[WL], image=("a.jpg", jpeg((800, 600))), now=NOW)
        content = service.content_of(service.get_template(corp.account_id, t.id))
        assert (t.name, t.msg_type) == ("겨울 세일", "FRIENDTALK_IMAGE")
        assert content.image.width == 800 and content.buttons[0].name == "쿠폰 받기"
        # the text edited, the image kept; then removed
        service.update_template(account_id=corp.account_id, template_id=t.id, name="겨울 세일", text="세일 안내",
                                buttons=[], now=NOW)
        assert db.session.get(FriendtalkTemplate, t.id).image_file_id is not None
        service.update_template(account_id=corp.account_id, template_id=t.id, name="겨울 세일", text="세일 안내",
                                keep_image=False, now=NOW)
        assert db.session.get(FriendtalkTemplate, t.id).image_file_id is None
        assert db.session.query(StoredFile).filter_by(kind="friendtalk_image").count() == 0


def test_kft01_a_refusal_names_the_rule_and_changes_nothing(app, corp):
    with app.app_context():
        t = service.create_template(account_id=corp.account_id, name="세일", text="안내", now=NOW)
        with pytest.raises(ValidationError) as refused:
            service.update_template(account_id=corp.account_id, template_id=t.id, name="세일", text="가" * 80,
                                    image=("w.png", png((800, 400))), wide=True, now=NOW)
        assert refused.value.code == "too_long"
        with pytest.raises(ValidationError) as refused:
            service.create_template(account_id=corp.account_id, name="세일", text="안내",
                                    image=("s.jpg", jpeg((400, 400))), now=NOW)
        assert refused.value.details["rule"] == "width"
        with pytest.raises(ValidationError) as refused:
            service.create_template(account_id=corp.account_id, name=" ", text="안내", now=NOW)
        assert refused.value.field == "템플릿 이름"
        assert db.session.get(FriendtalkTemplate, t.id).content == "안내"
        assert db.session.query(FriendtalkTemplate).count() == 1


def test_kft01_another_accounts_template_is_not_found(app, corp):
    other = make_customer(app, kind="corporate", cash=0)
    with app.app_context():
        t = service.create_template(account_id=corp.account_id, name="세일", text="안내", now=NOW)
        with pytest.raises(NotFound):
            service.get_template(other.account_id, t.id)
        with pytest.raises(NotFound):
            service.delete_templates(account_id=other.account_id, template_ids=[t.id], now=NOW)
        assert service.delete_templates(account_id=corp.account_id, template_ids=[t.id], now=NOW) == 1
        assert service.list_templates(corp.account_id) == ([], 0)
