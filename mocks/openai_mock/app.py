"""Build the mock-openai ASGI app: `create_app(Settings(...))` is the one seam tests use."""

from __future__ import annotations

from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.routing import Route

from . import audio, chat, control_api, embeddings, models, responses
from .faults import PROFILES, FaultPlan
from .journal import Journal
from .pipeline import endpoint
from .responses_tools import Remembered
from .settings import Settings, SettingsError


def create_app(settings: Settings | None = None) -> Starlette:
    """Return the mock-openai app for `settings` (from the environment when omitted)."""
    settings = settings or Settings.from_env()
    if settings.profile not in PROFILES:
        known = ", ".join(p for p in PROFILES if p)
        raise SettingsError(f"MOCK_OPENAI_PROFILE={settings.profile!r} is not a profile; known: {known}")
    state = SimpleNamespace(settings=settings, faults=FaultPlan(settings.profile, settings.fault_paths),
                            journal=Journal(settings.journal_size))

    def api(path: str, handler, method: str, body_kind: str | None) -> Route:
        return Route(path, endpoint(state, handler, body_kind), methods=[method])

    routes = [
        api("/v1/models", models.list_models, "GET", None),
        api("/v1/models/{model:path}", models.retrieve_model, "GET", None),
        api("/v1/chat/completions", chat.create, "POST", "json"),
        api("/v1/responses", responses.create, "POST", "json"),
        api("/v1/embeddings", embeddings.create, "POST", "json"),
        api("/v1/audio/transcriptions", audio.transcribe, "POST", "form"),
        Route("/health", control_api.health, methods=["GET"]),
        Route("/_mock/journal", control_api.journal, methods=["GET"]),
        Route("/_mock/journal", control_api.clear_journal, methods=["DELETE"]),
        Route("/_mock/resilience", control_api.resilience, methods=["GET"]),
        Route("/_mock/faults", control_api.get_faults, methods=["GET"]),
        Route("/_mock/faults", control_api.put_faults, methods=["PUT"]),
        Route("/_mock/faults", control_api.clear_faults, methods=["DELETE"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: control_api.not_found,
                                                       405: control_api.not_found,
                                                       Exception: control_api.internal_error})
    app.state.faults, app.state.journal, app.state.settings = state.faults, state.journal, settings
    app.state.responses = Remembered()  # calls of earlier responses, for previous_response_id
    return app
