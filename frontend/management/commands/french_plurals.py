"""Fill the French catalogue's plural entries from their own source text.

French is the source language, so the French catalogue translates nothing, but
without it gettext applies the source's plural rule by default, English's
(n != 1), and the pages say "0 projets en collecte". French counts 0 as
singular: the catalogue's Plural-Forms says so, and each plural entry gets its
singular and plural text back as its forms. `make messages` runs this after
makemessages; the empty singular entries are left as they are (gettext falls
back to the source text).
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

CATALOGUE = Path(settings.BASE_DIR) / "frontend" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# CLDR's French rule, as Django's own French catalogue has it: 0 and 1 singular, millions apart.
PLURAL_FORMS = "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"
ENTRY = re.compile(r'(?P<singular>msgid (?:".*"\n)+)(?P<plural>msgid_plural (?:".*"\n)+)(?P<forms>(?:msgstr\[\d\] (?:".*"\n)+)+)')


def _forms(match: re.Match) -> str:
    singular = match["singular"][len("msgid ") :]
    plural = match["plural"][len("msgid_plural ") :]
    return match["singular"] + match["plural"] + f"msgstr[0] {singular}msgstr[1] {plural}msgstr[2] {plural}"


def fill(text: str) -> str:
    text = re.sub(r'"Plural-Forms: [^"]*"\n(?:"[^"]*"\n)*?(?="[A-Z]|\n|#|msgid)', f'"Plural-Forms: {PLURAL_FORMS}\\\\n"\n', text, count=1)
    return ENTRY.sub(_forms, text)


class Command(BaseCommand):
    help = "Fill the French catalogue's plural entries (0 is singular in French)."

    def handle(self, *args, **options):
        CATALOGUE.write_text(fill(CATALOGUE.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{CATALOGUE}: plural entries filled")
