import pytest

from tests import factories
from trousse.campaigns.models import Status


@pytest.fixture
def live_campaign(cooperative, teacher):
    return factories.CampaignFactory(cooperative=cooperative, teacher=teacher, status=Status.LIVE)


def donation_form(**overrides) -> dict:
    data = {
        "amount_choice": "other",
        "amount_other": "50",
        "method": "card",
        "donor_type": "individual",
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille.martin@example.org",
        "wants_tax_receipt": "1",
        "address_line": "3 rue des Écoles",
        "postal_code": "79000",
        "city": "Niort",
        "public_message": "Bon voyage à la classe !",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
