"""The specification of who may open and do what (read by test_access_matrix.py and
test_csrf.py).

Each row is one request: a named URL with real ids from the data set of world.py (a
single argument is the world key of its one kwarg; a `?query` names world keys in braces;
`data:` gives the fields of a POST, `@pdf` a small PDF file). Each column is a client: one
user per role of tests/conftest.py `users`, `sales2` (a second sales user, who owns
customer B and its orders; `sales` owns customer A) and `anon` (not logged in).

Outcomes: 200, 302 (a redirect elsewhere), 403, 404, `login` (sent to log in, or 401 from
the API); for page actions (POST) also `done` (redirected with no error message) and `no`
(refused with an error message, or the form shown again with its errors: for an action
posted without data, `no` only says the user got past the door, and the services' own
permission tests say the rest)."""

# ruff: noqa: E501 (tables read best one request a line)
from __future__ import annotations

from .matrix import parse_table

PAGES = parse_table("""
page                                                      sales  sales2 desk   review plan   wareh  logist manag  integr anon
# the start page: each role's own work list
home                                                      200    200    200    200    200    200    200    200    200    login
# orders: sales see their own customers' orders, the warehouse those being fulfilled, the other roles all
orders:list                                               200    200    200    200    200    200    200    200    200    login
orders:detail inquiry                                     200    404    200    200    200    404    200    200    200    login
orders:detail contracted                                  200    404    200    200    200    404    200    200    200    login
orders:detail submitted                                   200    404    200    200    200    404    200    200    200    login
orders:detail fulfil                                      200    404    200    200    200    200    200    200    200    login
orders:detail invoiced                                    200    404    200    200    200    404    200    200    200    login
orders:detail other_order                                 404    200    200    200    200    404    200    200    200    login
orders:approval_queue                                     403    403    403    200    403    403    403    200    403    login
# entering and revising orders: sales (own customers), order desk, integration
orders:new                                                200    200    200    403    403    403    403    403    200    login
orders:line_price ?customer={customer}&sku={product_sku}  200    404    200    403    403    403    403    403    200    login
orders:import                                             200    200    200    403    403    403    403    403    200    login
orders:import_example                                     200    200    200    403    403    403    403    403    200    login
orders:edit inquiry                                       200    404    200    403    403    403    403    403    403    login
orders:needs inquiry                                      200    404    200    403    403    403    403    403    403    login
# quotations and contracts show prices: never to the warehouse or logistics; planners see
# quotations (they sign off lead times) without prices, and no contracts or PDFs
orders:quotation_list                                     200    200    200    200    200    403    403    200    200    login
orders:quotation quotation                                200    404    200    200    200    403    403    200    200    login
orders:quotation other_quotation                          404    200    200    200    200    403    403    200    200    login
orders:quotation_pdf quotation                            200    404    200    200    403    403    403    200    200    login
orders:contract contract                                  200    404    200    200    403    403    403    200    200    login
orders:contract_pdf contract                              200    404    200    200    403    403    403    200    200    login
# files: priced ones (quotation, signed contract, the customer's documents) need the price
# permission; logistics opens the commercial invoice (customs); the packing list is for all
orders:attachment quotation_pdf                           200    404    200    200    404    404    404    200    200    login
orders:attachment signed_contract                         200    404    200    200    404    404    404    200    200    login
orders:attachment commercial_invoice                      200    404    200    200    404    404    200    200    200    login
orders:attachment packing_list                            200    404    200    200    200    200    200    200    200    login
orders:attachment other_document                          404    200    200    200    404    404    404    200    200    login
# customers: sales their own; the warehouse, planners and logistics none
customers:list                                            200    200    200    200    403    403    403    200    200    login
customers:detail customer                                 200    404    200    200    403    403    403    200    200    login
customers:detail other_customer                           404    200    200    200    403    403    403    200    200    login
customers:inquiry customer                                200    404    200    403    403    403    403    403    200    login
customers:inquiry other_customer                          404    200    200    403    403    403    403    403    200    login
# supply: planners and managers (purchase orders also the warehouse, which receives them)
inventory:exceptions_board                                403    403    403    403    200    403    403    200    403    login
inventory:work_order_list                                 403    403    403    403    200    403    403    200    403    login
inventory:work_order_new                                  403    403    403    403    200    403    403    403    403    login
inventory:work_order_detail work_order                    403    403    403    403    200    403    403    200    403    login
inventory:purchase_order_list                             403    403    403    403    200    200    403    200    403    login
inventory:purchase_order_new                              403    403    403    403    200    403    403    403    403    login
inventory:purchase_order_detail purchase_order            403    403    403    403    200    200    403    200    403    login
inventory:requisition_list                                403    403    403    403    200    403    403    200    403    login
# stock: everyone sees levels; transfers and counts are the warehouse's and the planners'
inventory:stock_list                                      200    200    200    200    200    200    200    200    200    login
inventory:stock_product product                           200    200    200    200    200    200    200    200    200    login
inventory:transfer_list                                   403    403    403    403    200    200    403    200    403    login
inventory:transfer_new                                    403    403    403    403    200    200    403    403    403    login
inventory:count_list                                      403    403    403    403    200    200    403    200    403    login
inventory:count_detail count                              403    403    403    403    200    200    403    200    403    login
# shipping: sales see the shipments of their own orders only; the work lists need the shipping roles
logistics:list                                            200    200    200    200    200    200    200    200    200    login
logistics:to_ship                                         403    403    200    200    200    200    200    200    200    login
logistics:plan fulfil                                     403    403    403    403    403    200    200    403    403    login
logistics:pick_warehouses                                 403    403    200    200    200    200    200    200    200    login
logistics:pick_list warehouse                             403    403    200    200    200    200    200    200    200    login
logistics:pick_list_pdf warehouse                         403    403    200    200    200    200    200    200    200    login
logistics:detail shipment                                 200    404    200    200    200    200    200    200    200    login
logistics:pack shipment                                   403    403    200    200    200    200    200    200    200    login
""")

