import datetime

import pytest
from django.utils import timezone

from tests import factories
from trousse.campaigns import services
from trousse.campaigns.models import Status
from trousse.campaigns.tasks import campaigns_advance_by_date as advance_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_refund_dispatch(monkeypatch):
    monkeypatch.setattr(services, "_dispatch_by_name", lambda name, *args: None)


def test_approved_campaigns_go_live_on_their_start_date_and_end_after_their_deadline(cooperative, teacher):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    starting = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED, start_date=today, deadline=today + 30 * day)
    later = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED, start_date=today + day, deadline=today + 30 * day)
    last_day = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, start_date=today - 10 * day, deadline=today)
    over = factories.CampaignFactory(
        cooperative=cooperative, teacher=teacher, status=Status.LIVE, start_date=today - 10 * day, deadline=today - day, raised_cents=100_000
    )
    short = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE, start_date=today - 10 * day, deadline=today - day)
    draft = factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.DRAFT, start_date=today)

    assert services.campaigns_advance_by_date(today=today) == {"started": 1, "ended": 2}
    for campaign, status in [(starting, Status.LIVE), (later, Status.APPROVED), (last_day, Status.LIVE), (over, Status.SUCCEEDED), (short, Status.FAILED), (draft, Status.DRAFT)]:
        campaign.refresh_from_db()
        assert campaign.status == status, campaign
    # A second run finds nothing to do.
    assert services.campaigns_advance_by_date(today=today) == {"started": 0, "ended": 0}


def test_the_celery_task_runs_the_same_job(cooperative, teacher):
    factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.APPROVED, start_date=timezone.localdate())
    assert advance_task.delay().get() == {"started": 1, "ended": 0}
