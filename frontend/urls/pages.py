"""Public pages, accounts, the teacher's and the animator's pages (owned by the pages work)."""

from django.urls import path

from frontend.views import accounts, moderation, public, teacher

urlpatterns = [
    path("", public.home, name="home"),
    path("projets/<slug:slug>/", public.campaign_detail, name="campaign_detail"),
    # Accounts
    path("connexion/", accounts.LoginView.as_view(), name="login"),
    path("deconnexion/", accounts.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("mot-de-passe/nouveau/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("mot-de-passe/change/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The teacher's space
    path("espace/", teacher.dashboard, name="dashboard"),
    path("espace/nouveau-projet/", teacher.campaign_create, name="campaign_create"),
    path("espace/projets/<slug:slug>/", teacher.campaign_manage, name="campaign_manage"),
    path("espace/projets/<slug:slug>/modifier/", teacher.campaign_edit, name="campaign_edit"),
    path("espace/projets/<slug:slug>/photos/", teacher.campaign_image_add, name="campaign_image_add"),
    path("espace/projets/<slug:slug>/photos/<int:image_id>/retirer/", teacher.campaign_image_remove, name="campaign_image_remove"),
    path("espace/projets/<slug:slug>/soumettre/", teacher.campaign_submit, name="campaign_submit"),
    path("espace/projets/<slug:slug>/nouvelles/", teacher.campaign_news_post, name="campaign_news_post"),
    path("espace/projets/<slug:slug>/annuler/", teacher.campaign_cancel, name="campaign_cancel"),
    # The animator's reviews
    path("relectures/", moderation.review_queue, name="review_queue"),
    path("relectures/<slug:slug>/", moderation.review_detail, name="review_detail"),
    path("relectures/<slug:slug>/valider/", moderation.review_approve, name="review_approve"),
    path("relectures/<slug:slug>/modifications/", moderation.review_request_changes, name="review_request_changes"),
    path("relectures/<slug:slug>/refuser/", moderation.review_reject, name="review_reject"),
]
