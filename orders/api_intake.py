"""Intake and review actions on orders (DESIGN.md §2 stages 3–4, §7): the written
confirmation of a verbal order, CSV uploads, re-running and overriding the automatic
checks, and the approval queue. Creating and revising orders is `orders.api`.

Every write parses its input, calls one service and answers with the fresh order; the
services check roles (403), visibility (404) and state (409).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from oms.api import problems
from oms.filters import ApiFilterBackend
from oms.pagination import QueuePagination
from oms.permissions import ScopePermission

from . import selectors, services
from .api import OrderDetailSerializer, OrderFilter, OrderReviewSerializer, order_response
from .api_preorder.common import ServiceChecksRole, path_id
from .api_preorder.contracts import UPLOAD_PARSERS, UploadField
from .models import SalesOrder
from .services.intake import CSV_COLUMNS, CSV_MAX_ROWS, CSV_REQUIRED

# --- input and output ---------------------------------------------------------------------------

class ConfirmationInputSerializer(serializers.Serializer):
    file = UploadField(help_text=_("The customer's written confirmation: PDF, PNG or JPEG."))


class CheckOverrideInputSerializer(serializers.Serializer):
    # Checked by the service (400 when blank), after the caller's permission (403).
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required: why the failed check may be accepted."))


class CsvImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_(
        "UTF-8 CSV, at most 5 MB and %(max)s rows, with a header naming the columns %(columns)s "
        "(required: %(required)s). One order per customer code and customer reference.")
        % {"max": CSV_MAX_ROWS, "columns": ", ".join(CSV_COLUMNS), "required": ", ".join(CSV_REQUIRED)})


class ImportedOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesOrder
        fields = ["id", "number"]
        read_only_fields = fields


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The line in the file; the header is line 1."))
    field = serializers.CharField(help_text=_("The column, or `order` for a problem of the row's whole order."))
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text=_("Order rows read (blank rows are not counted)."))
    created = ImportedOrderSerializer(many=True, help_text=_("The orders created, each submitted for review."))
    errors = RowErrorSerializer(many=True, help_text=_(
        "Every bad row. An order with any bad row is not created; its good rows are listed too."))


# --- permissions --------------------------------------------------------------------------------

class ReviewsOrders(permissions.BasePermission):
    """Reviewers: those who approve orders or override failed checks."""

    message = _("Only those who approve orders or override checks see the approval queue.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and selectors.may_review_orders(request.user))


# --- intake ------------------------------------------------------------------------------------

class OrderIntakeViewSet(viewsets.GenericViewSet):
    """`/orders/{id}/confirmation/` and `/orders/import/`."""

    api_scope = "orders"
    queryset = SalesOrder.objects.none()
    permission_classes = [ServiceChecksRole]
    parser_classes = UPLOAD_PARSERS

    @extend_schema(operation_id="orders_confirmation",
                   request={"multipart/form-data": ConfirmationInputSerializer},
                   responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=ConfirmationInputSerializer)
    def confirmation(self, request: Request, pk: str) -> Response:
        """Attach the customer's written confirmation of a verbal (phone) order; from then
        on it may leave the warehouse. 409 `not_awaiting_confirmation` for an order that
        is not waiting for one."""
        serializer = ConfirmationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_confirm_in_writing(order_id=path_id(pk), by=request.user,
                                          upload=serializer.validated_data["file"])
        return order_response(self, path_id(pk))

    @extend_schema(
        operation_id="orders_import",
        request={"multipart/form-data": CsvImportInputSerializer},
        responses={200: OpenApiResponse(ImportReportSerializer, description=_(
            "The file was read. Like a 207 Multi-Status, the answer is per order: `created` lists the orders "
            "created, `errors` every bad row — both can be non-empty, so check `errors`.")),
            **problems(400, 403)},
    )
    @action(detail=False, methods=["post"], url_path="import", serializer_class=CsvImportInputSerializer)
    def import_csv(self, request: Request) -> Response:
        """Create orders (channel `csv`) from a CSV file, one per customer code and customer
        reference, each submitted for review. An order with any bad row is not created;
        the others are. 400 for an unusable file (not UTF-8, header lacking a required
        column — code `csv_header` —, no rows, too large)."""
        serializer = CsvImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.orders_import_csv(by=request.user, upload=serializer.validated_data["file"])
        return Response(ImportReportSerializer(report).data, status=status.HTTP_200_OK)


# --- review ------------------------------------------------------------------------------------

class OrderReviewViewSet(viewsets.GenericViewSet):
    """`/orders/{id}/checks/…` and `/orders/review-queue/`."""

    api_scope = "orders"
    queryset = SalesOrder.objects.none()
    serializer_class = OrderDetailSerializer  # what the check actions answer (and OPTIONS describes)
    permission_classes = [ServiceChecksRole]
    filterset_class = OrderFilter  # the queue's filters; it keeps its own priority order

    def get_queryset(self) -> QuerySet[SalesOrder]:
        if self.action == "review_queue":
            return selectors.approval_queue(self.request.user)
        return selectors.orders_visible_to(self.request.user)

    @extend_schema(operation_id="orders_checks_rerun", request=None,
                   responses={202: OrderDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="checks/rerun")
    def rerun_checks(self, request: Request, pk: str) -> Response:
        """Run the automatic checks again (an order in review: `submitted`, `on_hold`).
        They run in the background: the answer has `checks_result` `pending` until the
        new run replaces the old one; overrides of the old run no longer count. 409
        `order_not_in_review` in any other state."""
        services.order_request_checks(order_id=path_id(pk), by=request.user)
        return order_response(self, path_id(pk), status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="orders_checks_override",
        request=CheckOverrideInputSerializer,
        parameters=[OpenApiParameter("check_id", int, OpenApiParameter.PATH,
                                     description=_("A failed check of the order's latest run."))],
        responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path=r"checks/(?P<check_id>[0-9]+)/override",
            serializer_class=CheckOverrideInputSerializer)
    def override_check(self, request: Request, pk: str, check_id: str) -> Response:
        """Accept a failed check anyway, with a written reason; both are recorded. Needs
        `orders.override_checks`, and never by the person who entered the order (403
        `four_eyes_rule`). With no failed check left the order can be approved. 409
        `check_not_failed` for a check that did not fail or is overridden already."""
        serializer = CheckOverrideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_override_check(order_id=path_id(pk), check_id=int(check_id), by=request.user,
                                      reason=serializer.validated_data["reason"])
        return order_response(self, path_id(pk))

    # the 200 keyed with its media type, so drf-spectacular sees a list (page and filter parameters)
    @extend_schema(operation_id="orders_review_queue",
                   responses={(200, "application/json"): OrderReviewSerializer(many=True),
                              **problems(400, 403, 404)})
    @action(detail=False, methods=["get"], url_path="review-queue", permission_classes=[ScopePermission, ReviewsOrders],
            filter_backends=[ApiFilterBackend], serializer_class=OrderReviewSerializer,
            pagination_class=QueuePagination)
    def review_queue(self, request: Request) -> Response:
        """The approval queue: orders in review (`submitted`, `on_hold`), highest priority
        first (customer tier, requested date, oldest), each with its latest checks and its
        differences from the signed contract. For those who approve orders or override
        checks. Pages of 25 by default, as on the queue page. A fixed number of queries,
        whatever the page size."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = OrderReviewSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
