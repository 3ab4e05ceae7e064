"""mock-openai: a local OpenAI API that the official SDK cannot tell from the real one."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
