"""Carrier and mode choice: ranking by cost then transit time, and why the others are excluded."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from logistics.carriers import rank_carrier_options
from logistics.models import Carrier, CarrierService, TransportMode
from oms.errors import ValidationFailed

pytestmark = pytest.mark.django_db

SHIP = datetime.date(2025, 3, 3)


def _carrier(code: str, **kwargs) -> Carrier:
    return Carrier.objects.create(code=code, name=f"{code} Logistics", **kwargs)


def _service(carrier: Carrier, name: str, *, mode: str = TransportMode.TRUCK, base_fee: str = "0", per_kg: str = "0",
             per_m3: str = "0", transit_days: int = 3, max_weight_kg: str | None = None,
             fragile_allowed: bool = True, regions: str = "", is_active: bool = True) -> CarrierService:
    return CarrierService.objects.create(
        carrier=carrier, name=name, mode=mode, base_fee=Decimal(base_fee), per_kg=Decimal(per_kg),
        per_m3=Decimal(per_m3), transit_days=transit_days,
        max_weight_kg=Decimal(max_weight_kg) if max_weight_kg is not None else None,
        fragile_allowed=fragile_allowed, regions=regions, is_active=is_active)


def _rank(**overrides):
    kwargs = {"weight_kg": Decimal("10"), "volume_m3": Decimal("0.5"), "fragile": False, "region": "上海",
              "ship_date": SHIP, "required_date": None}
    kwargs.update(overrides)
    return rank_carrier_options(**kwargs)


def _names(options) -> list[str]:
    return [o.service.name for o in options]


def _excluded(ranking, name: str):
    (match,) = [e for e in ranking.excluded if e.service.name == name]
    return match


def test_options_ranked_by_cost_then_transit_time_then_carrier_code():
    sf, zto, dbl = _carrier("SF"), _carrier("ZTO"), _carrier("DBL")
    # 10 kg, 0.5 m³: cost = base + 10 × per_kg + 0.5 × per_m3
    _service(sf, "SF Express", mode=TransportMode.EXPRESS, base_fee="20", per_kg="3", transit_days=1)  # 50.00
    _service(zto, "ZTO Truck slow", base_fee="10", per_kg="1", per_m3="20", transit_days=5)  # 30.00
    _service(zto, "ZTO Truck fast", base_fee="12", per_kg="1", per_m3="16", transit_days=2)  # 30.00
    _service(dbl, "DBL Truck fast", base_fee="15", per_kg="1.5", transit_days=2)  # 30.00, DBL < ZTO
    _service(dbl, "DBL Rail", mode=TransportMode.RAIL, base_fee="5", per_kg="0.25", per_m3="3.33",
             transit_days=7)  # 5 + 2.5 + 1.665 = 9.165 → 9.17

    ranking = _rank()

    assert _names(ranking.options) == ["DBL Rail", "DBL Truck fast", "ZTO Truck fast", "ZTO Truck slow", "SF Express"]
    costs = [o.cost for o in ranking.options]
    assert costs == sorted(costs)
    assert costs == [Decimal("9.17"), Decimal("30.00"), Decimal("30.00"), Decimal("30.00"), Decimal("50.00")]
    assert ranking.options[-1].arrival_date == datetime.date(2025, 3, 4)
    assert ranking.options[0].arrival_date == datetime.date(2025, 3, 10)
    assert ranking.recommended == ranking.options[0]
    assert ranking.excluded == ()


def test_cost_uses_every_rate_and_rounds_to_cents():
    _service(_carrier("SF"), "SF Express", base_fee="12.50", per_kg="2.35", per_m3="99.99", transit_days=1)

    (option,) = _rank(weight_kg=Decimal("3.333"), volume_m3=Decimal("0.0125")).options

    # 12.50 + 2.35 × 3.333 (7.83255) + 99.99 × 0.0125 (1.249875) = 21.582425
    assert option.cost == Decimal("21.58")
    assert option.cost.as_tuple().exponent == -2
    assert option.arrival_date == SHIP + datetime.timedelta(days=1)


def test_too_heavy_is_excluded_with_both_weights():
    carrier = _carrier("SF")
    _service(carrier, "Parcel", mode=TransportMode.EXPRESS, max_weight_kg="100", base_fee="1")
    _service(carrier, "Freight", base_fee="50")  # no limit

    ranking = _rank(weight_kg=Decimal("120.000"))

    assert _names(ranking.options) == ["Freight"]
    excluded = _excluded(ranking, "Parcel")
    assert excluded.codes == ["too_heavy"]
    assert "weighs 120 kg, this service takes at most 100 kg" in excluded.messages[0]
    # exactly the maximum is still allowed
    assert _names(_rank(weight_kg=Decimal("100")).options) == ["Parcel", "Freight"]


def test_fragile_goods_excluded_where_not_allowed():
    carrier = _carrier("COSCO")
    _service(carrier, "Sea bulk", mode=TransportMode.SEA, fragile_allowed=False, transit_days=20)
    _service(carrier, "Sea crated", mode=TransportMode.SEA, fragile_allowed=True, base_fee="80", transit_days=20)

    ranking = _rank(fragile=True)

    assert _names(ranking.options) == ["Sea crated"]
    excluded = _excluded(ranking, "Sea bulk")
    assert excluded.codes == ["fragile_not_allowed"]
    assert "fragile" in excluded.messages[0]
    assert _names(_rank(fragile=False).options) == ["Sea bulk", "Sea crated"]


def test_region_not_served_is_explained():
    _service(_carrier("YTO"), "East China truck", regions="上海, 江苏, 浙江")

    ranking = _rank(region="广东")

    assert ranking.options == ()
    assert ranking.recommended is None
    excluded = _excluded(ranking, "East China truck")
    assert excluded.codes == ["region_not_served"]
    assert "广东" in excluded.messages[0]
    assert "上海, 江苏, 浙江" in excluded.messages[0]


def test_region_matches_without_case_or_surrounding_spaces():
    carrier = _carrier("DHL")
    _service(carrier, "Asia air", mode=TransportMode.AIR, regions=" Hong Kong ,  jp,Zhejiang ,上海，江苏")

    assert _names(_rank(region="  zhejiang ").options) == ["Asia air"]
    assert _names(_rank(region="HONG KONG").options) == ["Asia air"]
    assert _names(_rank(region="江苏").options) == ["Asia air"]  # full-width comma separates too
    assert _names(_rank(region="", country="JP").options) == ["Asia air"]  # a country code matches as well
    assert _names(_rank(region="Hong").options) == []  # whole names only
    unknown = _excluded(_rank(region=""), "Asia air")  # a restricted service needs to know where it goes
    assert unknown.codes == ["region_not_served"]
    assert "has no region" in unknown.messages[0]


def test_empty_regions_serve_everywhere():
    _service(_carrier("EMS"), "Everywhere", regions="")

    for region in ("上海", "Xinjiang", ""):
        assert _names(_rank(region=region).options) == ["Everywhere"]


def test_required_date_excludes_slow_modes_with_both_dates():
    carrier = _carrier("CR")
    _service(carrier, "Rail", mode=TransportMode.RAIL, base_fee="10", transit_days=8)
    _service(carrier, "Truck", mode=TransportMode.TRUCK, base_fee="40", transit_days=4)
    _service(carrier, "Air", mode=TransportMode.AIR, base_fee="90", transit_days=1)

    ranking = _rank(required_date=datetime.date(2025, 3, 7))  # 4 days after shipping

    assert _names(ranking.options) == ["Truck", "Air"]
    assert ranking.recommended.service.name == "Truck"
    excluded = _excluded(ranking, "Rail")
    assert excluded.codes == ["too_late"]
    assert "2025-03-11" in excluded.messages[0] and "2025-03-07" in excluded.messages[0]
    assert excluded.option.cost == Decimal("10.00")  # still priced, so the trade-off shows
    # without a required date the slow mode is the cheapest
    assert _rank(required_date=None).recommended.service.name == "Rail"


def test_every_reason_is_listed_for_one_service():
    _service(_carrier("COSCO"), "Sea", mode=TransportMode.SEA, max_weight_kg="5", fragile_allowed=False,
             regions="CN", transit_days=30)

    ranking = _rank(weight_kg=Decimal("6.5"), fragile=True, region="Bavaria", country="DE",
                    required_date=SHIP + datetime.timedelta(days=10))

    excluded = _excluded(ranking, "Sea")
    assert excluded.codes == ["too_heavy", "fragile_not_allowed", "region_not_served", "too_late"]
    assert "weighs 6.5 kg, this service takes at most 5 kg" in excluded.messages[0]
    assert "Bavaria, DE" in excluded.messages[2]


def test_inactive_carriers_and_services_are_not_listed():
    active, inactive = _carrier("ON"), _carrier("OFF", is_active=False)
    _service(active, "Running")
    _service(active, "Retired", is_active=False)
    _service(inactive, "Of a closed carrier")

    ranking = _rank()

    assert _names(ranking.options) == ["Running"]
    assert ranking.excluded == ()


def test_query_count_fixed_whatever_the_number_of_services(django_assert_max_num_queries):
    for c in range(6):
        carrier = _carrier(f"C{c}")
        for s in range(4):
            _service(carrier, f"S{s}", base_fee=str(c + s), max_weight_kg="5" if s == 3 else None,
                     regions="上海" if s != 2 else "北京")

    with django_assert_max_num_queries(1):
        ranking = _rank()
        # reading what a page shows must not query again
        shown = [(o.service.carrier.name, o.service.get_mode_display(), o.cost) for o in ranking.options]
        shown += [(e.service.carrier.name, e.messages) for e in ranking.excluded]

    assert len(ranking.options) == 12 and len(ranking.excluded) == 12
    assert len(shown) == 24


@pytest.mark.parametrize("overrides, field", [
    ({"weight_kg": Decimal("-0.001")}, "weight_kg"),
    ({"volume_m3": Decimal("-1")}, "volume_m3"),
    ({"weight_kg": "heavy"}, "weight_kg"),
    ({"weight_kg": Decimal("NaN")}, "weight_kg"),
    ({"required_date": SHIP - datetime.timedelta(days=1)}, "required_date"),
])
def test_bad_input_is_refused(overrides, field):
    _service(_carrier("SF"), "SF Express")

    with pytest.raises(ValidationFailed) as refused:
        _rank(**overrides)

    assert field in refused.value.errors


def test_numbers_given_as_int_or_str_are_accepted():
    _service(_carrier("SF"), "SF Express", per_kg="2", per_m3="10")

    assert _rank(weight_kg=3, volume_m3="0.5").recommended.cost == Decimal("11.00")


def _refused(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_constraints_reject_negative_rates_and_bad_limits():
    carrier = _carrier("SF")
    _refused(lambda: _service(carrier, "Negative base", base_fee="-0.01"))
    _refused(lambda: _service(carrier, "Negative per kg", per_kg="-1"))
    _refused(lambda: _service(carrier, "Negative per m3", per_m3="-1"))
    _refused(lambda: _service(carrier, "Zero max weight", max_weight_kg="0"))
    fine = _service(carrier, "Fine")
    _refused(lambda: CarrierService.objects.filter(pk=fine.pk).update(transit_days=-1))
    _refused(lambda: _service(carrier, "Fine"))  # one name per carrier
    _refused(lambda: _carrier("SF"))  # carrier code unique
    _refused(lambda: _service(carrier, "Bad mode", mode="teleport"))
    assert CarrierService.objects.filter(carrier=carrier).count() == 1


def test_tracking_url_template_needs_the_placeholder():
    carrier = Carrier(code="SF", name="SF", tracking_url_template="https://carrier.example/track/")
    with pytest.raises(ValidationError):
        carrier.full_clean()

    carrier.tracking_url_template = "https://carrier.example/track/{tracking_number}"
    carrier.full_clean()
    assert carrier.tracking_url("SF 123/4") == "https://carrier.example/track/SF%20123%2F4"
