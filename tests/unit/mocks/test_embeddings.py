"""Embeddings through the official SDK: fixed dimensions, deterministic, float and base64 agree."""

import math

import openai
import pytest


@pytest.mark.parametrize("model,size", [("text-embedding-3-small", 1536), ("text-embedding-3-large", 3072),
                                        ("text-embedding-ada-002", 1536)])
def test_each_model_has_its_dimension(client, model, size):
    result = client.embeddings.create(model=model, input="meeting notes")
    assert len(result.data[0].embedding) == size
    assert math.isclose(math.fsum(v * v for v in result.data[0].embedding), 1.0, rel_tol=1e-5)


def test_base64_and_float_encodings_give_the_same_vector(client):
    # The SDK asks for base64 and decodes it itself unless a format is given.
    default = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    floats = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"],
                                      encoding_format="float")
    assert [d.embedding for d in default.data] == [d.embedding for d in floats.data]


def test_explicit_base64_returns_a_string(client):
    result = client.embeddings.create(model="text-embedding-3-small", input="alpha", encoding_format="base64")
    assert isinstance(result.data[0].embedding, str)


def test_same_text_same_vector_and_different_text_differs(client):
    one = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "alpha", "gamma"])
    a, b, c = (d.embedding for d in one.data)
    assert a == b != c
    assert [d.index for d in one.data] == [0, 1, 2]
    assert one.usage.prompt_tokens == 3


def test_dimensions_shortens_v3_vectors(client):
    result = client.embeddings.create(model="text-embedding-3-small", input="alpha", dimensions=256)
    assert len(result.data[0].embedding) == 256


def test_ada_refuses_dimensions(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-ada-002", input="alpha", dimensions=256)
    assert caught.value.param == "dimensions"


def test_token_arrays_are_accepted(client):
    result = client.embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3], [4, 5]])
    assert len(result.data) == 2


def test_empty_input_is_a_400_on_input(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-3-small", input="")
    assert caught.value.param == "input"
