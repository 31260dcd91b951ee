"""Representations of shipments and what hangs on them: lines, packages with their
verified items, carrier service, tracking events, proof of delivery and documents.

The shipping cost is left out for callers who may not see prices (common.sees_costs)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.api import WarehouseRefSerializer, username_field
from inventory.models import QTY_DIGITS, QTY_PLACES
from oms.money import DECIMAL_PLACES, MAX_DIGITS
from orders.api import CustomerRefSerializer
from orders.api_preorder.common import AttachmentSerializer
from orders.models import SalesOrder

from .. import selectors
from ..models import (
    Carrier,
    CarrierService,
    DeliveryExceptionKind,
    Package,
    PackedItem,
    ProofOfDelivery,
    Shipment,
    ShipmentLine,
    ShipmentState,
    TrackingEvent,
)
from .common import STEPS_HELP, available_steps, caller, sees_costs

COST_HELP = _("Left out for callers without orders.view_prices.")


def cost_field(**kwargs: Any) -> serializers.DecimalField:
    # optional in the schema: left out for callers who may not see prices
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, required=False,
                                    help_text=COST_HELP, **kwargs)


def quantity_output(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, read_only=True, **kwargs)


# --- references ----------------------------------------------------------------------------------

class ShipmentOrderSerializer(serializers.ModelSerializer):
    """The sales order a shipment belongs to."""

    customer = CustomerRefSerializer(read_only=True)

    class Meta:
        model = SalesOrder
        fields = ["id", "number", "state", "customer", "customer_reference", "requested_date"]
        read_only_fields = fields


class CarrierRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CarrierServiceRefSerializer(serializers.ModelSerializer):
    carrier = CarrierRefSerializer(read_only=True)

    class Meta:
        model = CarrierService
        fields = ["id", "carrier", "name", "mode", "transit_days"]
        read_only_fields = fields


# --- the parts of a shipment ---------------------------------------------------------------------

class ShipmentLineSerializer(serializers.ModelSerializer):
    order_line = serializers.IntegerField(source="order_line_id", read_only=True,
                                          help_text=_("The id of the sales order line."))
    line_no = serializers.IntegerField(source="order_line.line_no", read_only=True)
    product = serializers.IntegerField(source="order_line.product_id", read_only=True)
    sku = serializers.CharField(source="order_line.product.sku", read_only=True)
    product_name = serializers.CharField(source="order_line.product.name", read_only=True)
    quantity = quantity_output()
    verified_quantity = quantity_output(help_text=_("What the packer scanned and the system verified."))
    to_verify = quantity_output()

    class Meta:
        model = ShipmentLine
        fields = ["id", "order_line", "line_no", "product", "sku", "product_name", "quantity", "verified_quantity",
                  "to_verify"]
        read_only_fields = fields


class PackedItemSerializer(serializers.ModelSerializer):
    """A verified quantity of one line, of one batch, in one package."""

    package = serializers.IntegerField(source="package.number", read_only=True, help_text=_("The package number."))
    line_no = serializers.IntegerField(source="line.order_line.line_no", read_only=True)
    sku = serializers.CharField(source="line.order_line.product.sku", read_only=True)
    batch = serializers.CharField(source="batch.code", default=None, allow_null=True, read_only=True)
    expires_on = serializers.DateField(source="batch.expires_on", default=None, allow_null=True, read_only=True)
    quantity = quantity_output()
    verified_by = username_field("verified_by")

    class Meta:
        model = PackedItem
        fields = ["id", "package", "line", "line_no", "sku", "batch", "expires_on", "quantity", "verified_by",
                  "verified_at"]
        read_only_fields = fields


class PackageSerializer(serializers.ModelSerializer):
    volume_m3 = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True, allow_null=True,
                                         help_text=_("From the dimensions, once measured."))
    is_measured = serializers.BooleanField(read_only=True)
    items = PackedItemSerializer(many=True, read_only=True)

    class Meta:
        model = Package
        fields = ["number", "weight_kg", "length_cm", "width_cm", "height_cm", "volume_m3", "is_measured", "items"]
        read_only_fields = fields


class TrackingEventSerializer(serializers.ModelSerializer):
    recorded_by = username_field("recorded_by")

    class Meta:
        model = TrackingEvent
        fields = ["id", "external_id", "occurred_at", "status", "location", "description", "source", "recorded_by",
                  "recorded_at"]
        read_only_fields = fields


#: A file of the shipment (delivery note, packing list, certificate of conformity,
#: commercial invoice, delivery signature and photo): the order attachments' representation,
#: `download_url` serving it to those who may open it.
ShipmentDocumentSerializer = AttachmentSerializer


class ProofOfDeliverySerializer(serializers.ModelSerializer):
    signature = ShipmentDocumentSerializer(read_only=True, allow_null=True)
    photo = ShipmentDocumentSerializer(read_only=True, allow_null=True)
    recorded_by = username_field("recorded_by")

    class Meta:
        model = ProofOfDelivery
        fields = ["recipient_name", "delivered_at", "signature", "photo", "notes", "source", "recorded_by",
                  "recorded_at"]
        read_only_fields = fields


# --- shipments ----------------------------------------------------------------------------------

STATE_HELP = _("One of planned, picking, packed, shipped, in_transit, delivered, exception, cancelled.")
EXCEPTION_KIND_HELP = _("One of damaged, refused, lost, carrier; empty without an exception.")


class ShipmentSerializer(serializers.ModelSerializer):
    """A shipment as listed (the choice sets are documented once, on `Shipment`)."""

    state = serializers.CharField(read_only=True, help_text=STATE_HELP)
    exception_kind = serializers.CharField(read_only=True, help_text=EXCEPTION_KIND_HELP)
    order = ShipmentOrderSerializer(read_only=True)
    warehouse = WarehouseRefSerializer(read_only=True)
    carrier_service = CarrierServiceRefSerializer(read_only=True, allow_null=True)
    shipping_cost = cost_field(allow_null=True)
    tracking_url = serializers.SerializerMethodField()
    available_steps = serializers.SerializerMethodField()

    class Meta:
        model = Shipment
        fields = ["id", "number", "state", "available_steps", "order", "warehouse", "carrier_service",
                  "shipping_cost", "expected_delivery", "tracking_number", "tracking_url", "ship_date", "packed_at",
                  "shipped_at", "delivered_at", "exception_kind", "created_at", "updated_at"]
        read_only_fields = fields
        ref_name = "ShipmentSummary"

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=STEPS_HELP))
    def get_available_steps(self, shipment: Shipment) -> list[str]:
        return available_steps(shipment, caller(self))

    @extend_schema_field(serializers.CharField(help_text=_("Where the carrier shows the tracking number; \"\" "
                                                           "without one.")))
    def get_tracking_url(self, shipment: Shipment) -> str:
        if shipment.carrier_service is None:
            return ""
        return shipment.carrier_service.carrier.tracking_url(shipment.tracking_number)

    def to_representation(self, instance: Shipment) -> dict:
        data = super().to_representation(instance)
        if not sees_costs(caller(self)):
            data.pop("shipping_cost", None)
        return data


class ShipmentDetailSerializer(ShipmentSerializer):
    """A shipment with its lines, packages and verified items, tracking events (newest
    first), proof of delivery and the documents the caller may open."""

    state = serializers.ChoiceField(choices=ShipmentState.choices, read_only=True)
    exception_kind = serializers.ChoiceField(choices=DeliveryExceptionKind.choices, allow_blank=True,
                                             read_only=True, help_text=_("Empty without an exception."))
    delivery_address = serializers.CharField(source="order.delivery_address", default=None, allow_null=True,
                                             read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)
    packages = PackageSerializer(many=True, read_only=True)
    tracking_events = TrackingEventSerializer(many=True, read_only=True)
    proof_of_delivery = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    packed_by = username_field("packed_by")
    shipped_by = username_field("shipped_by")
    created_by = username_field("created_by")

    class Meta(ShipmentSerializer.Meta):
        fields = [*ShipmentSerializer.Meta.fields, "delivery_address", "notes", "exception_note", "lines",
                  "packages", "tracking_events", "proof_of_delivery", "documents", "packed_by", "shipped_by",
                  "created_by", "last_polled_at", "poll_failures", "last_poll_error"]
        read_only_fields = fields
        ref_name = "Shipment"

    @extend_schema_field(ProofOfDeliverySerializer(allow_null=True))
    def get_proof_of_delivery(self, shipment: Shipment) -> dict | None:
        try:
            proof = shipment.proof_of_delivery
        except ObjectDoesNotExist:
            return None
        return ProofOfDeliverySerializer(proof, context=self.context).data

    @extend_schema_field(ShipmentDocumentSerializer(many=True))
    def get_documents(self, shipment: Shipment) -> list[dict]:
        return ShipmentDocumentSerializer(selectors.shipment_attachments(caller(self), shipment), many=True,
                                          context=self.context).data


class ShipmentsCreatedSerializer(serializers.Serializer):
    shipments = ShipmentDetailSerializer(many=True, help_text=_(
        "The shipments planned: one per warehouse holding the goods, in warehouse order."))


class VerifiedItemSerializer(serializers.Serializer):
    item = PackedItemSerializer(help_text=_("What was verified, in which package."))
    line = ShipmentLineSerializer(help_text=_("The shipment line, with its verified quantity now."))
    shipment_state = serializers.CharField(help_text=_("`picking` once the first item is verified."))
