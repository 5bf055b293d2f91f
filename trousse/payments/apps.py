from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "trousse.payments"
    label = "payments"

    def ready(self):
        # Register our Celery tasks in every process, not only in workers: other apps
        # dispatch `trousse.payments.tasks.campaign_refund_all` by name (they must not
        # import us), and Celery's autodiscovery is lazy outside workers.
        from . import receipt_tasks, tasks  # noqa: F401
