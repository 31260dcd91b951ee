# The image docker-compose.yml runs as web, worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMS_VAR_DIR=/tmp/oms
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python manage.py compiletranslations && SECRET_KEY=build-only python manage.py collectstatic --noinput
USER nobody
EXPOSE 8000
