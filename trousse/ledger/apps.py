from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "trousse.ledger"
    label = "ledger"
