from django.urls import path

from . import apis

urlpatterns = [
    path("reviews/", apis.ReviewQueueApi.as_view(), name="review-queue"),
    path("campaigns/<slug:slug>/review/approve/", apis.ReviewApproveApi.as_view(), name="review-approve"),
    path("campaigns/<slug:slug>/review/request-changes/", apis.ReviewRequestChangesApi.as_view(), name="review-request-changes"),
    path("campaigns/<slug:slug>/review/reject/", apis.ReviewRejectApi.as_view(), name="review-reject"),
    path("campaigns/<slug:slug>/review/diff/", apis.CampaignDiffApi.as_view(), name="review-diff"),
    path("campaigns/<slug:slug>/review/revision/", apis.CampaignRevisionApi.as_view(), name="review-revision"),
    path("campaigns/<slug:slug>/review/comments/", apis.ReviewCommentsApi.as_view(), name="review-comments"),
    path("campaigns/<slug:slug>/audit/", apis.CampaignAuditTrailApi.as_view(), name="campaign-audit"),
]
