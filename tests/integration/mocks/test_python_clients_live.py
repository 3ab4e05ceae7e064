"""LiteLLM and langchain-openai against the running mock: tool calls (chat and Responses, streamed and
not), structured output into pydantic models, embeddings. Each answer is read back through the
client's own types, so a shape the client cannot use fails here."""
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # else LiteLLM fetches its price list at import

import litellm  # noqa: E402
import pytest  # noqa: E402
from langchain_core.messages import ToolMessage  # noqa: E402
from langchain_openai import ChatOpenAI, OpenAIEmbeddings  # noqa: E402

from tests.integration.mocks.conftest import KEY  # noqa: E402
from tests.integration.mocks.tool_models import ASK, GetWeather, Minutes  # noqa: E402


WEATHER_TOOL = {"type": "function", "function": {"name": "GetWeather", "description": GetWeather.__doc__,
                                                 "parameters": GetWeather.model_json_schema()}}


def lite(mock_url: str, **request):
    return litellm.completion(model="openai/gpt-4o-mini", api_base=f"{mock_url}/v1", api_key=KEY, num_retries=0,
                              messages=[{"role": "user", "content": ASK}], **request)


def test_litellm_tool_call_then_the_turn_after(mock_url):
    first = lite(mock_url, tools=[WEATHER_TOOL], tool_choice="required")
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "GetWeather"
    GetWeather.model_validate_json(call.function.arguments)
    turn = [{"role": "user", "content": ASK}, first.choices[0].message.model_dump(),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    after = litellm.completion(model="openai/gpt-4o-mini", api_base=f"{mock_url}/v1", api_key=KEY,
                               num_retries=0, tools=[WEATHER_TOOL], messages=turn)
    assert "GetWeather: sunny" in after.choices[0].message.content


def test_litellm_streamed_tool_call_rebuilds_to_the_same_arguments(mock_url):
    chunks = list(lite(mock_url, tools=[WEATHER_TOOL], tool_choice="required", stream=True))
    rebuilt = litellm.stream_chunk_builder(chunks).choices[0].message.tool_calls[0]
    plain = lite(mock_url, tools=[WEATHER_TOOL], tool_choice="required").choices[0].message.tool_calls[0]
    assert rebuilt.function.name == "GetWeather" and rebuilt.function.arguments == plain.function.arguments


def test_litellm_response_format_from_a_pydantic_model(mock_url):
    reply = lite(mock_url, response_format=Minutes)
    Minutes.model_validate_json(reply.choices[0].message.content)


def test_litellm_embeddings(mock_url):
    result = litellm.embedding(model="openai/text-embedding-3-small", api_base=f"{mock_url}/v1", api_key=KEY,
                               input=["budget review", "launch"])
    assert [len(item["embedding"]) for item in result.data] == [1536, 1536]


@pytest.fixture
def chat(mock_url):
    return ChatOpenAI(model="gpt-4o-mini", base_url=f"{mock_url}/v1", api_key=KEY, max_retries=0)


def test_langchain_bind_tools_then_the_turn_after(chat):
    bound = chat.bind_tools([GetWeather], tool_choice="required")
    message = bound.invoke(ASK)
    [call] = message.tool_calls
    assert call["name"] == "GetWeather"
    GetWeather.model_validate(call["args"])
    after = bound.bind(tool_choice="auto").invoke([("user", ASK), message,
                                                   ToolMessage("sunny", tool_call_id=call["id"])])
    assert "GetWeather: sunny" in after.content


def test_langchain_streamed_tool_call_chunks_add_up(chat):
    bound = chat.bind_tools([GetWeather], tool_choice="required")
    chunks = list(bound.stream(ASK))
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert len(chunks) > 2 and total.tool_calls[0]["args"] == bound.invoke(ASK).tool_calls[0]["args"]


def test_langchain_responses_api_tool_call(mock_url):
    chat = ChatOpenAI(model="gpt-4o-mini", base_url=f"{mock_url}/v1", api_key=KEY, max_retries=0,
                      use_responses_api=True)
    [call] = chat.bind_tools([GetWeather], tool_choice="required").invoke(ASK).tool_calls
    assert call["name"] == "GetWeather"
    GetWeather.model_validate(call["args"])


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_langchain_with_structured_output(chat, method):
    result = chat.with_structured_output(Minutes, method=method).invoke("Minutes of the budget review.")
    assert isinstance(result, Minutes)


def test_langchain_json_mode_parses_a_json_object(chat):
    # json_mode sends `json_object`, which promises valid JSON, not the schema (that is left to the prompt)
    result = chat.with_structured_output(None, method="json_mode").invoke("The budget review, as JSON.")
    assert isinstance(result, dict) and result


def test_langchain_embeddings(mock_url):
    # check_embedding_ctx_length=False: the default counts tokens with tiktoken first, whose encodings
    # are downloaded at first use (not possible offline); the request then carries text, as LiteLLM's does
    embeddings = OpenAIEmbeddings(model="text-embedding-3-small", base_url=f"{mock_url}/v1", api_key=KEY,
                                  check_embedding_ctx_length=False, max_retries=0)
    assert len(embeddings.embed_query("budget review")) == 1536
    assert [len(v) for v in embeddings.embed_documents(["a", "b"])] == [1536, 1536]
