"""ACC-07 / SEC-01 for the compose page, history, address book, templates, opt-outs and
exports: another account's ids — in the URL or in the form/JSON body — answer 404 and
change nothing. test_tenancy.CUSTOMER_ROUTES points here for each route."""
import io

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Contact, ContactGroup, ExportJob, MessageTemplate, OptOut, Send
from app.services.contacts import address_book, optouts, sms_templates
from app.services.history import exports
from tests.support.factories import make_customer
from tests.support.tenancy import assert_foreign_404
from tests.support.uploads import jpeg
from tests.support.web import logged_in


def two_customers(app):
    alice = make_customer(app, kind="corporate", cash=100_000)
    bob = make_customer(app, kind="corporate", cash=100_000)
    return alice, logged_in(app, alice.login, alice.password), bob, logged_in(app, bob.login, bob.password)


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def alices_send(app, alice_client, alice, **extra) -> int:
    payload = {"sender": alice.phone, "body": "앨리스의 비밀 공지", "recipients": ["010-2345-6789"],
               "compose_token": "alice-token-1234", **extra}
    response = alice_client.post("/sms/send", json=payload, headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["send_id"])


def test_history_routes_refuse_another_accounts_sends(app):
    alice, alice_client, bob, bob_client = two_customers(app)
    send_id = alices_send(app, alice_client, alice)
    secret = "앨리스의 비밀 공지"
    assert_foreign_404(bob_client, "GET", f"/history/{send_id}", secret=secret)
    assert_foreign_404(bob_client, "GET", f"/history/{send_id}/export.xlsx", secret=secret)
    assert_foreign_404(bob_client, "POST", f"/history/{send_id}/template", secret=secret)
    assert_foreign_404(bob_client, "POST", f"/history/{send_id}/cancel", secret=secret)
    assert_foreign_404(bob_client, "POST", "/history/delete", data={"send_id": str(send_id)})
    assert_foreign_404(bob_client, "POST", "/history/export.xlsx", data={"send_id": str(send_id)})
    assert_foreign_404(bob_client, "GET", f"/sms/?resend={send_id}", secret=secret)
    # a resend of more than the page lists names the send in the body (RES-03)
    for url in ("/sms/quote", "/sms/send"):
        response = bob_client.post(url, json={"sender": bob.phone, "body": "x", "compose_token": "bob-token-12345",
                                              "resend": {"send_id": send_id, "status": ["delivered"]}},
                                   headers={"Accept": "application/json"})
        assert response.status_code == 404 and "010-2345-6789" not in response.get_data(as_text=True)
    assert count(app, Send) == 1 and count(app, MessageTemplate) == 0
    assert secret not in bob_client.get("/history/").get_data(as_text=True)
    # the owner gets them
    assert alice_client.get(f"/history/{send_id}").status_code == 200
    assert alice_client.get(f"/history/{send_id}/export.xlsx").status_code == 200


def test_export_jobs_of_another_account_answer_404(app):
    alice, alice_client, bob, bob_client = two_customers(app)
    send_id = alices_send(app, alice_client, alice)
    with app.app_context():
        job_id = exports.start_messages_export(account_id=alice.account_id, send_id=send_id, states=[],
                                                   categories=[], now=clock.now()).id
    assert_foreign_404(bob_client, "GET", f"/exports/{job_id}")
    assert_foreign_404(bob_client, "GET", f"/exports/{job_id}/download")
    assert alice_client.get(f"/exports/{job_id}").status_code == 200
    assert count(app, ExportJob) == 1


