"""Local stand-ins for the external services staging talks to: OpenAI and Sentry."""
