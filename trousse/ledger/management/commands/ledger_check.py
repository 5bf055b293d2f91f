"""`python manage.py ledger_check`: proves the books hold, or prints every place they do not."""

from django.core.management.base import BaseCommand, CommandError

from trousse.ledger.selectors import ledger_check_problems


class Command(BaseCommand):
    help = "Compares every campaign's raised amount with the ledger and checks every transaction sums to zero."

    def handle(self, *args, **options):
        problems = ledger_check_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} mismatch(es) between the ledger and the pages")
        self.stdout.write("ledger ok")
