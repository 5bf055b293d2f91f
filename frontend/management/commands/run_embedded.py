from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve La Trousse on one machine: the web app on 127.0.0.1:8000 (make run)."

    def handle(self, *args, **options):
        call_command("runserver", "127.0.0.1:8000")
