"""Celery tasks for tax receipts (owned by the tax receipts work)."""
