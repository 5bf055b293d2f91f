"""`make bench`: seed PostgreSQL at national scale, serve with gunicorn, measure (see bench/__main__.py)."""