ACTIONS = parse_table("""
page                                                                  sales  sales2 desk   review plan   wareh  logist manag  integr anon
# order steps with their data (`@pdf`: a small PDF file): reviewers approve and hold, sales,
# managers and integration cancel; the written confirmation is attached by sales and the order desk
orders:transition pk=submitted name=approve                           no     404    no     done   no     404    no     no     no     login
orders:transition pk=submitted name=hold data:reason=checking         no     404    no     done   no     404    no     no     no     login
orders:transition pk=inquiry name=cancel data:reason=gone             done   404    no     no     no     404    no     done   done   login
orders:payment invoiced data:amount=10                                no     no     no     done   no     no     no     done   no     login
orders:reprioritise fulfil data:boost=10&reason=key                   403    403    403    403    done   403    403    done   403    login
orders:checks_rerun submitted                                         no     no     done   done   no     no     no     done   no     login
orders:check_override pk=held check_id=failed_check data:reason=paid  no     no     no     no     no     no     no     done   no     login
orders:note inquiry data:body=called                                  done   404    done   no     no     no     no     no     no     login
orders:quotation_create inquiry                                       done   404    no     no     no     no     no     no     no     login
orders:confirm_in_writing verbal data:document=@pdf                   done   404    done   no     no     no     no     no     no     login
# forms posted empty: who gets past the door (the services' own matrices test the rest)
orders:new                                                            no     no     no     403    403    403    403    403    no     login
orders:import                                                         no     no     no     403    403    403    403    403    no     login
orders:edit inquiry                                                   no     404    no     403    403    403    403    403    403    login
orders:needs inquiry                                                  no     404    no     403    403    403    403    403    403    login
orders:quotation_edit quotation                                       no     404    no     no     no     404    404    no     no     login
orders:quotation_signoff quotation                                    no     404    no     no     no     404    404    no     no     login
orders:quotation_send quotation                                       no     404    no     no     no     404    404    no     no     login
orders:quotation_decision quotation                                   no     404    no     no     no     404    404    no     no     login
orders:quotation_revise quotation                                     no     404    no     no     no     no     no     no     no     login
orders:contract_create quotation                                      no     404    no     no     no     no     no     no     no     login
orders:contract_edit contract                                         no     404    no     no     404    404    404    no     no     login
orders:contract_review contract                                       no     404    no     no     404    404    404    no     no     login
orders:contract_sign contract                                         no     404    no     no     404    404    404    no     no     login
customers:inquiry customer                                            no     404    no     403    403    403    403    403    no     login
inventory:exception_resolve supply_exception                          403    403    403    403    done   403    403    403    403    login
inventory:waiting_line_raise_supply waiting_line                      403    403    403    403    no     403    403    403    403    login
inventory:work_order_new                                              403    403    403    403    no     403    403    403    403    login
inventory:work_order_block work_order                                 403    403    403    403    no     403    403    403    403    login
inventory:work_order_complete work_order                              403    403    403    403    no     403    403    403    403    login
inventory:work_order_step pk=work_order name=start                    403    403    403    403    no     403    403    403    403    login
inventory:purchase_order_new                                          403    403    403    403    no     403    403    403    403    login
inventory:purchase_order_delay purchase_order                         403    403    403    403    no     403    403    403    403    login
inventory:purchase_order_receive purchase_order                       403    403    403    403    no     no     403    403    403    login
inventory:purchase_order_step pk=purchase_order name=confirm          403    403    403    403    done   403    403    403    403    login
inventory:requisition_new                                             403    403    403    403    no     403    403    403    403    login
inventory:requisition_cancel requisition                              403    403    403    403    done   403    403    403    403    login
inventory:stock_receive product                                       403    403    403    403    no     no     403    403    403    login
inventory:stock_adjust product                                        403    403    403    403    403    no     403    403    403    login
inventory:transfer_new                                                403    403    403    403    no     no     403    403    403    login
inventory:transfer_receive transfer                                   403    403    403    403    done   done   403    403    403    login
inventory:count_create                                                403    403    403    403    403    no     403    403    403    login
inventory:count_enter count                                           403    403    403    403    403    no     403    403    403    login
inventory:count_confirm count                                         403    403    403    403    no     403    403    no     403    login
inventory:count_cancel count                                          403    403    403    403    403    done   403    403    403    login
logistics:plan fulfil                                                 403    403    403    403    403    no     no     403    403    login
logistics:plan_all fulfil                                             403    403    403    403    403    no     no     403    403    login
logistics:start_picking shipment                                      403    403    403    403    403    no     403    403    403    login
logistics:cancel shipment                                             403    403    403    403    403    no     no     403    403    login
logistics:reopen shipment                                             403    403    403    403    403    no     403    403    403    login
logistics:choose_carrier shipment                                     403    403    403    403    403    no     no     403    403    login
logistics:ship shipment                                               403    403    403    403    403    no     no     403    403    login
logistics:tracking_event shipment                                     403    403    403    403    403    403    no     403    no     login
logistics:exception shipment                                          403    403    403    403    403    403    no     403    no     login
logistics:resume shipment                                             403    403    403    403    403    403    no     403    no     login
logistics:deliver shipment                                            403    403    403    403    403    403    no     403    no     login
logistics:render_documents shipment                                   403    403    403    403    403    done   done   403    403    login
logistics:scan shipment                                               403    403    403    403    403    no     403    403    403    login
logistics:unverify pk=shipment item_id=packed_item                    403    403    403    403    403    no     403    403    403    login
logistics:measure pk=shipment number=package_number                   403    403    403    403    403    no     403    403    403    login
logistics:package_remove pk=shipment number=package_number            403    403    403    403    403    no     403    403    403    login
logistics:mark_packed shipment                                        403    403    403    403    403    no     403    403    403    login
""")

