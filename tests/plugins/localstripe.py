"""A localstripe server over HTTP for the tests that need Stripe (owned by the payments work).

One server per test session, so one per xdist worker, each on its own free port
with its own state file. Tests marked `localstripe` (or asking for the
`localstripe` fixture) get the settings pointed at it.
"""

import pytest

from trousse.payments import localstripe_server


@pytest.fixture(scope="session")
def localstripe_base_url(tmp_path_factory):
    port = localstripe_server.free_port()
    state_file = str(tmp_path_factory.mktemp("localstripe") / "state.pickle")
    process = localstripe_server.start_subprocess(port=port, state_file=state_file)
    try:
        yield localstripe_server.base_url(port)
    finally:
        localstripe_server.stop_subprocess(process)


@pytest.fixture
def localstripe(localstripe_base_url, settings):
    """The base URL of this worker's localstripe, with the Stripe settings pointing at it."""
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_localstripe"
    settings.STRIPE_API_BASE = localstripe_base_url
    settings.STRIPE_JS_URL = f"{localstripe_base_url}/js.stripe.com/v3/"
    settings.USES_LOCALSTRIPE = True
    return localstripe_base_url


@pytest.fixture(autouse=True)
def _localstripe_for_marked_tests(request):
    if request.node.get_closest_marker("localstripe"):
        request.getfixturevalue("localstripe")
