"""Steps of logistics: carrier options and choice, shipping, tracking events, delivery
exceptions, proof of delivery, and the shipment's documents."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api import problems
from inventory.services.supply import refuse
from oms.errors import NotFound, PermissionDenied

from .. import selectors, services
from ..carriers import Ranking
from ..models import ProofOfDelivery, Shipment, TrackingEvent
from ..services.tracking import MANUAL_STATUSES
from .common import DOCUMENT_PERMISSIONS, sees_costs, shipment_response, visible_shipment_id
from .serializers import (
    ProofOfDeliverySerializer,
    ShipmentDetailSerializer,
    ShipmentDocumentSerializer,
    TrackingEventSerializer,
    cost_field,
)

# --- carrier options -----------------------------------------------------------------------------

class ExclusionReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[("too_heavy", _("Too heavy")),
                                            ("fragile_not_allowed", _("Fragile goods not taken")),
                                            ("region_not_served", _("Destination not served")),
                                            ("too_late", _("Arrives after the required date"))])
    message = serializers.CharField()


class CarrierOptionSerializer(serializers.Serializer):
    service = serializers.IntegerField(source="service_id", help_text=_(
        "The carrier service's id, for `POST …/carrier/`."))
    carrier = serializers.CharField(source="carrier_code")
    carrier_name = serializers.CharField(source="service.carrier.name")
    service_name = serializers.CharField(source="service.name")
    mode = serializers.CharField()
    cost = cost_field()
    transit_days = serializers.IntegerField()
    arrival_date = serializers.DateField()

    def to_representation(self, instance: Any) -> dict:
        data = super().to_representation(instance)
        if not sees_costs(self.context["request"].user):
            data.pop("cost", None)
        return data


class ExcludedOptionSerializer(CarrierOptionSerializer):
    reasons = ExclusionReasonSerializer(many=True)

    def to_representation(self, instance: Any) -> dict:
        data = CarrierOptionSerializer(instance.option, context=self.context).data
        data["reasons"] = ExclusionReasonSerializer(instance.reasons, many=True).data
        return data


class CarrierOptionsSerializer(serializers.Serializer):
    ship_date = serializers.DateField(help_text=_("The date the arrival dates count from."))
    weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3, help_text=_(
        "The packages' gross weight once all are measured, else estimated from the products."))
    volume_m3 = serializers.DecimalField(max_digits=14, decimal_places=4)
    fragile = serializers.BooleanField()
    options = CarrierOptionSerializer(many=True, help_text=_("The services that can take the shipment, cheapest "
                                                             "first, then fastest."))
    recommended = serializers.IntegerField(allow_null=True, help_text=_(
        "The service id of the top option, or null when no service can take the shipment."))
    excluded = ExcludedOptionSerializer(many=True, help_text=_("The services that cannot, with every reason."))


# --- inputs --------------------------------------------------------------------------------------

class CarrierOptionsQuerySerializer(serializers.Serializer):
    ship_date = serializers.DateField(required=False)


class ChooseCarrierInputSerializer(serializers.Serializer):
    carrier_service = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=_(
        "A service id from the carrier options; omitted or null: the recommended one."))


class ShipInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=64,
                                            help_text=_("Required: the carrier's tracking number."))
    ship_date = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text=_("Default: today; never in the future nor before the packing."))


class TrackingEventInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in MANUAL_STATUSES], required=False,
                                     allow_blank=True, default="", help_text=_(
        "Required. A delivery is recorded with its proof (`…/proof-of-delivery/`), a problem as an exception "
        "(`…/exception/`)."))
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            help_text=_("Default: now; not before the shipment left."))
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ExceptionInputSerializer(serializers.Serializer):
    # a plain string: the choice set is documented once, on `Shipment.exception_kind`
    kind = serializers.CharField(required=False, allow_blank=True, default="", max_length=12, help_text=_(
        "Required: damaged, refused or lost (carrier: reported by the carrier)."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("Required: what happened."))


class ResumeInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("Required: how the exception was resolved."))


class ProofOfDeliveryInputSerializer(serializers.Serializer):
    recipient_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120,
                                           help_text=_("Required: who received the goods."))
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                             help_text=_("Default: now; not before the shipment left."))
    signature = serializers.FileField(required=False, allow_null=True, default=None,
                                      help_text=_("The recipient's signature: PNG, JPEG or PDF."))
    photo = serializers.FileField(required=False, allow_null=True, default=None,
                                  help_text=_("A photo of the delivered goods: PNG, JPEG or PDF."))
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


CARRIER_OPTIONS_EXAMPLE = OpenApiExample("Two options, sea freight excluded", response_only=True, value={
    "ship_date": "2026-11-27", "weight_kg": "12.500", "volume_m3": "0.0720", "fragile": False,
    "options": [{"service": 3, "carrier": "TRUCKCO", "carrier_name": "TRUCKCO Logistics",
                 "service_name": "Road freight", "mode": "truck", "cost": "82.20", "transit_days": 2,
                 "arrival_date": "2026-11-29"}],
    "recommended": 3,
    "excluded": [{"service": 5, "carrier": "SEA", "carrier_name": "Sea Lines", "service_name": "LCL",
                  "mode": "sea", "cost": "40.00", "transit_days": 20, "arrival_date": "2026-12-17",
                  "reasons": [{"code": "too_late",
                               "message": "It would arrive on 2026-12-17, after the required date 2026-12-11."}]}],
})


class ShippingActions:
    """Logistics' steps on a shipment: `logistics.ship_shipment` to choose the carrier and
    ship, `logistics.track_shipment` to record tracking, exceptions and delivery."""

    @extend_schema(operation_id="shipments_carrier_options", summary=_("Rank the carrier services"),
                   parameters=[OpenApiParameter("ship_date", datetime.date, description=_(
                       "Count arrivals from this date (default: the ship date, else today)."))],
                   examples=[CARRIER_OPTIONS_EXAMPLE],
                   responses={200: CarrierOptionsSerializer, **problems(400, 403, 404)})
    @action(detail=True, methods=["get"], url_path="carrier-options", filter_backends=[], pagination_class=None)
    def carrier_options(self, request: Request, pk: str) -> Response:
        """Every active carrier service priced for the shipment — from its weight, volume
        and fragility, the delivery region and country, and the order's requested date —
        as an option or excluded with its reasons (`too_heavy`, `fragile_not_allowed`,
        `region_not_served`, `too_late`). Costs only for callers who may see prices."""
        shipment_id = visible_shipment_id(request.user, pk)
        query = CarrierOptionsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ship_date = query.validated_data.get("ship_date")
        shipment = Shipment.objects.select_related("order__delivery_address").get(pk=shipment_id)
        ranking: Ranking = services.shipment_carrier_options(shipment, ship_date=ship_date)
        weight, volume, fragile = services.shipment_measures(shipment)
        data = {"ship_date": ship_date or shipment.ship_date or timezone.localdate(), "weight_kg": weight,
                "volume_m3": volume, "fragile": fragile, "options": ranking.options,
                "recommended": ranking.recommended.service_id if ranking.recommended else None,
                "excluded": ranking.excluded}
        return Response(CarrierOptionsSerializer(data, context=self.get_serializer_context()).data)

    @extend_schema(operation_id="shipments_carrier", summary=_("Choose the carrier service"),
                   request=ChooseCarrierInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def carrier(self, request: Request, pk: str) -> Response:
        """Choose a carrier service for a packed shipment, or accept the recommended one
        (no `carrier_service`): its cost and expected delivery are recorded. A service the
        ranking excludes is refused with 400 `carrier_excluded` (`reasons` lists the
        codes); 400 `no_carrier` when nothing can take the shipment."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ChooseCarrierInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_choose_carrier(shipment_id=shipment_id, by=request.user,
                                         service_id=serializer.validated_data["carrier_service"])
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_ship", summary=_("Ship: the goods leave"), request=ShipInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, pk: str) -> Response:
        """The packed shipment leaves with its `tracking_number`: the verified batches are
        issued from stock, the order becomes partially shipped or shipped, and the customer
        is e-mailed the tracking details. 400 without a chosen carrier; 409
        `awaiting_written_confirmation` for a verbal order not yet confirmed in writing."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ShipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_ship(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        return shipment_response(self, shipment_id)

    @extend_schema(methods=["GET"], operation_id="shipments_tracking_events_list",
                   summary=_("The tracking events"),
                   responses={200: TrackingEventSerializer(many=True), **problems(404)})
    @extend_schema(methods=["POST"], operation_id="shipments_tracking_events_create",
                   summary=_("Record a tracking event by hand"), request=TrackingEventInputSerializer,
                   responses={201: TrackingEventSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"], url_path="tracking-events", filter_backends=[],
            pagination_class=None)
    def tracking_events(self, request: Request, pk: str) -> Response:
        """GET: the shipment's journey, newest first, from the carrier or entered by
        logistics. POST: logistics enters an event (a carrier without a tracking
        interface): picked up or in transit moves a shipped shipment to in transit."""
        shipment_id = visible_shipment_id(request.user, pk)
        if request.method == "GET":
            events = (TrackingEvent.objects.filter(shipment_id=shipment_id).select_related("recorded_by")
                      .order_by("-occurred_at", "-id"))
            return Response(TrackingEventSerializer(events, many=True).data)
        serializer = TrackingEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.tracking_event_add(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        event = TrackingEvent.objects.select_related("recorded_by").get(pk=event.pk)
        return Response(TrackingEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="shipments_exception", summary=_("Report a delivery exception"),
                   request=ExceptionInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def exception(self, request: Request, pk: str) -> Response:
        """A delivery went wrong (damaged, refused, lost): the shipment is flagged and the
        order's owner is told by e-mail."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ExceptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_report_exception(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_resume", summary=_("Clear a delivery exception"),
                   request=ResumeInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """The exception is cleared up and the shipment is in transit again."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ResumeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_resume(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        return shipment_response(self, shipment_id)

    @extend_schema(methods=["GET"], operation_id="shipments_proof_of_delivery_retrieve",
                   summary=_("The proof of delivery"),
                   responses={200: ProofOfDeliverySerializer, **problems(404)})
    @extend_schema(methods=["POST"], operation_id="shipments_proof_of_delivery_create",
                   summary=_("Record the proof of delivery"),
                   request={"multipart/form-data": ProofOfDeliveryInputSerializer,
                            "application/json": ProofOfDeliveryInputSerializer},
                   responses={201: ProofOfDeliverySerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"], url_path="proof-of-delivery", filter_backends=[],
            pagination_class=None, parser_classes=[MultiPartParser, FormParser, JSONParser])
    def proof_of_delivery(self, request: Request, pk: str) -> Response:
        """GET: who took the goods and when, with links to the signature and photo (404
        before delivery). POST (multipart/form-data, or JSON without files): record it —
        the shipment is delivered, and so is the order once all its shipments are and
        nothing is left to ship."""
        shipment_id = visible_shipment_id(request.user, pk)
        if request.method == "POST":
            serializer = ProofOfDeliveryInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.shipment_deliver(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        try:
            proof = (ProofOfDelivery.objects.select_related("signature", "photo", "recorded_by")
                     .get(shipment_id=shipment_id))
        except ObjectDoesNotExist:
            raise NotFound(_("The shipment has no proof of delivery yet.")) from None
        return Response(ProofOfDeliverySerializer(proof, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK)

    @extend_schema(methods=["GET"], operation_id="shipments_documents_list",
                   summary=_("The shipment's documents"),
                   responses={200: ShipmentDocumentSerializer(many=True), **problems(404)})
    @extend_schema(methods=["POST"], operation_id="shipments_documents_create",
                   summary=_("Render the documents again"), request=None,
                   responses={201: ShipmentDocumentSerializer(many=True), **problems(403, 404, 409)})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def documents(self, request: Request, pk: str) -> Response:
        """GET: the files of the shipment the caller may open — delivery note, packing
        list, certificate of conformity, commercial invoice (for those who may see prices),
        delivery signature and photo — each with its download link. POST: render the
        documents again from the shipment as it is now, replacing the earlier versions;
        for those who pack or ship (`logistics.pack_shipment`, `logistics.ship_shipment`),
        once the shipment is packed (409 before, and once cancelled)."""
        shipment_id = visible_shipment_id(request.user, pk)
        code = status.HTTP_200_OK
        if request.method == "POST":
            if not any(request.user.has_perm(perm) for perm in DOCUMENT_PERMISSIONS):
                raise PermissionDenied(_("You are not allowed to render shipment documents."))
            if not services.shipment_documents_render(shipment_id=shipment_id, by=request.user):
                raise refuse(Shipment.objects.get(pk=shipment_id), "render_documents")
            code = status.HTTP_201_CREATED
        documents = selectors.shipment_attachments(request.user, Shipment.objects.get(pk=shipment_id))
        return Response(ShipmentDocumentSerializer(documents, many=True, context=self.get_serializer_context()).data,
                        status=code)

