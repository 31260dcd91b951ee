from django.urls import path

from . import views, views_preorder

app_name = "orders"

urlpatterns = [
    path("", views.order_list_page, name="list"),
    path("<int:pk>/", views.order_detail_page, name="detail"),
    path("<int:pk>/transitions/<slug:name>/", views.order_transition_page, name="transition"),
    path("<int:pk>/payments/", views.order_payment_page, name="payment"),
    # pre-order: needs, notes, quotations, contracts, files
    path("<int:pk>/needs/", views_preorder.needs_edit_page, name="needs"),
    path("<int:pk>/notes/", views_preorder.order_note_page, name="note"),
    path("<int:pk>/quotation/", views_preorder.quotation_create_page, name="quotation_create"),
    path("quotations/", views_preorder.quotation_list_page, name="quotation_list"),
    path("quotations/<int:pk>/", views_preorder.quotation_detail_page, name="quotation"),
    path("quotations/<int:pk>/edit/", views_preorder.quotation_edit_page, name="quotation_edit"),
    path("quotations/<int:pk>/signoff/", views_preorder.quotation_signoff_page, name="quotation_signoff"),
    path("quotations/<int:pk>/send/", views_preorder.quotation_send_page, name="quotation_send"),
    path("quotations/<int:pk>/decision/", views_preorder.quotation_decision_page, name="quotation_decision"),
    path("quotations/<int:pk>/revise/", views_preorder.quotation_revise_page, name="quotation_revise"),
    path("quotations/<int:pk>/contract/", views_preorder.contract_create_page, name="contract_create"),
    path("quotations/<int:pk>/pdf/", views_preorder.quotation_pdf_page, name="quotation_pdf"),
    path("contracts/<int:pk>/", views_preorder.contract_detail_page, name="contract"),
    path("contracts/<int:pk>/edit/", views_preorder.contract_edit_page, name="contract_edit"),
    path("contracts/<int:pk>/review/", views_preorder.contract_review_page, name="contract_review"),
    path("contracts/<int:pk>/sign/", views_preorder.contract_sign_page, name="contract_sign"),
    path("contracts/<int:pk>/pdf/", views_preorder.contract_pdf_page, name="contract_pdf"),
    path("attachments/<int:pk>/", views_preorder.attachment_download_page, name="attachment"),
]
