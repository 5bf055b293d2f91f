"""Disbursements, expenses, budget versus spent, exports, closing (owned by the books work)."""

from django.urls import path

from frontend.views import books

urlpatterns = [
    path("espace/comptes/", books.books_home, name="books_home"),
    path("espace/comptes/projets/<slug:slug>/", books.campaign_books, name="books_campaign"),
    path("espace/comptes/projets/<slug:slug>/depenses/nouvelle/", books.expense_create, name="books_expense_create"),
    path("espace/comptes/projets/<slug:slug>/reversement-ad/", books.refund_to_ad, name="books_refund_to_ad"),
    path("espace/comptes/projets/<slug:slug>/cloturer/", books.campaign_close, name="books_close"),
    path("espace/comptes/projets/<slug:slug>/bilan/", books.final_report, name="books_final_report"),
    path("espace/comptes/depenses/<int:expense_id>/", books.expense_detail, name="books_expense"),
    path("espace/comptes/depenses/<int:expense_id>/justificatif/", books.expense_receipt, name="books_expense_receipt"),
    path("espace/comptes/versements/", books.disbursements, name="books_disbursements"),
    path("espace/comptes/versements/<int:batch_id>/", books.batch_detail, name="books_batch"),
    path("espace/comptes/versements/<int:batch_id>/fichier.<str:kind>", books.batch_file, name="books_batch_file"),
    path("espace/comptes/cooperatives/<int:cooperative_id>/export/", books.cooperative_export, name="books_export"),
]
