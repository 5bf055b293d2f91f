"""Tax receipts: the AD treasurer's pages and the donor's signed link (owned by the receipts work)."""

from django.urls import path

from frontend.views import receipts

urlpatterns = [
    path("recus/<str:token>/", receipts.tax_receipt_download, name="tax_receipt_download"),
    path("tresorerie/recus-fiscaux/", receipts.receipts_index, name="receipts_index"),
    path("tresorerie/ad/<str:ad_number>/recus-fiscaux/", receipts.ad_receipts, name="ad_receipts"),
    path("tresorerie/ad/<str:ad_number>/recus-fiscaux/annuel/", receipts.ad_receipt_annual, name="ad_receipt_annual"),
    path("tresorerie/ad/<str:ad_number>/recus-fiscaux/<int:year>.csv", receipts.ad_receipts_csv, name="ad_receipts_csv"),
    path("tresorerie/ad/<str:ad_number>/recus-fiscaux/pdf/<str:number>/", receipts.ad_receipt_pdf, name="ad_receipt_pdf"),
]
