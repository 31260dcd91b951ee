"""Roles (DESIGN.md §6) as groups, and the permissions each one holds.

The groups are created by a data migration (`oms/migrations/0001_roles.py`) that calls
`sync_role_permissions`; a later change to this table ships with a migration that calls
it again. Permission strings are `app_label.codename`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

SALES = "sales"
ORDER_DESK = "order_desk"
REVIEWER = "reviewer"
PLANNER = "planner"
WAREHOUSE = "warehouse"
LOGISTICS = "logistics"
MANAGER = "manager"
INTEGRATION = "integration"

ROLE_LABELS = {
    SALES: _("Sales"),
    ORDER_DESK: _("Order desk"),
    REVIEWER: _("Reviewer"),
    PLANNER: _("Planner"),
    WAREHOUSE: _("Warehouse"),
    LOGISTICS: _("Logistics"),
    MANAGER: _("Manager"),
    INTEGRATION: _("Integration"),
}

_CATALOGUE_READ = [
    "inventory.view_product",
    "inventory.view_warehouse",
    "inventory.view_stocklevel",
]
_CUSTOMER_READ_ALL = ["customers.view_customer", "customers.view_all_customers"]
_CUSTOMER_WRITE = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_contact",
    "customers.change_contact",
    "customers.add_address",
    "customers.change_address",
]
_ORDER_READ_ALL = ["orders.view_salesorder", "orders.view_all_orders"]
_SUPPLY_READ = [
    "inventory.view_purchase_prices",
    "inventory.view_stockmove",
    "inventory.view_supplier",
    "inventory.view_purchaserequisition",
    "inventory.view_purchaseorder",
    "inventory.view_workorder",
    "inventory.view_supplyexception",
    "inventory.view_transfer",
    "inventory.view_cyclecount",
]
_PREORDER_READ = ["orders.view_quotation", "orders.view_contract"]
_SHIPPING_READ = ["logistics.view_shipment", "logistics.view_carrier", "logistics.view_carrierservice"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    SALES: [
        *_CATALOGUE_READ,
        "customers.view_customer",
        *_CUSTOMER_WRITE,
        "orders.view_salesorder",
        "orders.view_prices",
        "orders.add_salesorder",
        "orders.change_salesorder",
        "orders.quote_order",
        "orders.contract_order",
        "orders.submit_order",
        "orders.cancel_order",
        *_PREORDER_READ,
        "orders.add_quotation",
        "orders.change_quotation",
        "orders.send_quotation",
        "orders.add_contract",
        "orders.change_contract",
        "orders.sign_contract",
    ],
    ORDER_DESK: [
        *_SHIPPING_READ,
        *_CATALOGUE_READ,
        *_CUSTOMER_READ_ALL,
        *_ORDER_READ_ALL,
        "orders.view_prices",
        "orders.add_salesorder",
        "orders.change_salesorder",
        "orders.submit_order",
        "orders.run_checks",
        *_PREORDER_READ,
    ],
    REVIEWER: [
        *_SHIPPING_READ,
        "logistics.view_shipping_costs",
        *_CATALOGUE_READ,
        *_CUSTOMER_READ_ALL,
        "customers.view_credit",
        *_ORDER_READ_ALL,
        "orders.view_prices",
        "orders.hold_order",
        "orders.approve_order",
        "orders.run_checks",
        "orders.reject_order",
        "orders.invoice_order",
        "orders.close_order",
        *_PREORDER_READ,
        "orders.signoff_finance",
    ],
    PLANNER: [
        *_SHIPPING_READ,
        *_CATALOGUE_READ,
        *_SUPPLY_READ,
        "inventory.receive_stock",
        "inventory.plan_supply",
        "inventory.transfer_stock",
        "inventory.confirm_count",
        *_ORDER_READ_ALL,
        "orders.fulfil_order",
        "orders.prioritise_order",
        "orders.view_quotation",
        "orders.signoff_operations",
    ],
    WAREHOUSE: [
        *_SHIPPING_READ,
        "logistics.plan_shipment",
        "logistics.pack_shipment",
        "logistics.ship_shipment",
        *_CATALOGUE_READ,
        "inventory.receive_stock",
        "inventory.adjust_stock",
        "inventory.transfer_stock",
        "inventory.count_stock",
        "inventory.view_stockmove",
        "inventory.view_purchaseorder",
        "inventory.view_transfer",
        "inventory.view_cyclecount",
        "orders.view_salesorder",
        "orders.view_fulfilment_orders",
        "orders.pack_order",
        "orders.ship_order",
    ],
    LOGISTICS: [
        *_SHIPPING_READ,
        "logistics.plan_shipment",
        "logistics.ship_shipment",
        "logistics.track_shipment",
        "logistics.view_shipping_costs",
        *_CATALOGUE_READ,
        *_ORDER_READ_ALL,
        "orders.ship_order",
        "orders.deliver_order",
    ],
    MANAGER: [
        *_SHIPPING_READ,
        "logistics.view_shipping_costs",
        *_CATALOGUE_READ,
        *_SUPPLY_READ,
        "inventory.confirm_count",
        "orders.prioritise_order",
        "inventory.add_product",
        "inventory.change_product",
        *_CUSTOMER_READ_ALL,
        "customers.view_credit",
        *_CUSTOMER_WRITE,
        *_ORDER_READ_ALL,
        "orders.view_prices",
        "orders.invoice_order",
        "orders.close_order",
        "orders.cancel_order",
        *_PREORDER_READ,
        "orders.signoff_manager",
        "orders.review_contract",
        "orders.run_checks",
        "orders.override_checks",
    ],
    INTEGRATION: [
        *_SHIPPING_READ,
        "logistics.track_shipment",
        "logistics.view_shipping_costs",
        *_CATALOGUE_READ,
        "inventory.add_product",
        "inventory.change_product",
        *_CUSTOMER_READ_ALL,
        *_CUSTOMER_WRITE,
        *_ORDER_READ_ALL,
        "orders.view_prices",
        "orders.add_salesorder",
        "orders.submit_order",
        "orders.cancel_order",
        *_PREORDER_READ,
    ],
}


def sync_role_permissions(apps: Any) -> None:
    """Create the role groups and give each exactly the permissions in ROLE_PERMISSIONS.

    Runs inside migrations, so it takes the historical `apps` registry. Permissions are
    normally created after migrations; they are created here first so they exist.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # historical app configs have no models module; create_permissions skips those
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def roles_of(user: Any) -> list[str]:
    """The role names of a user, in the order of ROLE_LABELS."""
    if not user.is_authenticated:
        return []
    names = {g.name for g in user.groups.all()}
    return [role for role in ROLE_LABELS if role in names]
