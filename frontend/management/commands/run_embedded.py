import os
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config.embedded_beat import EmbeddedBeat
from trousse.payments import localstripe_server

HOST, PORT = "127.0.0.1", 8000


def _answers(api_base: str) -> bool:
    try:
        with urllib.request.urlopen(api_base.rstrip("/") + "/js.stripe.com/v3/", timeout=1):
            return True
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Command(BaseCommand):
    help = "Serve La Trousse on one machine: localstripe on 127.0.0.1:8420 (with no Stripe key), the web app on 127.0.0.1:8000 (make run)."

    def add_arguments(self, parser):
        parser.add_argument("--noreload", action="store_true", help="Do not restart the web app when the code changes.")

    def handle(self, *args, **options):
        process = None
        # With the autoreloader, this command runs again in a child process (RUN_MAIN=true):
        # localstripe belongs to the parent, which lives as long as the whole session.
        is_reloader_child = os.environ.get("RUN_MAIN") == "true"
        if settings.USES_LOCALSTRIPE and not is_reloader_child:
            api_base = settings.STRIPE_API_BASE
            port = urlsplit(api_base).port or 8420
            if _answers(api_base):
                self.stdout.write(f"localstripe already answers on {api_base}: reusing it.")
            else:
                state_file = str(settings.VAR_DIR / "localstripe.pickle")
                process = localstripe_server.start_subprocess(port=port, state_file=state_file)
                self.stdout.write(f"localstripe started on {api_base} (state in {state_file}).")
            # Registrations vanish when localstripe restarts: register at every start.
            webhook_url = f"http://{HOST}:{PORT}/payments/stripe/webhook/"
            localstripe_server.register_webhook(api_base=api_base, url=webhook_url, secret=settings.STRIPE_WEBHOOK_SECRET)
            self.stdout.write(f"localstripe posts its events to {webhook_url}.")
        serving_process = is_reloader_child or options["noreload"]
        if settings.CELERY_TASK_ALWAYS_EAGER and serving_process:
            # No beat process on one machine: the periodic jobs run in a thread here.
            EmbeddedBeat().start()
        try:
            call_command("runserver", f"{HOST}:{PORT}", use_reloader=not options["noreload"])
        finally:
            if process is not None:
                localstripe_server.stop_subprocess(process)
                self.stdout.write("localstripe stopped.")
