# La Trousse's production image: web (gunicorn), Celery worker and beat, and,
# for demos without Stripe keys, localstripe. See docs/deploy.md.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # The code runs from /app (templates, static files and catalogues live next to it).
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer survives code changes.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY manage.py ./
COPY config ./config
COPY trousse ./trousse
COPY frontend ./frontend
# `pip install .` registers the project itself; --no-deps: they are installed above.
RUN pip install --no-deps . \
    # Hashed, compressed static files for WhiteNoise. The key only satisfies
    # production.py's refusals during the build: it is not kept in the image.
    && DJANGO_SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
       DJANGO_ALLOWED_HOSTS=build.invalid \
       python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin trousse \
    && mkdir -p /app/var /var/lib/celery \
    && chown -R trousse /app/var /var/lib/celery

USER trousse
EXPOSE 8000
# python -m: the modules under /app win over any installed copy.
CMD ["python", "-m", "gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]
