"""What the schema promises and the API keeps: documented errors, strict parameters, refused
transitions that say what is possible, JSON bodies, links from a created order."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api import PROBLEM, assert_problem, client_for
from tests.factories import CustomerFactory, order_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_refused_order_transition_names_the_state_and_the_transitions_allowed(users):
    order = order_in_state("submitted", users)
    reviewer = client_for(users["reviewer"])
    body = assert_problem(reviewer.post(f"/api/v1/orders/{order.pk}/transitions/close/", {}, format="json"),
                          409, "transition_not_allowed")
    allowed = reviewer.get(f"/api/v1/orders/{order.pk}/").json()["available_transitions"]
    assert body["state"] == "submitted"
    assert body["allowed_transitions"] == allowed and {"approve", "hold", "reject"} <= set(allowed)
    # a condition unmet says the same, besides its own code
    body = assert_problem(client_for(users["sales"]).post(f"/api/v1/orders/{order_in_state('inquiry', users).pk}"
                                                          "/transitions/quote/", {}, format="json"),
                          409, "step_follows_document")
    assert body["state"] == "inquiry" and "allowed_transitions" in body


@pytest.mark.parametrize("query, parameter", [
    ("/api/v1/orders/?requested_before=", "requested_before"),  # empty: not "no filter"
    ("/api/v1/orders/?state=", "state"),
    ("/api/v1/customers/?is_active=maybe", "is_active"),
    ("/api/v1/customers/?is_active=1", "is_active"),
    ("/api/v1/orders/?customer=1.5", "customer"),  # ids are whole numbers
    ("/api/v1/orders/?created_after=2026-01-01T00:00:00%2B16:10", "created_after"),  # PostgreSQL's offsets end at 15:59
    ("/api/v1/orders/?created_after=yesterday", "created_after"),
    ("/api/v1/orders/?page_size=0", "page_size"),
    ("/api/v1/orders/?page_size=201", "page_size"),
    ("/api/v1/orders/?page_size=ten", "page_size"),
    ("/api/v1/orders/?page_size=", "page_size"),
])
def test_malformed_list_parameters_are_refused_not_ignored(users, query, parameter):
    body = assert_problem(client_for(users["manager"]).get(query), 400, "validation_failed")
    assert set(body["errors"]) == {parameter}


def test_well_formed_list_parameters_still_filter(users):
    active, inactive = CustomerFactory(is_active=True), CustomerFactory(is_active=False)
    manager = client_for(users["manager"])
    codes = {c["code"] for c in manager.get("/api/v1/customers/?is_active=false&page_size=200").json()["results"]}
    assert inactive.code in codes and active.code not in codes
    assert manager.get("/api/v1/orders/?customer=-1&created_after=2026-01-01T00:00:00%2B08:00&customer_code=")\
        .json()["count"] == 0  # an empty text is a text to match
    assert_problem(manager.get("/api/v1/orders/?page=2"), 404, "not_found")  # past the last page


def test_every_operation_documents_the_errors_the_framework_can_give(schema):
    paths = schema["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            assert {"401", "403", "429"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    assert PROBLEM in response["content"], (method, path, code)
    assert paths["/api/v1/customers/"]["get"]["responses"]["429"]["headers"]["Retry-After"]
    assert paths["/api/v1/orders/{id}/transitions/{name}/"]["post"]["responses"]["409"]["content"][PROBLEM][
        "schema"]["$ref"].endswith("/TransitionProblem")


def test_bodies_are_json_unless_the_operation_takes_uploads(schema):
    paths = schema["paths"]
    assert list(paths["/api/v1/customers/"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert set(paths["/api/v1/orders/"]["post"]["requestBody"]["content"]) == {"application/json",
                                                                              "multipart/form-data"}
    assert list(paths["/api/v1/orders/import/"]["post"]["requestBody"]["content"]) == ["multipart/form-data"]


def test_fields_and_parameters_say_what_is_sent_and_taken(schema):
    components = schema["components"]["schemas"]
    assert components["Customer"]["properties"]["owner"]["nullable"]  # a customer may have no owner
    assert components["QuotationDetail"]["properties"]["sent_by"]["nullable"]  # read-only, `default=None`
    sent_to = components["QuotationDetail"]["properties"]["sent_to"]  # "" until the quotation is sent
    assert {"type": "string", "maxLength": 0} in sent_to["oneOf"]
    credit_limit = components["CustomerRequest"]["properties"]["credit_limit"]  # "12.50" or 12.5
    assert [branch["type"] for branch in credit_limit["oneOf"]] == ["string", "number"]
    assert components["Customer"]["properties"]["credit_limit"]["type"] == "string"  # answers: exact strings
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/purchase-orders/"]["get"]["parameters"]}
    assert parameters["supplier"] == {"type": "integer"}
    assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 200}


def test_a_created_order_links_to_its_detail_and_transitions(schema):
    links = schema["paths"]["/api/v1/orders/"]["post"]["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in links.items()} == {
        "GetOrder": "orders_retrieve", "RunOrderTransition": "orders_transitions_create"}
    assert links["GetOrder"]["parameters"] == {"id": "$response.body#/id"}
