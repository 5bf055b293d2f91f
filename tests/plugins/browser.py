"""Playwright driving Debian's chromium against pytest-django's live server (owned by the pages work)."""
