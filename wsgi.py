"""WSGI entry point: ``gunicorn wsgi:app``. The only place an app is made at import time."""
from civicsante import create_app

app = create_app()