API = parse_table("""
endpoint                                       sales  sales2 desk   review plan   wareh  logist manag  integr anon
api-root                                       200    200    200    200    200    200    200    200    200    login
customer-list                                  200    200    200    200    403    403    403    200    200    login
customer-detail customer                       200    404    200    200    403    403    403    200    200    login
customer-detail other_customer                 404    200    200    200    403    403    403    200    200    login
product-list                                   200    200    200    200    200    200    200    200    200    login
product-detail product                         200    200    200    200    200    200    200    200    200    login
warehouse-list                                 200    200    200    200    200    200    200    200    200    login
warehouse-detail warehouse                     200    200    200    200    200    200    200    200    200    login
stock-list                                     200    200    200    200    200    200    200    200    200    login
stock-detail stock_level                       200    200    200    200    200    200    200    200    200    login
# the ledger and the warehouse's documents
stock-move-list                                403    403    403    403    200    200    403    200    403    login
stock-move-detail stock_move                   403    403    403    403    200    200    403    200    403    login
stock-quant-list                               403    403    403    403    200    200    403    200    403    login
stock-quant-detail stock_quant                 403    403    403    403    200    200    403    200    403    login
stock-receipt-list                             403    403    403    403    200    200    403    200    403    login
stock-adjustment-list                          403    403    403    403    200    200    403    200    403    login
transfer-list                                  403    403    403    403    200    200    403    200    403    login
transfer-detail transfer                       403    403    403    403    200    200    403    200    403    login
cycle-count-list                               403    403    403    403    200    200    403    200    403    login
cycle-count-detail count                       403    403    403    403    200    200    403    200    403    login
# supply
supplier-list                                  403    403    403    403    200    403    403    200    403    login
supplier-detail supplier                       403    403    403    403    200    403    403    200    403    login
purchase-requisition-list                      403    403    403    403    200    403    403    200    403    login
purchase-requisition-detail requisition        403    403    403    403    200    403    403    200    403    login
purchase-order-list                            403    403    403    403    200    200    403    200    403    login
purchase-order-detail purchase_order           403    403    403    403    200    200    403    200    403    login
work-order-list                                403    403    403    403    200    403    403    200    403    login
work-order-detail work_order                   403    403    403    403    200    403    403    200    403    login
supply-exception-list                          403    403    403    403    200    403    403    200    403    login
supply-exception-detail supply_exception       403    403    403    403    200    403    403    200    403    login
# orders, quotations, contracts, files: as on the pages
order-list                                     200    200    200    200    200    200    200    200    200    login
order-detail inquiry                           200    404    200    200    200    404    200    200    200    login
order-detail fulfil                            200    404    200    200    200    200    200    200    200    login
order-detail invoiced                          200    404    200    200    200    404    200    200    200    login
order-detail other_order                       404    200    200    200    200    404    200    200    200    login
order-review-review-queue                      403    403    403    200    403    403    403    200    403    login
quotation-list                                 200    200    200    200    200    403    403    200    200    login
quotation-detail quotation                     200    404    200    200    200    403    403    200    200    login
quotation-detail other_quotation               404    200    200    200    200    403    403    200    200    login
quotation-pdf quotation                        200    404    200    200    403    403    403    200    200    login
contract-list                                  200    200    200    200    403    403    403    200    200    login
contract-detail contract                       200    404    200    200    403    403    403    200    200    login
contract-pdf contract                          200    404    200    200    403    403    403    200    200    login
attachment-download quotation_pdf              200    404    200    200    404    404    404    200    200    login
attachment-download signed_contract            200    404    200    200    404    404    404    200    200    login
attachment-download commercial_invoice         200    404    200    200    404    404    200    200    200    login
attachment-download packing_list               200    404    200    200    200    200    200    200    200    login
attachment-download other_document             404    200    200    200    404    404    404    200    200    login
# shipping
shipment-list                                  200    200    200    200    200    200    200    200    200    login
shipment-orders-to-ship                        403    403    403    403    403    200    200    403    403    login
shipment-pick-list ?warehouse={warehouse}      403    403    200    200    200    200    200    200    200    login
shipment-detail shipment                       200    404    200    200    200    200    200    200    200    login
shipment-carrier-options shipment              200    404    200    200    200    200    200    200    200    login
shipment-documents shipment                    200    404    200    200    200    200    200    200    200    login
shipment-proof-of-delivery delivered_shipment  200    404    200    200    200    200    200    200    200    login
shipment-tracking-events shipment              200    404    200    200    200    200    200    200    200    login
carrier-list                                   403    403    200    200    200    200    200    200    200    login
carrier-detail carrier                         403    403    200    200    200    200    200    200    200    login
# API clients only: webhooks belong to an API client (a session has none, so the id does not
# matter: refused before any lookup); the event feed needs the integration's permission
webhook-list                                   403    403    403    403    403    403    403    403    403    login
webhook-detail pk=1                            403    403    403    403    403    403    403    403    403    login
webhook-deliveries pk=1                        403    403    403    403    403    403    403    403    403    login
event-list                                     403    403    403    403    403    403    403    200    200    login
""")
