"""The orders part of the bench loader (bench/generate.py): how many orders end in each
state, and each order's whole story as rows — the order, its lines, its timeline, its
automatic checks, its shipments (with what was packed and delivered), the stock moves
that reserved and issued its goods, and the work orders or requisitions raised for its
backorders. `OrderBook` is mixed into `generate.Loader`, which holds the catalogue, the
customers, the COPY tables and the stock bookkeeping it uses."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from bench.bulk import Copier, Table

#: (state, days an order typically spends in it). At `per_day` orders a day a state
#: holds per_day × days orders; what is left of the history is closed (or cancelled).
PIPELINE: list[tuple[str, float]] = [
    ("inquiry", 4.0), ("quoted", 4.0), ("contracted", 1.5), ("submitted", 0.5), ("on_hold", 0.7),
    ("rejected", 0.5), ("approved", 0.7), ("in_fulfilment", 3.0), ("ready_to_ship", 0.7),
    ("partially_shipped", 2.0), ("shipped", 3.0), ("delivered", 7.0), ("invoiced", 35.0),
]
CANCELLED_SHARE = 0.04
#: The open pipeline never takes more than this share of the orders (small smoke loads).
MAX_OPEN_SHARE = 0.7
#: How old (days) an order in each state is: from, to.
AGES: dict[str, tuple[float, float]] = {
    "inquiry": (0, 6), "quoted": (3, 12), "contracted": (8, 16), "submitted": (0, 1.5), "on_hold": (0, 4),
    "rejected": (1, 8), "approved": (0.5, 3), "in_fulfilment": (1, 12), "ready_to_ship": (2, 10),
    "partially_shipped": (4, 20), "shipped": (4, 12), "delivered": (8, 20), "invoiced": (12, 60),
    "closed": (45, 10**6), "cancelled": (0, 10**6),
}
#: When each step happens, in days after the order was created (squeezed into younger orders).
STEP_DAY = {
    "quote": 2.0, "contract": 6.0, "submit": 0.02, "checks": 0.03, "hold": 0.03, "check_overridden": 0.4,
    "approve": 0.5, "reject": 0.6, "start_fulfilment": 1.0, "shipment_planned": 1.5, "mark_ready": 2.5,
    "ship": 3.0, "deliver": 7.0, "invoice": 8.0, "payment": 38.0, "close": 38.1, "cancel": 1.0,
}
CHANNELS = [("web", 30), ("api", 20), ("eshop", 15), ("email", 10), ("sales", 15), ("phone", 5), ("fax", 2),
            ("csv", 3)]
#: States of orders released to fulfilment (stock reserved or shipped).
RELEASED = ("in_fulfilment", "ready_to_ship", "partially_shipped", "shipped", "delivered", "invoiced", "closed")

ZERO = Decimal(0)
CENT = Decimal("0.01")


def state_counts(orders: int, per_day: float) -> dict[str, int]:
    """How many orders end in each state."""
    in_flight = sum(days for _state, days in PIPELINE) * per_day
    rate = per_day * min(1.0, MAX_OPEN_SHARE * orders / in_flight)
    counts = {state: round(rate * days) for state, days in PIPELINE}
    counts["cancelled"] = round(CANCELLED_SHARE * orders)
    counts["closed"] = orders - sum(counts.values())
    if counts["closed"] < 0:
        raise ValueError("too few orders for the pipeline")
    return counts


def skewed(rng: random.Random, n: int, power: float) -> int:
    """An index in range(n), the low ones more often (big customers, popular SKUs)."""
    return min(n - 1, int(n * rng.random() ** power))


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _w in pairs], weights=[w for _v, w in pairs])[0]



class OrderBook:
    """The orders and everything that follows from them (a mixin of generate.Loader)."""

    def orders(self, copier: Copier) -> None:
        from inventory.models import PurchaseRequisition, StockMove, WorkOrder
        from logistics.models import Package, PackedItem, ProofOfDelivery, Shipment, ShipmentLine
        from orders.models import OrderEvent, ReviewCheck, SalesOrder, SalesOrderLine

        self.t_orders = Table(copier, SalesOrder, [
            "id", "number", "customer", "contact", "channel", "customer_reference", "external_ref", "requested_date",
            "delivery_address", "payment_terms", "currency", "state", "total_amount", "amount_paid", "entered_by",
            "checks_done_at", "checks_run", "checks_result", "confirmation_due", "confirmed_at",
            "approval_emailed_at", "urgent", "priority_boost", "priority", "created_at", "updated_at"])
        self.t_lines = Table(copier, SalesOrderLine, [
            "id", "order", "line_no", "product", "quantity", "unit_price", "discount_percent", "reserved_quantity",
            "backorder_quantity", "shipped_quantity", "promise_date"])
        self.t_events = Table(copier, OrderEvent, ["order", "at", "by", "kind", "from_state", "to_state", "reason",
                                                   "payload"])
        self.t_checks = Table(copier, ReviewCheck, ["order", "run", "kind", "result", "summary", "details", "seen",
                                                    "checked_at", "overridden_by", "overridden_at",
                                                    "override_reason"])
        self.t_shipments = Table(copier, Shipment, [
            "id", "number", "order", "warehouse", "state", "carrier_service", "shipping_cost", "expected_delivery",
            "tracking_number", "ship_date", "packed_at", "packed_by", "shipped_at", "shipped_by", "delivered_at",
            "tracking_emailed_at", "created_by", "created_at", "updated_at"])
        self.t_shipment_lines = Table(copier, ShipmentLine, ["id", "shipment", "order_line", "quantity",
                                                             "verified_quantity"])
        self.t_packages = Table(copier, Package, ["id", "shipment", "number", "weight_kg", "length_cm", "width_cm",
                                                  "height_cm"])
        self.t_items = Table(copier, PackedItem, ["line", "package", "batch", "quantity", "verified_by",
                                                  "verified_at"])
        self.t_pods = Table(copier, ProofOfDelivery, ["shipment", "recipient_name", "delivered_at", "source",
                                                      "recorded_by", "recorded_at"])
        self.t_moves = Table(copier, StockMove, [
            "kind", "product", "warehouse", "location", "batch", "on_hand_delta", "reserved_delta",
            "in_transit_delta", "rejected_quantity", "source_type", "source_id", "reference", "by", "at"])
        self.t_work_orders = Table(copier, WorkOrder, ["number", "product", "quantity", "warehouse", "due_date",
                                                       "state", "sales_order_line", "created_by", "created_at",
                                                       "updated_at"])
        self.t_requisitions = Table(copier, PurchaseRequisition, ["number", "product", "quantity", "needed_by",
                                                                  "warehouse", "sales_order_line", "state",
                                                                  "created_by", "created_at"])
        counts = state_counts(self.n_orders, self.per_day)
        self.counts = counts
        plan = []
        for state, count in counts.items():
            low, high = AGES[state]
            high = min(high, self.days)
            low = min(low, high * 0.5)
            plan += [(self.rng.uniform(low, high), state) for _ in range(count)]
        plan.sort(reverse=True)  # oldest first: ids and numbers follow the creation time
        for age, state in plan:
            self.order(state, age)
        for table in (self.t_orders, self.t_lines, self.t_events, self.t_checks, self.t_shipments,
                      self.t_shipment_lines, self.t_packages, self.t_items, self.t_pods, self.t_work_orders,
                      self.t_requisitions):
            table.finish()

    def order(self, state: str, age: float) -> None:
        from orders.priority import priority_score

        rng = self.rng
        customer, tier, owner, contact, address, terms, currency, warehouse = self.customers[
            skewed(rng, len(self.customers), 1.6)]
        created = self.now - datetime.timedelta(days=age)
        last_step = max(STEP_DAY.values())
        squeeze = min(1.0, age * 0.98 / last_step) if state != "closed" else 1.0

        def at(step: str) -> datetime.datetime:
            return created + datetime.timedelta(days=STEP_DAY[step] * squeeze + rng.random() / 144)  # + up to 10 min

        pk = self.t_orders.next_id()
        number = self.number("SO", created)
        preorder = state in ("inquiry", "quoted", "contracted") or rng.random() < 0.15
        channel = "sales" if preorder else weighted(rng, CHANNELS)
        entered_by = (owner if channel == "sales" else self.users["integration"][0] if channel in ("api", "eshop")
                      else self._user("desk"))
        requested = created.date() + datetime.timedelta(days=rng.randint(10, 45))
        urgent = rng.random() < 0.05
        boost = rng.choice([100, 250, -100]) if rng.random() < 0.01 else 0
        # where a cancelled order stopped: before or after review
        cancelled_after = rng.choice(["inquiry", "submitted", "approved"]) if state == "cancelled" else ""
        reviewed = state not in ("inquiry", "quoted", "contracted") and cancelled_after != "inquiry"
        checks_ran = reviewed and not (state == "submitted" and rng.random() < 0.4)

        # lines
        n_lines = rng.randint(1, 2 * self.lines_per_order - 1)
        picked: dict[int, tuple[int, Decimal, str, bool, str]] = {}
        while len(picked) < n_lines:
            product = self.products[skewed(rng, len(self.products), 1.5)]
            picked.setdefault(product[0], product)
        lines = []
        total = ZERO
        for line_no, (product_id, price, supply, scarce, sku) in enumerate(picked.values(), start=1):
            quantity = Decimal(rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 20, 25, 50]))
            if state == "partially_shipped" and line_no == n_lines:
                quantity = max(quantity, Decimal(2))  # half of it left, the rest waits
            discount = Decimal(rng.choice([0, 0, 0, 0, 2, 5, 10]))
            total += (quantity * price * (100 - discount) / 100).quantize(CENT)
            lines.append({"id": self.t_lines.next_id(), "no": line_no, "product": product_id, "qty": quantity,
                          "price": price, "discount": discount, "supply": supply, "scarce": scarce, "sku": sku,
                          "reserved": ZERO, "backorder": ZERO, "shipped": ZERO})
        self._fulfil(state, lines)

        events: list[tuple] = [("created", created, entered_by, "", "inquiry", "",
                                {"channel": channel, "lines": len(lines), "agreed_prices": []})]
        current = "inquiry"

        def step(kind: str, to: str | None, by: int | None, reason: str = "", payload: dict | None = None,
                 when: str = "") -> None:
            nonlocal current
            if to is None:  # a fact on the timeline that moves nothing (a shipment planned)
                events.append((kind, at(when or kind), by, "", "", reason, payload or {}))
                return
            events.append((kind, at(when or kind), by, current, to, reason, payload or {}))
            current = to

        if preorder and state != "inquiry" and cancelled_after != "inquiry":
            step("quote", "quoted", owner)
            if state != "quoted":
                step("contract", "contracted", owner)
        checks_result, checks_at, overridden = "pending", None, False
        credit, availability = "pass", "pass"
        if reviewed:
            step("submit", "submitted", entered_by)
        if checks_ran:
            checks_at = at("checks")
            if state in ("on_hold", "rejected"):
                overridden = state == "on_hold" and rng.random() < 0.2  # waits for approval now
                failing = "credit" if overridden else rng.choice(["credit", "availability"])
                credit, availability = ("fail", "pass") if failing == "credit" else ("pass", "fail")
                reason = ("The credit check failed (see the review checks)." if failing == "credit" else
                          f"Line 1 ({lines[0]['sku']}) can be delivered on "
                          f"{requested + datetime.timedelta(days=9)}, after the requested {requested}.")
                step("hold", "on_hold", None, reason, {"run": 1, "credit": credit, "availability": availability})
                checks_result = "overridden" if overridden else "failed"
            else:
                approved = state == "approved" or state in RELEASED or cancelled_after == "approved"
                overridden = approved and rng.random() < 0.05
                if overridden:
                    credit = "fail"
                    step("hold", "on_hold", None, "The credit check failed (see the review checks).",
                         {"run": 1, "credit": credit, "availability": availability})
                    checks_result = "overridden"
                else:
                    credit = "warning" if rng.random() < 0.1 else "pass"
                    checks_result = "warnings" if credit == "warning" else "passed"
                    step("checks_passed", current, None, "", {"run": 1, "credit": credit,
                                                              "availability": availability}, when="checks")
            if overridden:
                step("check_overridden", current, self._user("manager"), "Long-standing customer; agreed.",
                     {"check": "credit"})
        if state == "rejected":
            step("reject", "rejected", self._user("reviewer"), "Prices differ from the agreed contract.")
        released = state in RELEASED
        if state == "approved" or released or cancelled_after == "approved":
            step("approve", "approved", self._user("reviewer"))
        if released:
            reserved = sum((line["reserved"] + line["shipped"] for line in lines), ZERO)
            backordered = sum((line["backorder"] for line in lines), ZERO)
            step("start_fulfilment", "in_fulfilment", self._user("planner"), "",
                 {"reserved": str(reserved), "backordered": str(backordered)})
        if state == "cancelled":
            step("cancel", "cancelled", owner, "The customer withdrew the order.")

        amount_paid = ZERO
        if state == "closed" or (state == "invoiced" and rng.random() < 0.3):
            amount_paid = total if state == "closed" else (total / 2).quantize(CENT)
        self._ship(pk, number, state, lines, warehouse, created, at, step)
        if state in ("invoiced", "closed"):
            step("invoice", "invoiced", self._user("reviewer"))
            if amount_paid:
                events.append(("payment", at("payment"), self._user("reviewer"), "", "", "PAY-" + number,
                               {"amount": str(amount_paid), "outstanding": str(total - amount_paid)}))
            if state == "closed":
                step("close", "closed", self._user("reviewer"))
        assert current == state, (current, state)

        phone = channel == "phone"
        confirmation_due = (created.date() + datetime.timedelta(days=2)) if phone else None
        confirmed_at = (created + datetime.timedelta(days=1)) if phone and (released or rng.random() < 0.5) else None
        priority = priority_score(tier=tier, urgent=urgent, requested_date=requested, boost=boost, today=self.today)
        updated = max(event[1] for event in events)
        self.t_orders.add(
            pk, number, customer, contact, channel, f"PO-{pk}" if rng.random() < 0.7 else "",
            f"EXT-{pk}" if channel in ("api", "eshop") else "", requested, address, terms, currency, state, total,
            amount_paid, entered_by, checks_at, 1 if checks_ran else 0, checks_result, confirmation_due,
            confirmed_at, at("approve") if state in ("approved",) or released else None, urgent, boost, priority,
            created, updated)
        for line in lines:
            promise = requested if checks_ran else None
            if line["backorder"]:
                promise = requested + datetime.timedelta(days=rng.randint(3, 30))
            self.t_lines.add(line["id"], pk, line["no"], line["product"], line["qty"], line["price"],
                             line["discount"], line["reserved"], line["backorder"], line["shipped"], promise)
            if line["backorder"]:
                self._raise_supply(line, warehouse, promise, at("start_fulfilment"))
            if released and line["reserved"] + line["shipped"] > 0:
                self.reserved[(line["product"], warehouse)] += line["reserved"]
                self.t_moves.add("reserve", line["product"], warehouse, None, None, ZERO,
                                 line["reserved"] + line["shipped"], ZERO, ZERO, "sales_order_line", line["id"],
                                 number, self._user("planner"), at("start_fulfilment"))
        if checks_ran:
            self._checks(pk, lines, requested, checks_at, credit, availability, overridden)
        for kind, when, by, from_state, to_state, reason, payload in events:
            self.t_events.add(pk, when, by, kind, from_state, to_state, reason, payload)
        self.tally[state] += 1

    def _fulfil(self, state: str, lines: list[dict]) -> None:
        """Reserved, backordered and shipped quantities of the order's lines for its state."""
        if state == "in_fulfilment":
            for line in lines:
                if line["scarce"]:
                    line["reserved"] = Decimal(self.rng.randint(0, int(line["qty"]) - 1))
                    line["backorder"] = line["qty"] - line["reserved"]
                else:
                    line["reserved"] = line["qty"]
        elif state == "ready_to_ship":
            for line in lines:
                line["reserved"] = line["qty"]
        elif state == "partially_shipped":
            left = lines[-1]
            for line in lines[:-1]:
                line["shipped"] = line["qty"]
            left["shipped"] = (left["qty"] / 2).to_integral_value(rounding="ROUND_FLOOR")
            key = "backorder" if left["scarce"] else "reserved"
            left[key] = left["qty"] - left["shipped"]
        elif state in ("shipped", "delivered", "invoiced", "closed"):
            for line in lines:
                line["shipped"] = line["qty"]

    def _ship(self, order: int, number: str, state: str, lines: list[dict], warehouse: int,
              created: datetime.datetime, at: Any, step: Any) -> None:
        """The order's shipments, their lines and what the packer verified, and the issue
        moves for what left (from the product's first bin in the warehouse)."""
        rng = self.rng
        if state == "in_fulfilment":
            roll = rng.random()
            open_state = "planned" if roll < 0.35 else "picking" if roll < 0.5 else ""
            reserved = [(line, line["reserved"]) for line in lines if line["reserved"] > 0]
            if open_state and reserved:
                self._shipment(order, warehouse, open_state, reserved, at, step)
        elif state == "ready_to_ship":
            self._shipment(order, warehouse, "packed", [(line, line["qty"]) for line in lines], at, step)
            step("mark_ready", "ready_to_ship", self._user("warehouse"), "", {"step": "shipment_packed"})
        elif state in ("partially_shipped", "shipped", "delivered", "invoiced", "closed"):
            left_state = {"partially_shipped": rng.choice(["shipped", "in_transit"]),
                          "shipped": rng.choice(["shipped", "in_transit", "in_transit"])}.get(state, "delivered")
            shipment = self._shipment(order, warehouse, left_state, [(line, line["shipped"]) for line in lines
                                                                     if line["shipped"] > 0], at, step)
            step("mark_ready", "ready_to_ship", self._user("warehouse"), "", {"step": "shipment_packed"})
            if state == "partially_shipped":
                step("ship_partial", "partially_shipped", self._user("logistics"), "",
                     {"step": "shipment_shipped", "shipment": shipment}, when="ship")
                left = lines[-1]
                if left["reserved"] > 0 and rng.random() < 0.5:
                    self._shipment(order, warehouse, "planned", [(left, left["reserved"])], at, step,
                                   when="deliver")
            else:
                step("ship", "shipped", self._user("logistics"), "", {"step": "shipment_shipped",
                                                                      "shipment": shipment})
                if state != "shipped":
                    step("deliver", "delivered", self._user("logistics"), "", {"step": "shipment_delivered",
                                                                               "shipment": shipment})
            for line in lines:
                if line["shipped"] > 0:
                    location, batch = self.bin_of[(line["product"], warehouse)][0]
                    self.issued[(line["product"], warehouse)] += line["shipped"]
                    self.t_moves.add("issue", line["product"], warehouse, location, batch, -line["shipped"],
                                     -line["shipped"], ZERO, ZERO, "sales_order_line", line["id"], shipment,
                                     self._user("logistics"), at("ship"))

    def _shipment(self, order: int, warehouse: int, state: str, carried: list[tuple[dict, Decimal]], at: Any,
                  step: Any, when: str = "shipment_planned") -> str:
        rng = self.rng
        pk = self.t_shipments.next_id()
        planned_at = at(when)
        number = self.number("SH", planned_at)
        left = state in ("shipped", "in_transit", "delivered")
        packed = left or state == "packed"
        packed_at = at("mark_ready") if packed else None
        shipped_at = at("ship") if left else None
        delivered_at = at("deliver") if state == "delivered" else None
        service = rng.choice(self.services) if left else None
        self.t_shipments.add(
            pk, number, order, warehouse, state, service, Decimal(rng.randint(20, 600)) if left else None,
            (shipped_at + datetime.timedelta(days=3)).date() if left else None,
            f"BT{pk:010d}" if left else "", shipped_at.date() if left else None, packed_at,
            self._user("warehouse") if packed else None, shipped_at, self._user("logistics") if left else None,
            delivered_at, shipped_at, self._user("planner"), planned_at,
            delivered_at or shipped_at or packed_at or planned_at)
        step("shipment_planned", None, self._user("planner"), "", {"shipment": number, "shipment_id": pk},
             when=when)
        package = None
        if state in ("packed", "picking"):
            package = self.t_packages.next_id()
            self.t_packages.add(package, pk, 1, Decimal(rng.randint(5, 800)) / 10 if packed else None,
                                Decimal(60) if packed else None, Decimal(40) if packed else None,
                                Decimal(30) if packed else None)
        for line, quantity in carried:
            verified = quantity if packed else (Decimal(rng.randint(0, int(quantity))) if state == "picking"
                                                else ZERO)
            shipment_line = self.t_shipment_lines.next_id()
            self.t_shipment_lines.add(shipment_line, pk, line["id"], quantity, verified)
            if package is not None and verified > 0:
                batch = self.batches.get(line["product"], [None])[0]
                self.t_items.add(shipment_line, package, batch, verified, self._user("warehouse"),
                                 packed_at or planned_at)
        if state == "delivered":
            self.t_pods.add(pk, "Goods receiving", delivered_at, "manual", self._user("logistics"), delivered_at)
        self.tally[f"shipments {state}"] += 1
        return number

    def _raise_supply(self, line: dict, warehouse: int, due: datetime.date, when: datetime.datetime) -> None:
        planner = self._user("planner")
        if line["supply"] == "make":
            self.t_work_orders.add(self.number("WO", when), line["product"], line["backorder"], warehouse, due,
                                   self.rng.choice(["planned", "released", "in_progress"]), line["id"], planner, when,
                                   when)
        else:
            self.t_requisitions.add(self.number("PR", when), line["product"], line["backorder"], due, warehouse,
                                    line["id"], "open", planner, when)
        self.tally["waiting lines"] += 1

    def _checks(self, order: int, lines: list[dict], requested: datetime.date, checked_at: datetime.datetime,
                credit: str, availability: str, overridden: bool) -> None:
        """The two automatic checks of run 1, shaped as orders.services.review writes them."""
        total = sum((line["qty"] * line["price"] for line in lines), ZERO)
        self.t_checks.add(
            order, 1, "credit", credit,
            "Credit limit exceeded by 12000.00." if credit == "fail" else "",
            {"exposure": "180000.00", "order_open": str(total.quantize(CENT)), "needed": "190000.00",
             "credit_limit": "500000.00", "headroom": "310000.00", "over_by": "0.00", "prepayment_required": False},
            {"credit_limit": "500000.00", "prepayment_flag": False, "first_paid_on": None, "other_open_orders": 3,
             "currency": "CNY"},
            checked_at, self._user("manager") if overridden and credit == "fail" else None,
            checked_at + datetime.timedelta(hours=2) if overridden and credit == "fail" else None,
            "Long-standing customer; agreed." if overridden and credit == "fail" else "")
        late = availability == "fail"
        self.t_checks.add(
            order, 1, "availability", availability,
            f"Line 1 can be delivered after the requested {requested}." if late else "",
            {"lines": [{"line_no": line["no"], "sku": line["sku"], "quantity": str(line["qty"]),
                        "requested_date": requested.isoformat(),
                        "promise_date": (requested + datetime.timedelta(days=9 if late and line["no"] == 1 else 0))
                        .isoformat(), "met": not (late and line["no"] == 1),
                        "sources": [{"source": "stock", "quantity": str(line["qty"]),
                                     "available_on": checked_at.date().isoformat()}]}
                       for line in lines]},
            {"today": checked_at.date().isoformat(), "requested_date": requested.isoformat()},
            checked_at, None, None, "")

    # --- stock --------------------------------------------------------------------------------
