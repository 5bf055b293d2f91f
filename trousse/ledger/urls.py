"""The books' API, included at /api/v1/ (namespace "api")."""

from django.urls import path

from . import apis

urlpatterns = [
    path("books/campaigns/<slug:slug>/budget/", apis.CampaignBudgetApi.as_view(), name="books-budget"),
    path("books/campaigns/<slug:slug>/reconciliation/", apis.CampaignReconciliationApi.as_view(), name="books-reconciliation"),
    path("books/campaigns/<slug:slug>/expenses/", apis.ExpenseListApi.as_view(), name="books-expense-list"),
    path("books/campaigns/<slug:slug>/expenses/create/", apis.ExpenseCreateApi.as_view(), name="books-expense-create"),
    path("books/campaigns/<slug:slug>/refund-to-ad/", apis.CampaignRefundToAdApi.as_view(), name="books-refund-to-ad"),
    path("books/campaigns/<slug:slug>/final-report/", apis.FinalReportSaveApi.as_view(), name="books-final-report"),
    path("books/campaigns/<slug:slug>/final-report/images/", apis.FinalReportImageAddApi.as_view(), name="books-final-report-image"),
    path("books/campaigns/<slug:slug>/close/", apis.CampaignCloseApi.as_view(), name="books-close"),
    path("books/expenses/<int:expense_id>/", apis.ExpenseDetailApi.as_view(), name="books-expense-detail"),
    path("books/expenses/<int:expense_id>/update/", apis.ExpenseUpdateApi.as_view(), name="books-expense-update"),
    path("books/expenses/<int:expense_id>/receipt/", apis.ExpenseReceiptApi.as_view(), name="books-expense-receipt"),
    path("books/expenses/<int:expense_id>/submit/", apis.ExpenseSubmitApi.as_view(), name="books-expense-submit"),
    path("books/expenses/<int:expense_id>/approve/", apis.ExpenseApproveApi.as_view(), name="books-expense-approve"),
    path("books/expenses/<int:expense_id>/reject/", apis.ExpenseRejectApi.as_view(), name="books-expense-reject"),
    path("books/expenses/<int:expense_id>/incomplete/", apis.ExpenseIncompleteApi.as_view(), name="books-expense-incomplete"),
    path("books/expenses/<int:expense_id>/pay/", apis.ExpensePayApi.as_view(), name="books-expense-pay"),
    path("books/expenses/<int:expense_id>/reconcile/", apis.ExpenseReconcileApi.as_view(), name="books-expense-reconcile"),
    path("books/disbursements/", apis.BatchListApi.as_view(), name="books-batch-list"),
    path("books/disbursements/to-disburse/", apis.CampaignsToDisburseApi.as_view(), name="books-to-disburse"),
    path("books/disbursements/create/", apis.BatchCreateApi.as_view(), name="books-batch-create"),
    path("books/disbursements/<int:batch_id>/", apis.BatchDetailApi.as_view(), name="books-batch-detail"),
    path("books/disbursements/<int:batch_id>/sepa.xml", apis.BatchSepaApi.as_view(), name="books-batch-sepa"),
    path("books/disbursements/<int:batch_id>/summary.csv", apis.BatchSummaryCsvApi.as_view(), name="books-batch-csv"),
    path("books/disbursements/<int:batch_id>/execute/", apis.BatchExecuteApi.as_view(), name="books-batch-execute"),
    path("books/disbursements/<int:batch_id>/cancel/", apis.BatchCancelApi.as_view(), name="books-batch-cancel"),
    path("books/cooperatives/<int:cooperative_id>/export.csv", apis.CooperativeBooksCsvApi.as_view(), name="books-export-csv"),
    path("books/cooperatives/<int:cooperative_id>/receipts.zip", apis.CooperativeReceiptsZipApi.as_view(), name="books-receipts-zip"),
]
