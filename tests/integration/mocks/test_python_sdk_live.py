"""The official openai Python SDK against the running mock (its container, as the stack runs it): tool
calls in chat and Responses, streamed and not, the turn after, `parse` into pydantic models, embeddings
and a transcription. The unit tier checks every shape in depth in-process; this is the same through
the image."""
import io
import json
import wave

import pytest
from openai import OpenAI, pydantic_function_tool

from tests.integration.mocks.conftest import KEY
from tests.integration.mocks.tool_models import ASK, GetWeather, Minutes


@pytest.fixture
def sdk(mock_url):
    with OpenAI(base_url=f"{mock_url}/v1", api_key=KEY, max_retries=0, timeout=30) as client:
        yield client


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_a_chat_tool_call_parses_into_the_model_then_the_turn_after_is_answered(sdk):
    reply = sdk.chat.completions.parse(model="gpt-4o-mini", messages=user(ASK),
                                       tools=[pydantic_function_tool(GetWeather)], tool_choice="required")
    [call] = reply.choices[0].message.tool_calls
    assert isinstance(call.function.parsed_arguments, GetWeather)
    turn = sdk.chat.completions.create(model="gpt-4o-mini", messages=[
        *user(ASK), reply.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"forecast": "sunny"}'}])
    assert turn.choices[0].finish_reason == "stop" and turn.choices[0].message.content


def test_a_streamed_chat_tool_call_adds_up_to_the_plain_one(sdk):
    tools = [pydantic_function_tool(GetWeather)]
    plain = sdk.chat.completions.create(model="gpt-4o-mini", messages=user(ASK), tools=tools, tool_choice="required")
    with sdk.chat.completions.stream(model="gpt-4o-mini", messages=user(ASK), tools=tools,
                                     tool_choice="required") as stream:
        final = stream.get_final_completion()
    [streamed], [whole] = final.choices[0].message.tool_calls, plain.choices[0].message.tool_calls
    assert json.loads(streamed.function.arguments) == json.loads(whole.function.arguments)
    assert isinstance(streamed.function.parsed_arguments, GetWeather)


def test_chat_parse_with_a_schema_gives_the_model(sdk):
    reply = sdk.chat.completions.parse(model="gpt-4o-mini", messages=user("Minutes of the budget review."),
                                       response_format=Minutes)
    assert isinstance(reply.choices[0].message.parsed, Minutes)


@pytest.mark.parametrize("stream", [False, True])
def test_a_responses_function_call_and_text_format(sdk, stream):
    tool = {"type": "function", "name": "get_weather", "strict": True,
            "parameters": {**GetWeather.model_json_schema(), "additionalProperties": False}}
    if stream:
        with sdk.responses.stream(model="gpt-4o-mini", input=ASK, tools=[tool], tool_choice="required") as events:
            response = events.get_final_response()
    else:
        response = sdk.responses.create(model="gpt-4o-mini", input=ASK, tools=[tool], tool_choice="required")
    [call] = [item for item in response.output if item.type == "function_call"]
    GetWeather.model_validate_json(call.arguments)
    parsed = sdk.responses.parse(model="gpt-4o-mini", input="Minutes of the budget review.", text_format=Minutes)
    assert isinstance(parsed.output_parsed, Minutes)


def test_embeddings_and_a_transcription(sdk):
    vectors = sdk.embeddings.create(model="text-embedding-3-small", input=["budget", "launch"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) > 0
    audio = io.BytesIO()
    with wave.open(audio, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000), out.writeframes(b"\0\0" * 1600)
    text = sdk.audio.transcriptions.create(model="whisper-1", file=("chunk.wav", audio.getvalue(), "audio/wav"))
    assert text.text
