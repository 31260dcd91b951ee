# The image docker-compose.yml runs as web, worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMS_VAR_DIR=/tmp/oms
WORKDIR /app
# WeasyPrint lays out the PDF documents with pango (and harfbuzz-subset for font subsets);
# Chinese text needs a CJK font. fontconfig builds the font cache here, not in each process.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fontconfig fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python manage.py compiletranslations && SECRET_KEY=build-only python manage.py collectstatic --noinput
USER nobody
EXPOSE 8000
