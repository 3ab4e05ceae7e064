"""Tool calls in chat completions through the official SDK: when the mock calls, what, and the turn after."""

import json

import jsonschema
import pytest
from openai import pydantic_function_tool
from pydantic import BaseModel, Field

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "when": {"type": "string", "format": "date"},
                "stations": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string", "pattern": "^[A-Z]{4}$"}, "lat": {"type": "number", "minimum": -90,
                                                                              "maximum": 90}},
                    "required": ["id", "lat"], "additionalProperties": False}, "minItems": 1, "maxItems": 2},
            },
            "required": ["city", "unit", "days"],
        },
    },
}
CALENDAR = {"type": "function", "function": {"name": "create_event", "parameters": {
    "type": "object", "properties": {"title": {"type": "string"}, "attendees": {"type": "array", "items": {
        "type": "string", "format": "email"}}}, "required": ["title", "attendees"],
    "additionalProperties": False}, "strict": True}}
NO_PARAMETERS = {"type": "function", "function": {"name": "ping"}}
ASK = "What is the weather in Paris this week? Use get_weather."


def ask(client, content=ASK, tools=(WEATHER, CALENDAR), **extra):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": content}],
                                          tools=list(tools), **extra)


def parameters(name):
    return next(t["function"]["parameters"] for t in (WEATHER, CALENDAR) if t["function"]["name"] == name)


def test_auto_calls_the_function_the_user_names_with_arguments_valid_for_its_schema(client):
    reply = ask(client)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, parameters("get_weather"))
    assert set(arguments) == set(parameters("get_weather")["properties"])
    assert arguments["unit"] in ("celsius", "fahrenheit") and 1 <= arguments["days"] <= 7
    assert "paris" in arguments["city"] or "weather" in arguments["city"]  # words of the request
    assert reply.usage.completion_tokens > 0


def test_the_same_request_gets_the_same_calls_and_another_request_other_arguments(client):
    first, second = ask(client), ask(client)
    assert first.choices[0].message.tool_calls == second.choices[0].message.tool_calls
    other = ask(client, "Use get_weather for the Lisbon budget meeting, please.")
    assert other.choices[0].message.tool_calls[0].function.arguments != \
        first.choices[0].message.tool_calls[0].function.arguments


def test_auto_without_a_named_function_answers_in_text(client):
    reply = ask(client, "Summarise the budget review.")
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content.startswith("Summary of a")


def test_a_name_written_with_spaces_counts_as_asking_for_it(client):
    reply = ask(client, "please create event: the launch review")
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["create_event"]


def test_required_calls_the_first_function_when_none_is_named(client):
    reply = ask(client, "Summarise the budget review.", tool_choice="required")
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["get_weather"]


def test_a_named_tool_choice_calls_exactly_that_function(client):
    reply = ask(client, tool_choice={"type": "function", "function": {"name": "create_event"}})
    [call] = reply.choices[0].message.tool_calls
    assert call.function.name == "create_event"
    jsonschema.validate(json.loads(call.function.arguments), parameters("create_event"))


def test_none_never_calls(client):
    reply = ask(client, tool_choice="none")
    assert reply.choices[0].message.tool_calls is None and reply.choices[0].finish_reason == "stop"


def test_parallel_calls_for_every_named_function_unless_parallel_is_off(client):
    text = "Use get_weather for Paris and then create_event for the trip."
    both = ask(client, text)
    assert [c.function.name for c in both.choices[0].message.tool_calls] == ["get_weather", "create_event"]
    assert len({c.id for c in both.choices[0].message.tool_calls}) == 2
    one = ask(client, text, parallel_tool_calls=False)
    assert [c.function.name for c in one.choices[0].message.tool_calls] == ["get_weather"]


def test_a_function_without_parameters_is_called_with_an_empty_object(client):
    reply = ask(client, "ping the server", tools=[NO_PARAMETERS])
    assert reply.choices[0].message.tool_calls[0].function.arguments == "{}"


def test_the_tool_results_turn_is_answered_in_text(client):
    first = ask(client)
    message = first.choices[0].message
    follow_up = client.chat.completions.create(model="gpt-4o-mini", tools=[WEATHER, CALENDAR], messages=[
        {"role": "user", "content": ASK},
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": '{"temperature": 21}'},
    ])
    choice = follow_up.choices[0]
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert 'get_weather: {"temperature": 21}' in choice.message.content


@pytest.mark.parametrize("parallel", [True, False])
def test_streamed_calls_rebuild_to_the_plain_answer(client, parallel):
    text = "Use get_weather for Paris and then create_event for the trip."
    chunks = list(ask(client, text, stream=True, parallel_tool_calls=parallel))
    plain = ask(client, text, parallel_tool_calls=parallel).choices[0].message.tool_calls
    first_delta = chunks[0].choices[0].delta
    assert first_delta.role == "assistant" and first_delta.tool_calls[0].index == 0
    assert first_delta.tool_calls[0].id == plain[0].id and first_delta.tool_calls[0].function.arguments == ""
    rebuilt: dict[int, dict] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = rebuilt.setdefault(delta.index, {"id": delta.id, "name": delta.function.name, "arguments": ""})
            call["arguments"] += delta.function.arguments or ""
    assert [(c["id"], c["name"], c["arguments"]) for c in rebuilt.values()] == \
        [(c.id, c.function.name, c.function.arguments) for c in plain]
    assert sum(len(c.choices[0].delta.tool_calls or []) for c in chunks) > len(plain)  # fragments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_stream_helper_gives_the_calls_and_their_parsed_arguments(client):
    with client.chat.completions.stream(model="gpt-4o-mini", tools=[CALENDAR],
                                        messages=[{"role": "user", "content": "create_event for the launch"}]) as s:
        events = [e.type for e in s]
        final = s.get_final_completion()
    assert "tool_calls.function.arguments.delta" in events and "tool_calls.function.arguments.done" in events
    call = final.choices[0].message.tool_calls[0]
    assert call.function.parsed_arguments == json.loads(call.function.arguments)


class Lookup(BaseModel):
    """Look up an order."""

    order_id: str = Field(pattern=r"^ORD-\d{4}$")
    priority: int = Field(ge=1, le=3)
    gift: bool
    notes: list[str]


def test_parse_with_a_pydantic_function_tool_gives_the_model_instance(client):
    completion = client.chat.completions.parse(
        model="gpt-4o-mini", tools=[pydantic_function_tool(Lookup)],
        messages=[{"role": "user", "content": "Please Lookup the order of the launch kit"}])
    call = completion.choices[0].message.tool_calls[0]
    assert isinstance(call.function.parsed_arguments, Lookup)
    assert call.function.parsed_arguments.order_id.startswith("ORD-")


def test_another_mock_process_gives_the_same_calls(client, start_mock):
    from openai import OpenAI

    from tests.unit.mocks.conftest import API_KEY

    with OpenAI(base_url=f"{start_mock()}/v1", api_key=API_KEY, timeout=10) as other:
        assert ask(other).choices[0].message.tool_calls == ask(client).choices[0].message.tool_calls
