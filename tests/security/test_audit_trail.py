"""The audit trail — an order's timeline (OrderEvent) and the stock ledger (StockMove) — is
written once and never changed or removed: not through the models, the admin (even for a
superuser) or the API. Appending goes on as before (the data set of world.py is built
through the services, which append events and moves)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from inventory.models import StockMove
from oms.append_only import AppendOnlyError
from orders.models import OrderEvent, SalesOrder
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _event(world) -> OrderEvent:
    return OrderEvent.objects.filter(order_id=world["fulfil"]).order_by("id").first()


def _move(world) -> StockMove:
    return StockMove.objects.get(pk=world["stock_move"])


def _snapshot(record) -> dict:
    return {field.attname: getattr(type(record).objects.get(pk=record.pk), field.attname)
            for field in record._meta.concrete_fields}


# --- the models -------------------------------------------------------------------------------

@pytest.mark.parametrize("record", [_event, _move], ids=["order event", "stock move"])
def test_a_written_record_cannot_be_saved_again_updated_or_deleted(world, record):
    row = record(world)
    before = _snapshot(row)
    model = type(row)
    row.reason = "rewritten afterwards"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).update(reason="rewritten afterwards")
    with pytest.raises(AppendOnlyError):
        model.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update([row], ["reason"])
    assert _snapshot(row) == before


def test_new_records_are_still_appended(world):
    event = OrderEvent.objects.create(order_id=world["fulfil"], kind="note", reason="appended")
    assert OrderEvent.objects.filter(pk=event.pk, reason="appended").exists()


# --- the admin --------------------------------------------------------------------------------

@pytest.fixture
def superuser(world) -> Client:
    user = make_user(username="audit-superuser")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("path", "record"), [("orders/orderevent", _event), ("inventory/stockmove", _move)],
                         ids=["order event", "stock move"])
def test_the_admin_shows_the_trail_but_no_one_adds_changes_or_deletes_there(world, superuser, path, record):
    row = record(world)
    before = _snapshot(row)
    base = f"/admin/{path}/"
    assert superuser.get(base).status_code == 200
    page = superuser.get(f"{base}{row.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content  # a view, no form
    assert superuser.post(f"{base}{row.pk}/change/", {"reason": "rewritten afterwards"}).status_code == 403
    assert superuser.get(f"{base}add/").status_code == 403
    assert superuser.post(f"{base}add/", {"reason": "forged"}).status_code == 403
    assert superuser.get(f"{base}{row.pk}/delete/").status_code == 403
    assert superuser.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    superuser.post(base, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert _snapshot(row) == before


def test_deleting_an_order_in_the_admin_cannot_take_its_timeline_with_it(world, superuser):
    order_id = world["inquiry"]  # nothing else (shipments, stock) protects it from deletion
    events = OrderEvent.objects.filter(order_id=order_id).count()
    assert superuser.post(f"/admin/orders/salesorder/{order_id}/delete/", {"post": "yes"}).status_code == 403
    superuser.post("/admin/orders/salesorder/", {"action": "delete_selected", "_selected_action": [order_id],
                                                 "post": "yes"})
    assert SalesOrder.objects.filter(pk=order_id).exists()
    assert OrderEvent.objects.filter(order_id=order_id).count() == events


def test_the_order_page_of_the_admin_shows_the_timeline_read_only(world, superuser):
    page = superuser.get(f"/admin/orders/salesorder/{world['fulfil']}/change/").content.decode()
    assert _event(world).kind in page
    assert 'name="events-0-reason"' not in page and 'name="events-0-DELETE"' not in page


# --- the API ----------------------------------------------------------------------------------

def _api(world, role: str) -> APIClient:
    client = APIClient()
    client.force_login(world.users[role])
    return client


def test_the_stock_ledger_api_only_reads(world):
    client = _api(world, "manager")
    move = _move(world)
    before = _snapshot(move)
    assert client.get(f"/api/v1/stock-moves/{move.pk}/").status_code == 200
    assert client.post("/api/v1/stock-moves/", {"kind": "receipt"}, format="json").status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/stock-moves/{move.pk}/", {"reason": "x"}, format="json")
        assert response.status_code == 405, method
    assert _snapshot(move) == before


def test_the_order_api_does_not_take_events(world):
    """The timeline is part of the order's answer, read only: a PATCH that sends events
    changes none, and no endpoint addresses an event by itself."""
    order_id = world["inquiry"]
    before = [_snapshot(e) for e in OrderEvent.objects.filter(order_id=order_id).order_by("id")]
    client = _api(world, "sales")
    response = client.patch(f"/api/v1/orders/{order_id}/", {
        "notes": "changed", "events": [{"kind": "approve", "by": world.users["reviewer"].pk, "reason": "forged"}],
    }, format="json")
    assert response.status_code in (200, 400), response.content
    after = list(OrderEvent.objects.filter(order_id=order_id).order_by("id"))
    assert [_snapshot(e) for e in after[:len(before)]] == before
    assert not any(e.kind == "approve" or e.reason == "forged" for e in after)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(_api(world, "integration"), method)("/api/v1/events/", {}, format="json")
        assert response.status_code == 405, method
