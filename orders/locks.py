"""Row locks, always taken in one order: order, then its documents (quotation, contract),
then its customer (credit at approval), then its lines, then stock rows by pk.

Every lock is FOR NO KEY UPDATE (`no_key=True`): it excludes the other lockers just the
same, but not the key-share lock PostgreSQL takes on a row when another transaction
inserts a row pointing at it (an order event, a line, an exception's affected order).
With plain FOR UPDATE, writing an event for an order another transaction holds waits
for it, which deadlocked the concurrent rebalancing test.

Document numbers (`next_document_number`) lock their sequence row until the commit too:
a transaction that draws numbers of several kinds draws them in the order of their
prefixes (PR before WO)."""

from .models import Contract, Quotation, SalesOrder


def lock_order(order_id: int) -> SalesOrder:
    """Lock one order row (SELECT … FOR UPDATE). Must run inside a transaction."""
    return SalesOrder.objects.select_for_update(no_key=True).get(pk=order_id)


def lock_quotation(quotation_id: int) -> tuple[SalesOrder, Quotation]:
    """Lock a quotation's order, then the quotation. Must run inside a transaction.

    Raises Quotation.DoesNotExist for an unknown id."""
    order_id = Quotation.objects.values_list("order_id", flat=True).get(pk=quotation_id)
    order = lock_order(order_id)
    quotation = Quotation.objects.select_for_update(no_key=True).get(pk=quotation_id)
    quotation.order = order
    return order, quotation


def lock_contract(contract_id: int) -> tuple[SalesOrder, Contract]:
    """Lock a contract's order, then the contract. Must run inside a transaction."""
    order_id = Contract.objects.values_list("order_id", flat=True).get(pk=contract_id)
    order = lock_order(order_id)
    contract = Contract.objects.select_for_update(no_key=True).get(pk=contract_id)
    contract.order = order
    return order, contract
