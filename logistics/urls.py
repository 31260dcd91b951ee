"""Pages of the warehouse and logistics: shipments, pick lists, packing, tracking.
Mounted at /shipping/ (namespace "logistics")."""

from django.urls import path

from .views import detail, packing, picking, shipments

app_name = "logistics"

urlpatterns = [
    path("", shipments.shipment_list_page, name="list"),
    path("to-ship/", shipments.to_ship_page, name="to_ship"),
    path("plan/<int:order_id>/", shipments.plan_page, name="plan"),
    path("plan/<int:order_id>/all/", shipments.plan_all_page, name="plan_all"),
    path("pick/", picking.pick_warehouses_page, name="pick_warehouses"),
    path("pick/<int:warehouse_id>/", picking.pick_list_page, name="pick_list"),
    path("pick/<int:warehouse_id>/pdf/", picking.pick_list_pdf_page, name="pick_list_pdf"),
    path("<int:pk>/", detail.shipment_detail_page, name="detail"),
    path("<int:pk>/start-picking/", detail.start_picking_page, name="start_picking"),
    path("<int:pk>/cancel/", detail.cancel_page, name="cancel"),
    path("<int:pk>/reopen/", detail.reopen_page, name="reopen"),
    path("<int:pk>/carrier/", detail.choose_carrier_page, name="choose_carrier"),
    path("<int:pk>/ship/", detail.ship_page, name="ship"),
    path("<int:pk>/tracking/", detail.tracking_event_page, name="tracking_event"),
    path("<int:pk>/exception/", detail.exception_page, name="exception"),
    path("<int:pk>/resume/", detail.resume_page, name="resume"),
    path("<int:pk>/deliver/", detail.deliver_page, name="deliver"),
    path("<int:pk>/documents/", detail.render_documents_page, name="render_documents"),
    path("<int:pk>/pack/", packing.pack_page, name="pack"),
    path("<int:pk>/pack/scan/", packing.scan_page, name="scan"),
    path("<int:pk>/pack/items/<int:item_id>/remove/", packing.unverify_page, name="unverify"),
    path("<int:pk>/pack/packages/<int:number>/measure/", packing.measure_page, name="measure"),
    path("<int:pk>/pack/packages/<int:number>/remove/", packing.package_remove_page, name="package_remove"),
    path("<int:pk>/pack/done/", packing.mark_packed_page, name="mark_packed"),
]
