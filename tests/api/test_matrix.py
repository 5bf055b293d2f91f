"""Every role against every campaign and moderation endpoint: allowed, 403 (may know, may not act), 404 (may not know)."""

import datetime

import pytest
from django.utils import timezone

from trousse.campaigns.models import Status

from ..campaigns.conftest import jpeg_upload
from .conftest import ROLES, client_for

pytestmark = pytest.mark.django_db


def _in(days):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _create_payload(world):
    return {
        "cooperative": world.cooperative.pk,
        "title": "Jardin potager",
        "summary": "Un potager dans la cour.",
        "description": "Des **graines** et des outils.",
        "theme": "environment",
        "school_level": "maternelle",
        "pupils_count": 20,
        "minimum_goal_cents": 30_000,
        "optimum_goal_cents": 40_000,
        "start_date": _in(2),
        "deadline": _in(30),
        "budget_lines": [{"label": "Outils", "category": "equipment", "amount_cents": 40_000}],
    }


# Expected status per role, in the order of ROLES:
#            anonymous teacher other_teacher mandataire animator other_animator treasurer admin
PRIVATE_READ = [404, 200, 404, 200, 200, 404, 200, 200]
TEACHER_WRITE = [403, 200, 404, 403, 403, 404, 403, 200]
REVIEWER_WRITE = [403, 403, 404, 403, 200, 404, 403, 200]
INSIDER_READ = [403, 200, 404, 200, 200, 404, 200, 200]

# name: (campaign status or None, method, path after /api/v1/, payload builder, expected per role)
CASES = {
    "public list": (None, "get", "campaigns/", None, [200] * 8),
    "create": (None, "post", "campaigns/create/", _create_payload, [403, 201, 403, 403, 403, 403, 403, 201]),
    "my campaigns": (None, "get", "me/campaigns/", None, [403] + [200] * 7),
    "me": (None, "get", "me/", None, [403] + [200] * 7),
    "detail of a draft": (Status.DRAFT, "get", "campaigns/{slug}/", None, PRIVATE_READ),
    "detail of a live campaign": (Status.LIVE, "get", "campaigns/{slug}/", None, [200] * 8),
    "update a draft": (Status.DRAFT, "patch", "campaigns/{slug}/update/", lambda w: {"summary": "Nouveau résumé"}, TEACHER_WRITE),
    # 202: the change waits for the animator, the live campaign stays as approved.
    "update a live campaign": (Status.LIVE, "patch", "campaigns/{slug}/update/", lambda w: {"summary": "Nouveau résumé"}, [403, 202, 403, 403, 403, 403, 403, 202]),
    "submit": (Status.DRAFT, "post", "campaigns/{slug}/submit/", None, TEACHER_WRITE),
    "cancel": (Status.DRAFT, "post", "campaigns/{slug}/cancel/", lambda w: {"reason": "La sortie est annulée."}, TEACHER_WRITE),
    "add a picture": (
        Status.DRAFT,
        "post",
        "campaigns/{slug}/images/",
        lambda w: {"upload": jpeg_upload(), "alt_text": "Le potager", "consent_confirmed": "true"},
        [403, 201, 404, 403, 403, 404, 403, 201],
    ),
    "remove a picture": (Status.DRAFT, "delete", "campaigns/{slug}/images/{image}/", None, [403, 204, 404, 403, 403, 404, 403, 204]),
    "post news": (Status.LIVE, "post", "campaigns/{slug}/news/", lambda w: {"title": "Les semis", "body": "Ils poussent !"}, [403, 201, 403, 403, 403, 403, 403, 201]),
    "grant the goal exception": (Status.DRAFT, "post", "campaigns/{slug}/goal-exception/", lambda w: {"granted": True}, [403, 403, 404, 403, 200, 404, 200, 200]),
    "review queue": (None, "get", "reviews/", None, [403, 403, 403, 403, 200, 200, 403, 200]),
    "approve": (Status.SUBMITTED, "post", "campaigns/{slug}/review/approve/", lambda w: {"comment": "Bravo"}, REVIEWER_WRITE),
    "request changes": (Status.SUBMITTED, "post", "campaigns/{slug}/review/request-changes/", lambda w: {"field_comments": {"summary": "Trop court"}}, REVIEWER_WRITE),
    "reject": (Status.SUBMITTED, "post", "campaigns/{slug}/review/reject/", lambda w: {"reason": "Hors cadre"}, REVIEWER_WRITE),
    "diff": (Status.SUBMITTED, "get", "campaigns/{slug}/review/diff/", None, [403, 200, 404, 403, 200, 404, 403, 200]),
    "review comments": (Status.SUBMITTED, "get", "campaigns/{slug}/review/comments/", None, INSIDER_READ),
    "audit trail": (Status.SUBMITTED, "get", "campaigns/{slug}/audit/", None, INSIDER_READ),
    "audit trail of a live campaign": (Status.LIVE, "get", "campaigns/{slug}/audit/", None, [403, 200, 403, 200, 200, 403, 200, 200]),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", list(CASES))
def test_matrix(world, case, role):
    status, method, path, payload, expected = CASES[case]
    expected = dict(zip(ROLES, expected, strict=True))[role]
    values = {}
    if status is not None:
        campaign = world.campaign(status)
        values["slug"] = campaign.slug
        if "{image}" in path:
            values["image"] = world.image(campaign).pk
    data = payload(world) if payload else None
    client = client_for(world.users[role])
    kwargs = {"format": "multipart" if case == "add a picture" else "json"} if data is not None else {}
    response = getattr(client, method)("/api/v1/" + path.format(**values), data, **kwargs)
    assert response.status_code == expected, (case, role, response.status_code, getattr(response, "data", None))
    if expected >= 400:
        # Refusals say why, in words; they never leak the campaign.
        assert "detail" in response.data
        if expected == 404 and status is not None:
            assert campaign.title not in str(response.data)
