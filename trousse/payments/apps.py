from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "trousse.payments"
    label = "payments"
