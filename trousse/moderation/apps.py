from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "trousse.moderation"
    label = "moderation"
