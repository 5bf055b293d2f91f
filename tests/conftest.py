import shutil

import pytest
from django.conf import settings
from django.db import connection

from tests import factories

pytest_plugins = ["tests.plugins.localstripe", "tests.plugins.browser", "tests.plugins.s3"]


def _uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (as .ci/run does)")
    no_chromium = shutil.which("chromium") is None and shutil.which("chromium-browser") is None
    skip_e2e = pytest.mark.skip(reason="no chromium on this machine: `apt-get install chromium` (.ci/run does it)")
    for item in items:
        if "postgres" in item.keywords and not _uses_postgres():
            item.add_marker(skip_pg)
        if "e2e" in item.keywords and no_chromium:
            item.add_marker(skip_e2e)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploads of one test never leak into another, nor into var/.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from trousse.campaigns.selectors import campaign_public_ids_forget

    from config import outage

    cache.clear()
    # Each test's rollback frees slugs and ids the next one reuses.
    campaign_public_ids_forget()
    # A service one test made fail is not skipped in the next.
    outage.forget()
    yield


@pytest.fixture
def ad(db):
    return factories.DepartmentalAssociationFactory(number="79", name="OCCE Deux-Sèvres")


@pytest.fixture
def other_ad(db):
    return factories.DepartmentalAssociationFactory(number="84", name="OCCE Vaucluse")


@pytest.fixture
def cooperative(ad):
    return factories.CooperativeFactory(ad=ad)


@pytest.fixture
def teacher(cooperative):
    return factories.teacher_of(cooperative)


@pytest.fixture
def animator(ad):
    return factories.animator_of(ad)


@pytest.fixture
def mandataire(cooperative):
    return factories.mandataire_of(cooperative)


@pytest.fixture
def treasurer(ad):
    return factories.treasurer_of(ad)


@pytest.fixture
def campaign(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher)


__all__ = ["connection"]
