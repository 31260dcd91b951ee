from django.urls import path

from . import views, views_fulfilment, views_intake, views_review
from .views_preorder import common, contracts, inquiries, quotations

app_name = "orders"

urlpatterns = [
    path("", views.order_list_page, name="list"),
    path("<int:pk>/", views.order_detail_page, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.order_transition_page, name="transition"),
    path("<int:pk>/payments/", views.order_payment_page, name="payment"),
    # fulfilment: the planner changes the order's priority
    path("<int:pk>/priority/", views_fulfilment.order_reprioritise_page, name="reprioritise"),
    # review: the approval queue, re-running and overriding the automatic checks
    path("review/", views_review.approval_queue_page, name="approval_queue"),
    path("<int:pk>/checks/rerun/", views_review.checks_rerun_page, name="checks_rerun"),
    path("<int:pk>/checks/<int:check_id>/override/", views_review.check_override_page, name="check_override"),
    # intake: order entry from every channel, revision, written confirmation, CSV upload
    path("new/", views_intake.order_entry_page, name="new"),
    path("new/prices/", views_intake.line_price_json, name="line_price"),
    path("import/", views_intake.order_import_page, name="import"),
    path("import/example.csv", views_intake.order_import_example, name="import_example"),
    path("<int:pk>/edit/", views_intake.order_edit_page, name="edit"),
    path("<int:pk>/confirmation/", views_intake.order_confirmation_page, name="confirm_in_writing"),
    # pre-order: needs, notes, quotations, contracts, files
    path("<int:pk>/needs/", inquiries.needs_edit_page, name="needs"),
    path("<int:pk>/notes/", inquiries.order_note_page, name="note"),
    path("<int:pk>/quotation/", inquiries.quotation_create_page, name="quotation_create"),
    path("quotations/", quotations.quotation_list_page, name="quotation_list"),
    path("quotations/<int:pk>/", quotations.quotation_detail_page, name="quotation"),
    path("quotations/<int:pk>/edit/", quotations.quotation_edit_page, name="quotation_edit"),
    path("quotations/<int:pk>/signoff/", quotations.quotation_signoff_page, name="quotation_signoff"),
    path("quotations/<int:pk>/send/", quotations.quotation_send_page, name="quotation_send"),
    path("quotations/<int:pk>/decision/", quotations.quotation_decision_page, name="quotation_decision"),
    path("quotations/<int:pk>/revise/", quotations.quotation_revise_page, name="quotation_revise"),
    path("quotations/<int:pk>/contract/", quotations.contract_create_page, name="contract_create"),
    path("quotations/<int:pk>/pdf/", quotations.quotation_pdf_page, name="quotation_pdf"),
    path("contracts/<int:pk>/", contracts.contract_detail_page, name="contract"),
    path("contracts/<int:pk>/edit/", contracts.contract_edit_page, name="contract_edit"),
    path("contracts/<int:pk>/review/", contracts.contract_review_page, name="contract_review"),
    path("contracts/<int:pk>/sign/", contracts.contract_sign_page, name="contract_sign"),
    path("contracts/<int:pk>/pdf/", contracts.contract_pdf_page, name="contract_pdf"),
    path("attachments/<int:pk>/", common.attachment_download_page, name="attachment"),
]
