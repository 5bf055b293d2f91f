from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "trousse.privacy"
    label = "privacy"
