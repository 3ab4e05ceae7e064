"""sentry-sink: accepts what sentry-sdk sends and keeps the events for tests and the gate to read."""

from .app import create_app

__all__ = ["create_app"]
