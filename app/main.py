"""WSGI entry point for gunicorn (`main:app`) and the flask CLI (`flask --app main ...`)."""
from mina import create_app  # first import: mina.green sets PSYCOPG_WAIT_FUNC

app = create_app()
