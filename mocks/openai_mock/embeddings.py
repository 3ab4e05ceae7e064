"""POST /v1/embeddings: unit vectors derived from each input's hash, as floats or base64 float32."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response

from . import models, text
from .errors import BadRequest, invalid_type, missing
from .http import json_response

MAX_INPUTS = 2048


def _inputs(raw: object) -> list[str]:
    """Normalize the `input` field (string, strings, tokens or token lists) to a list of strings."""
    if isinstance(raw, str):
        items: list = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(t, int) and not isinstance(t, bool) for t in raw):
        items = [raw]
    elif isinstance(raw, list):
        items = raw
    else:
        raise invalid_type("input", "a string or an array", raw)
    if not items or len(items) > MAX_INPUTS:
        raise BadRequest(f"'$.input' is invalid: expected 1 to {MAX_INPUTS} inputs.", param="input",
                         code="invalid_value")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, list) and item and all(isinstance(t, int) for t in item):
            out.append(" ".join(map(str, item)))
        elif isinstance(item, str) and item:
            out.append(item)
        else:
            raise BadRequest(f"'$.input[{i}]' is invalid: expected a non-empty string or array of tokens.",
                             param="input", code="invalid_value")
    return out


def _dimensions(body: dict, model: str) -> int:
    """Return the vector size: the model's own, or the requested `dimensions` where allowed."""
    native = models.EMBEDDING_DIMENSIONS[model]
    wanted = body.get("dimensions")
    if wanted is None:
        return native
    if model == "text-embedding-ada-002":
        raise BadRequest("This model does not support specifying dimensions.", param="dimensions")
    if not isinstance(wanted, int) or isinstance(wanted, bool) or not 1 <= wanted <= native:
        raise BadRequest(f"Invalid 'dimensions': expected an integer between 1 and {native}.",
                         param="dimensions", code="invalid_value")
    return wanted


async def create(request: Request, body: dict) -> Response:
    """Embed each input deterministically."""
    for field in ("model", "input"):
        if field not in body:
            raise missing(field)
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string", body["model"])
    model = models.require(body["model"], models.EMBEDDING_DIMENSIONS)
    inputs = _inputs(body["input"])
    dimensions = _dimensions(body, model)
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise BadRequest(f"Invalid value: '{encoding}'. Supported values are: 'float' and 'base64'.",
                         param="encoding_format", code="invalid_value")
    data = []
    for index, item in enumerate(inputs):
        values = text.vector(item, dimensions)
        embedding = base64.b64encode(text.pack_float32(values)).decode() if encoding == "base64" else values
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(text.count_tokens(item) for item in inputs)
    reply = {"object": "list", "data": data, "model": model,
             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
    # The journal keeps vector sizes, not vectors: 1000 entries of 3072 floats would cost ~70 MB.
    brief = {**reply, "data": [{"index": d["index"], "dimensions": dimensions, "encoding_format": encoding}
                               for d in data]}
    return json_response(reply, journal=brief)
