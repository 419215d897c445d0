FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# fonts-dejavu-core: the PDF reports print names and notes beyond Western European letters.
RUN apt-get update && apt-get install -y --no-install-recommends curl fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Build-time placeholders only: collectstatic needs settings to load, not real secrets.
RUN DJANGO_SETTINGS_MODULE=backend.settings.production SECRET_KEY=build-only-placeholder-key-not-used-at-runtime-0123456789 \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build:6379/0 \
    CACHE_URL=redis://build:6379/1 PUSH_SENDER=console \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 app && mkdir -p var && chown -R app var
USER app
EXPOSE 8000
