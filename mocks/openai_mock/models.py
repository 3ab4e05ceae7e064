"""The model catalog: which model ids exist and what each one can do."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .errors import NotFound
from .http import json_response

CREATED = 1_700_000_000  # fixed so /v1/models is byte-identical across runs

CHAT_MODELS = frozenset({"gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5",
                         "gpt-5-mini", "gpt-5-nano", "o3-mini", "o4-mini", "gpt-3.5-turbo"})
EMBEDDING_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
                        "text-embedding-ada-002": 1536}
TRANSCRIPTION_MODELS = frozenset({"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"})
ALL_MODELS = sorted(CHAT_MODELS | set(EMBEDDING_DIMENSIONS) | TRANSCRIPTION_MODELS)


def model_object(model_id: str) -> dict:
    """Return the API's Model object for an id."""
    owner = "openai-internal" if model_id == "whisper-1" else "system"
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": owner}


def require(model: str, family: frozenset[str] | dict) -> str:
    """Return `model` if it belongs to `family`, else raise the real API's 404."""
    if model not in family:
        raise NotFound(
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return model


async def list_models(request: Request, body: None) -> Response:
    """GET /v1/models: every model the mock serves."""
    return json_response({"object": "list", "data": [model_object(m) for m in ALL_MODELS]})


async def retrieve_model(request: Request, body: None) -> Response:
    """GET /v1/models/{model}: one model, or 404."""
    model = request.path_params["model"]
    return json_response(model_object(require(model, frozenset(ALL_MODELS))))