def test_address_book_routes_refuse_another_accounts_groups_and_contacts(app):
    alice, alice_client, bob, bob_client = two_customers(app)
    with app.app_context():
        group_id = address_book.create_group(account_id=alice.account_id, name="VIP 고객", now=clock.now()).id
        contact_id = address_book.add_contact(account_id=alice.account_id, group_id=group_id,
                                          form={"name": "비밀고객", "phone": "010-2345-6789"}, now=clock.now()).id
        bobs = address_book.create_group(account_id=bob.account_id, name="밥 그룹", now=clock.now()).id
    assert_foreign_404(bob_client, "GET", f"/contacts/?group_id={group_id}", secret="비밀고객")
    assert_foreign_404(bob_client, "GET", f"/contacts/export.xlsx?group_id={group_id}")
    assert_foreign_404(bob_client, "POST", f"/contacts/groups/{group_id}/rename", data={"name": "x"})
    assert_foreign_404(bob_client, "POST", f"/contacts/groups/{group_id}/delete")
    assert_foreign_404(bob_client, "GET", f"/contacts/{contact_id}/edit", secret="비밀고객")
    assert_foreign_404(bob_client, "POST", f"/contacts/{contact_id}/edit",
                       data={"group_id": str(bobs), "phone": "010-9999-8888"})
    assert_foreign_404(bob_client, "POST", "/contacts/add", data={"group_id": str(group_id), "phone": "010-3456-7890"})
    assert_foreign_404(bob_client, "POST", "/contacts/import", data={
        "group_id": str(group_id), "file": (io.BytesIO("휴대폰번호\n010-3456-7890\n".encode()), "a.csv")})
    # deleting someone else's contact ids deletes nothing
    bob_client.post("/contacts/delete", data={"contact_id": str(contact_id)})
    assert_foreign_404(bob_client, "GET", f"/sms/address-book?group_id={group_id}", secret="비밀고객")
    with app.app_context():
        assert db.session.get(ContactGroup, group_id).name == "VIP 고객"
        assert db.session.get(Contact, contact_id).phone == "01023456789"
    assert count(app, Contact) == 1


def test_templates_and_optouts_of_another_account_answer_404(app):
    alice, alice_client, bob, bob_client = two_customers(app)
    with app.app_context():
        template_id = sms_templates.create(account_id=alice.account_id, name="앨리스 템플릿", title=None,
                                               body="비밀 문구", now=clock.now()).id
        optouts.add_many(alice.account_id, ["01023456789"], source="manual", now=clock.now())
        db.session.commit()
        optout_id = db.session.scalar(select(OptOut.id))
    assert_foreign_404(bob_client, "GET", f"/sms/templates/{template_id}", secret="비밀 문구")
    assert_foreign_404(bob_client, "GET", f"/templates/sms/{template_id}/edit", secret="비밀 문구")
    assert_foreign_404(bob_client, "POST", f"/templates/sms/{template_id}/edit", data={"name": "x", "body": "y"})
    assert_foreign_404(bob_client, "POST", f"/templates/sms/{template_id}/delete")
    assert_foreign_404(bob_client, "GET", f"/sms/?template_id={template_id}", secret="비밀 문구")
    assert_foreign_404(bob_client, "POST", f"/optouts/{optout_id}/delete")
    assert "010-2345-6789" not in bob_client.get("/optouts/").get_data(as_text=True)
    assert count(app, MessageTemplate) == 1 and count(app, OptOut) == 1


def test_compose_refuses_another_accounts_uploads_images_groups_contacts_and_templates(app):
    alice, alice_client, bob, bob_client = two_customers(app)
    upload = alice_client.post("/sms/recipients/upload", content_type="multipart/form-data", data={
        "file": (io.BytesIO("이름,휴대폰번호\n앨리스고객,010-2345-6789\n".encode()), "r.csv")}).get_json()
    image = alice_client.post("/sms/images", content_type="multipart/form-data",
                              data={"image": (io.BytesIO(jpeg()), "a.jpg")}).get_json()
    with app.app_context():
        group = address_book.create_group(account_id=alice.account_id, name="앨리스 그룹", now=clock.now())
        contact = address_book.add_contact(account_id=alice.account_id, group_id=group.id,
                                       form={"phone": "010-3456-7890"}, now=clock.now())
        group.id, contact.id  # noqa: B018  (loaded while the session is open)
        template_id = sms_templates.create(account_id=alice.account_id, name="t", title=None, body="b",
                                               now=clock.now()).id
        group_id, contact_id = group.id, contact.id
    base = {"sender": bob.phone, "body": "밥의 문자", "recipients": ["010-4567-8901"], "compose_token": "bob-token-12345"}
    for extra in ({"upload_id": upload["upload_id"]}, {"image_ids": [image["image_id"]]}, {"group_ids": [group_id]},
                  {"template_id": template_id}):
        for url in ("/sms/quote", "/sms/send"):
            response = bob_client.post(url, json={**base, **extra}, headers={"Accept": "application/json"})
            assert response.status_code == 404, (url, extra, response.get_json())
    response = bob_client.post("/sms/send", json={**base, "contact_ids": [contact_id]},
                               headers={"Accept": "application/json"})
    assert response.status_code == 422 and "앨리스" not in response.get_data(as_text=True)   # as a gone contact
    assert_foreign_404(bob_client, "GET", f"/files/{image['image_id']}")
    assert count(app, Send) == 0
