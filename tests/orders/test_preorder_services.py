"""Pre-order through the services: needs, quotations with revisions and sign-offs,
sending, the customer's decision, expiry, contracts with legal review and signing."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from oms.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from orders import services
from orders.models import (
    AttachmentKind,
    ContractState,
    OrderState,
    Quotation,
    QuotationPolicy,
    QuotationSignoff,
    QuotationState,
    SignoffDecision,
)
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    approve_quotation,
    make_order,
    make_user,
    order_in_state,
    signed_copy,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _inquiry(users, *, products=None, customer=None, **kwargs):
    customer = customer or CustomerFactory(owner=users["sales"])
    products = products or [ProductFactory(list_price=Decimal("100.00"), standard_cost=Decimal("60.00"))]
    needs = [services.NeedInput(product=p, quantity=Decimal(5)) for p in products]
    return services.inquiry_create(by=users["sales"], customer=customer, needs=needs, **kwargs)


def _kinds(order):
    return [e.kind for e in order.events.order_by("at", "id")]


def test_inquiry_records_needs_free_text_and_a_signed_dated_note(users):
    customer = CustomerFactory(owner=users["sales"])
    product = ProductFactory()
    order = services.inquiry_create(
        by=users["sales"], customer=customer, note="Called Mr Wu; budget meeting on Friday.",
        needs=[services.NeedInput(product=product, quantity=Decimal(3), expectations="ISO 9001 certificate"),
               services.NeedInput(requirement="Stainless cover, IP65", quantity=Decimal(1),
                                  requested_date=TODAY() + datetime.timedelta(days=30))])
    assert order.state == OrderState.INQUIRY
    needs = list(order.needs.order_by("line_no"))
    assert [(n.line_no, n.product, n.requirement) for n in needs] == [
        (1, product, ""), (2, None, "Stainless cover, IP65")]
    assert needs[0].expectations == "ISO 9001 certificate"
    note = order.conversation_notes.get()
    assert (note.body, note.by, note.at.date()) == ("Called Mr Wu; budget meeting on Friday.", users["sales"],
                                                   timezone.now().date())
    assert _kinds(order) == ["created", "note"]


def test_inquiry_reports_every_bad_need_and_writes_nothing(users):
    customer = CustomerFactory(owner=users["sales"])
    with pytest.raises(ValidationFailed) as refused:
        services.inquiry_create(by=users["sales"], customer=customer, needs=[
            services.NeedInput(quantity=Decimal(1)),
            services.NeedInput(product=ProductFactory(), quantity=Decimal(0),
                               requested_date=TODAY() - datetime.timedelta(days=1))])
    assert set(refused.value.errors) == {"needs.0.product", "needs.1.quantity", "needs.1.requested_date"}
    assert not customer.orders.exists()


def test_a_sales_user_cannot_open_an_inquiry_for_another_owners_customer(users):
    with pytest.raises(PermissionDenied):
        _inquiry(users, customer=CustomerFactory(owner=make_user("sales")))


def test_quotation_from_needs_requires_every_need_matched(users):
    order = services.inquiry_create(by=users["sales"], customer=CustomerFactory(owner=users["sales"]),
                                    needs=[services.NeedInput(requirement="Something special", quantity=Decimal(2))])
    with pytest.raises(ValidationFailed) as refused:
        services.quotation_create(order_id=order.pk, by=users["sales"])
    assert refused.value.code == "needs_not_matched"
    assert not Quotation.objects.exists()


def test_quotation_defaults_numbers_and_totals(users):
    make = ProductFactory(supply_type="make", lead_time_days=25, list_price=Decimal("1000.00"))
    stock_item = ProductFactory(list_price=Decimal("10.00"))
    order = _inquiry(users, products=[make, stock_item])
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    assert quotation.number.startswith(f"Q-{TODAY().year}-") and quotation.revision == 1
    assert quotation.state == QuotationState.DRAFT
    assert quotation.lead_time_days == 25  # the longest make / buy lead time
    policy = QuotationPolicy.current()
    assert quotation.valid_until == TODAY() + datetime.timedelta(days=policy.default_validity_days)
    assert quotation.total_amount == Decimal("5050.00")  # 5 × 1000 + 5 × 10 at list price
    services.quotation_update(quotation_id=quotation.pk, by=users["sales"], lines=[
        services.LineInput(product=make, quantity=Decimal(5), unit_price=Decimal("1000"),
                           discount_percent=Decimal("5"))])
    quotation.refresh_from_db()
    assert (quotation.subtotal, quotation.discount_amount, quotation.total_amount) == (
        Decimal("5000.00"), Decimal("250.00"), Decimal("4750.00"))


def test_full_path_from_inquiry_to_contracted_through_the_services(users, django_capture_on_commit_callbacks):
    """The issue's walk: two revisions (the first sent back by finance), approval,
    sending, acceptance, legal review and signing."""
    sales, finance, manager = users["sales"], users["reviewer"], users["manager"]
    product = ProductFactory(sku="GB-100", list_price=Decimal("3200.00"), standard_cost=Decimal("2900.00"))
    order = _inquiry(users, products=[product], note="Needs 5 gearboxes by June.")

    rev1 = services.quotation_create(order_id=order.pk, by=sales, warranty_terms="12 months")
    rev1 = services.quotation_submit_review(quotation_id=rev1.pk, by=sales)
    assert rev1.state == QuotationState.IN_REVIEW
    assert [s.area for s in rev1.signoffs.all()] == ["finance"]  # stock item, no large discount

    rev1 = services.quotation_signoff(quotation_id=rev1.pk, by=finance, area="finance", approve=False,
                                      comment="Margin below 15 %: raise the price or cut the discount.")
    assert rev1.state == QuotationState.DRAFT
    signoff = rev1.signoffs.get()
    assert (signoff.decision, signoff.by, signoff.comment) == (
        SignoffDecision.CHANGES_REQUESTED, finance, "Margin below 15 %: raise the price or cut the discount.")

    rev2 = services.quotation_revise(quotation_id=rev1.pk, by=sales)
    rev1.refresh_from_db()
    assert (rev1.state, rev2.revision, rev2.number, rev2.state) == (
        QuotationState.SUPERSEDED, 2, rev1.number, QuotationState.DRAFT)
    assert rev1.lines.count() == 1  # the old revision stays readable
    services.quotation_update(quotation_id=rev2.pk, by=sales, lines=[
        services.LineInput(product=product, quantity=Decimal(5), unit_price=Decimal("3600.00"))])
    services.quotation_submit_review(quotation_id=rev2.pk, by=sales)
    rev2 = services.quotation_signoff(quotation_id=rev2.pk, by=finance, area="finance", approve=True,
                                      comment="Margin fine now.")
    assert rev2.state == QuotationState.APPROVED

    with django_capture_on_commit_callbacks(execute=True):
        rev2 = services.quotation_send(quotation_id=rev2.pk, by=sales)
    order.refresh_from_db()
    assert order.state == OrderState.QUOTED
    assert (rev2.state, rev2.sent_by, rev2.sent_to) == (QuotationState.SENT, sales, order.contact.email)
    pdf = order.attachments.get(kind=AttachmentKind.QUOTATION_PDF, quotation=rev2)
    assert pdf.file.read(5) == b"%PDF-"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [order.contact.email]
    assert mail.outbox[0].attachments[0][0] == f"{rev2.number}-rev2.pdf"

    rev2 = services.quotation_record_decision(quotation_id=rev2.pk, by=sales, accepted=True, note="PO 4711")
    assert rev2.state == QuotationState.ACCEPTED

    contract = services.contract_create(quotation_id=rev2.pk, by=sales)
    assert contract.state == ContractState.DRAFT
    clauses = {c.key: c.body for c in contract.clauses.all()}
    assert {"goods", "delivery", "payment", "warranty", "liability", "disputes"} <= set(clauses)
    assert "18,000.00" in clauses["goods"] and "12 months" in clauses["warranty"]
    services.contract_submit_review(contract_id=contract.pk, by=sales)
    contract = services.contract_review(contract_id=contract.pk, by=manager, approve=False,
                                        comment="Cap liability at 50 % of the price.")
    assert contract.state == ContractState.DRAFT
    services.contract_update(contract_id=contract.pk, by=sales, clauses={5: "Liability is capped at 50 %."})
    services.contract_submit_review(contract_id=contract.pk, by=sales)
    services.contract_review(contract_id=contract.pk, by=manager, approve=True)
    contract = services.contract_sign(contract_id=contract.pk, by=sales, signed_on=TODAY(), upload=signed_copy())

    order.refresh_from_db()
    assert (contract.state, contract.signed_on) == (ContractState.SIGNED, TODAY())
    assert contract.signed_copy.kind == AttachmentKind.SIGNED_CONTRACT
    assert order.state == OrderState.CONTRACTED
    line = order.lines.get()
    assert (line.product, line.quantity, line.unit_price) == (product, Decimal(5), Decimal("3600.00"))
    assert order.total_amount == Decimal("18000.00")
    assert order.requested_date == contract.delivery_date
    assert _kinds(order) == [
        "created", "note", "quotation_created", "quotation_review", "quotation_changes_requested",
        "quotation_revised", "quotation_review", "quotation_signoff", "quotation_approved", "quotation_sent",
        "quote", "quotation_accepted", "contract_created", "contract_review", "contract_returned",
        "contract_review", "contract_approved", "attachment", "contract"]


def test_operations_and_manager_sign_offs_are_required_by_policy(users):
    buy = ProductFactory(supply_type="buy", lead_time_days=10)
    order = _inquiry(users, products=[buy])
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"], lines=[
        services.LineInput(product=buy, quantity=Decimal(1), discount_percent=Decimal("12"))])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    assert sorted(quotation.signoffs.values_list("area", flat=True)) == ["finance", "manager", "operations"]
    services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"], area="finance", approve=True)
    services.quotation_signoff(quotation_id=quotation.pk, by=users["planner"], area="operations", approve=True)
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.IN_REVIEW  # the manager has not signed yet
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_send(quotation_id=quotation.pk, by=users["sales"])
    assert refused.value.code == "quotation_not_approved"
    with pytest.raises(PermissionDenied):  # finance may not sign for the manager
        services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"], area="manager", approve=True)
    services.quotation_signoff(quotation_id=quotation.pk, by=users["manager"], area="manager", approve=True)
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.APPROVED


def test_policy_changes_which_sign_offs_are_needed(users):
    QuotationPolicy.objects.filter(pk=QuotationPolicy.current().pk).update(finance_required=False,
                                                                           operations_required="never")
    order = _inquiry(users)
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    quotation = services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    assert quotation.state == QuotationState.APPROVED and not quotation.signoffs.exists()


def test_sending_without_every_sign_off_is_refused(users):
    order = _inquiry(users)
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    for _step in range(2):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.quotation_send(quotation_id=quotation.pk, by=users["sales"])
        assert refused.value.code == "quotation_not_approved"
        services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
        quotation.refresh_from_db()
        if quotation.state == QuotationState.IN_REVIEW:
            break
    order.refresh_from_db()
    assert order.state == OrderState.INQUIRY and not mail.outbox


def test_signing_off_twice_or_for_an_area_not_required_is_refused(users):
    order = _inquiry(users)
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_signoff(quotation_id=quotation.pk, by=users["planner"], area="operations", approve=True)
    assert refused.value.code == "signoff_not_required"
    with pytest.raises(ValidationFailed):  # changes need a comment
        services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"], area="finance", approve=False)
    services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"], area="finance", approve=True)
    with pytest.raises(TransitionNotAllowed):
        services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"], area="finance", approve=True)


def test_only_a_draft_is_edited_and_only_the_latest_revision_revised(users):
    order = order_in_state("quoted", users)
    sent = order.quotations.get()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_update(quotation_id=sent.pk, by=users["sales"], notes="changed")
    assert refused.value.code == "quotation_not_draft"
    rev2 = services.quotation_revise(quotation_id=sent.pk, by=users["sales"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_revise(quotation_id=sent.pk, by=users["sales"])
    assert refused.value.code == "quotation_superseded"
    assert rev2.revision == 2


def test_accepting_an_expired_or_superseded_quotation_is_refused(users):
    order = order_in_state("quoted", users)
    sent = order.quotations.get()
    Quotation.objects.filter(pk=sent.pk).update(valid_until=TODAY() - datetime.timedelta(days=1))
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_record_decision(quotation_id=sent.pk, by=users["sales"], accepted=True)
    assert refused.value.code == "quotation_expired"
    assert services.quotations_expire() == 1
    sent.refresh_from_db()
    assert sent.state == QuotationState.EXPIRED
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_record_decision(quotation_id=sent.pk, by=users["sales"], accepted=True)
    assert refused.value.code == "quotation_expired"

    other = order_in_state("quoted", users)
    old = other.quotations.get()
    services.quotation_revise(quotation_id=old.pk, by=users["sales"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_record_decision(quotation_id=old.pk, by=users["sales"], accepted=True)
    assert refused.value.code == "quotation_superseded"


def test_expiry_sweep_and_reminders_run_once(users, django_capture_on_commit_callbacks):
    users["sales"].email = "li.na@oms.example"
    users["sales"].save()
    soon = order_in_state("quoted", users).quotations.get()
    later = order_in_state("quoted", users).quotations.get()
    Quotation.objects.filter(pk=soon.pk).update(valid_until=TODAY() + datetime.timedelta(days=2))
    Quotation.objects.filter(pk=later.pk).update(valid_until=TODAY() + datetime.timedelta(days=20))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.quotations_remind_expiring() == 1
        assert services.quotations_remind_expiring() == 0
    assert [m.to for m in mail.outbox] == [["li.na@oms.example"]]
    assert soon.number in mail.outbox[0].subject
    assert services.quotations_expire(today=TODAY() + datetime.timedelta(days=3)) == 1
    assert services.quotations_expire(today=TODAY() + datetime.timedelta(days=3)) == 0
    assert Quotation.objects.get(pk=soon.pk).state == QuotationState.EXPIRED
    assert Quotation.objects.get(pk=later.pk).state == QuotationState.SENT


def test_quotation_email_goes_once_even_if_the_task_runs_twice(users, django_capture_on_commit_callbacks):
    from orders.tasks import quotation_email

    with django_capture_on_commit_callbacks(execute=True):
        order = order_in_state("quoted", users)
    quotation = order.quotations.get()
    attachment = order.attachments.get(kind=AttachmentKind.QUOTATION_PDF)
    assert len(mail.outbox) == 1
    assert quotation_email(quotation.pk, attachment.pk) is False
    assert len(mail.outbox) == 1


def test_signing_without_legal_review_is_refused(users):
    order = order_in_state("quoted", users)
    quotation = order.quotations.get()
    services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    for step in ("draft", "in_review"):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.contract_sign(contract_id=contract.pk, by=users["sales"], signed_on=TODAY(),
                                   upload=signed_copy())
        assert refused.value.code == "contract_not_reviewed", step
        with pytest.raises(TransitionNotAllowed):
            services.contract_attach_signed_copy(contract_id=contract.pk, by=users["sales"], upload=signed_copy())
        if step == "draft":
            services.contract_submit_review(contract_id=contract.pk, by=users["sales"])
    with pytest.raises(PermissionDenied):  # sales may not review
        services.contract_review(contract_id=contract.pk, by=users["sales"], approve=True)
    order.refresh_from_db()
    assert order.state == OrderState.QUOTED and not order.attachments.filter(kind="signed_contract").exists()


def test_the_drafter_of_a_contract_cannot_review_it(users):
    senior_sales = make_user("sales")
    senior_sales.groups.add(*users["manager"].groups.all())
    order = order_in_state("quoted", {**users, "sales": senior_sales})
    quotation = order.quotations.get()
    services.quotation_record_decision(quotation_id=quotation.pk, by=senior_sales, accepted=True)
    contract = services.contract_create(quotation_id=quotation.pk, by=senior_sales)
    services.contract_submit_review(contract_id=contract.pk, by=senior_sales)
    with pytest.raises(PermissionDenied) as refused:
        services.contract_review(contract_id=contract.pk, by=senior_sales, approve=True)
    assert refused.value.code == "four_eyes_rule"


def test_sign_needs_a_signed_copy_a_past_date_and_a_real_file(users):
    order = order_in_state("quoted", users)
    quotation = order.quotations.get()
    services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)
    contract = services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    services.contract_submit_review(contract_id=contract.pk, by=users["sales"])
    services.contract_review(contract_id=contract.pk, by=users["manager"], approve=True)
    with pytest.raises(ValidationFailed) as refused:
        services.contract_sign(contract_id=contract.pk, by=users["sales"], signed_on=TODAY())
    assert set(refused.value.errors) == {"signed_copy"}
    with pytest.raises(ValidationFailed) as refused:
        services.contract_sign(contract_id=contract.pk, by=users["sales"],
                               signed_on=TODAY() + datetime.timedelta(days=1), upload=signed_copy())
    assert "signed_on" in refused.value.errors
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationFailed) as refused:
        services.contract_attach_signed_copy(contract_id=contract.pk, by=users["sales"], upload=SimpleUploadedFile(
            "contract.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"))
    assert "signed_copy" in refused.value.errors
    order.refresh_from_db()
    assert order.state == OrderState.QUOTED and not order.attachments.filter(kind="signed_contract").exists()


def test_contract_needs_an_accepted_quotation_and_only_one_per_order(users):
    order = order_in_state("quoted", users)
    quotation = order.quotations.get()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    assert refused.value.code == "quotation_not_accepted"
    services.quotation_record_decision(quotation_id=quotation.pk, by=users["sales"], accepted=True)
    services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    with pytest.raises(TransitionNotAllowed) as refused:
        services.contract_create(quotation_id=quotation.pk, by=users["sales"])
    assert refused.value.code == "contract_exists"


def test_a_sales_user_who_does_not_own_the_customer_sees_nothing(users):
    order = order_in_state("quoted", users)
    quotation = order.quotations.get()
    stranger = make_user("sales")
    with pytest.raises(NotFound):
        services.quotation_record_decision(quotation_id=quotation.pk, by=stranger, accepted=True)
    with pytest.raises(NotFound):
        services.quotation_revise(quotation_id=quotation.pk, by=stranger)
    with pytest.raises(NotFound):
        services.quotation_create(order_id=make_order(by=users["sales"]).pk, by=stranger)
    with pytest.raises(NotFound):
        services.order_add_note(order_id=order.pk, by=stranger, body="hello")
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.SENT


def test_roles_that_do_not_quote_cannot_prepare_or_send(users):
    order = _inquiry(users)
    for role in ("order_desk", "reviewer", "planner", "warehouse", "logistics"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.quotation_create(order_id=order.pk, by=users[role])
    quotation = approve_quotation(services.quotation_create(order_id=order.pk, by=users["sales"]), users)
    for role in ("reviewer", "planner", "manager"):
        with pytest.raises(PermissionDenied):
            services.quotation_send(quotation_id=quotation.pk, by=users[role])


@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_offs_approve_exactly_once_and_concurrent_revisions_make_one(users):
    """Finance and operations sign at the same moment: the quotation must end approved
    (neither decision lost); two people revising at once make one new revision."""
    buy = ProductFactory(supply_type="buy", lead_time_days=5)
    order = _inquiry(users, products=[buy])
    quotation = services.quotation_create(order_id=order.pk, by=users["sales"])
    services.quotation_submit_review(quotation_id=quotation.pk, by=users["sales"])
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run(fn):
        def target():
            try:
                barrier.wait(timeout=10)
                fn()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                connection.close()
        return threading.Thread(target=target)

    threads = [run(lambda: services.quotation_signoff(quotation_id=quotation.pk, by=users["reviewer"],
                                                      area="finance", approve=True)),
               run(lambda: services.quotation_signoff(quotation_id=quotation.pk, by=users["planner"],
                                                      area="operations", approve=True))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.APPROVED
    assert set(QuotationSignoff.objects.filter(quotation=quotation).values_list("decision", flat=True)) == {
        "approved"}
    assert _kinds(order).count("quotation_approved") == 1

    threads = [run(lambda: services.quotation_revise(quotation_id=quotation.pk, by=users["sales"]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed)
    assert sorted(order.quotations.values_list("revision", flat=True)) == [1, 2]


def test_a_cancelled_orders_quotation_is_neither_sent_nor_accepted(users):
    order = _inquiry(users)
    quotation = approve_quotation(services.quotation_create(order_id=order.pk, by=users["sales"]), users)
    services.order_transition(order_id=order.pk, name="cancel", by=users["sales"], reason="Customer withdrew")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.quotation_send(quotation_id=quotation.pk, by=users["sales"])
    assert refused.value.code == "order_not_quotable"
    quotation.refresh_from_db()
    assert quotation.state == QuotationState.APPROVED and not order.attachments.exists()

    sent = order_in_state("quoted", users).quotations.get()
    services.order_transition(order_id=sent.order_id, name="cancel", by=users["sales"], reason="Lost the deal")
    with pytest.raises(TransitionNotAllowed):
        services.quotation_record_decision(quotation_id=sent.pk, by=users["sales"], accepted=True)
