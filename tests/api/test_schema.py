import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

OURS = ("trousse/campaigns/", "trousse/moderation/", "trousse/accounts/", "CampaignApi", "Review", "Me", "AuthToken")


def test_schema_has_our_operations_and_no_warning_about_them(capsys):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in ("/api/v1/campaigns/", "/api/v1/campaigns/create/", "/api/v1/campaigns/{slug}/review/approve/", "/api/v1/reviews/", "/api/v1/me/", "/api/v1/auth/token/"):
        assert path in paths
    output = capsys.readouterr().err
    ours = [line for line in output.splitlines() if any(marker in line for marker in ("trousse/campaigns/", "trousse/moderation/", "trousse/accounts/"))]
    assert ours == []


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
