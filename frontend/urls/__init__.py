from django.urls import include, path

# One URL module per area, each owned by the views module of the same name.
urlpatterns = [
    path("", include("frontend.urls.pages")),  # public pages, accounts, teacher, animator
    path("", include("frontend.urls.donations")),  # donating, donors, donation exports
    path("", include("frontend.urls.receipts")),  # tax receipts (AD)
    path("", include("frontend.urls.books")),  # disbursements, expenses, budget versus spent
    path("", include("frontend.urls.privacy")),  # donors' data: download, erasure
]
