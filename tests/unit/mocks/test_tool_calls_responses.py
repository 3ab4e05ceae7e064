"""Function tools in the Responses API through the official SDK: calls, streams, follow-up turns, echo."""

import json

import jsonschema
import openai
import pytest
from pydantic import BaseModel

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city.", "strict": True,
           "parameters": {"type": "object", "properties": {
               "city": {"type": "string"}, "unit": {"type": ["string", "null"], "enum": ["c", "f", None]}},
               "required": ["city", "unit"], "additionalProperties": False}}
CALENDAR = {"type": "function", "name": "create_event", "parameters": {
    "type": "object", "properties": {"title": {"type": "string"}, "day": {"type": "string", "format": "date"}},
    "required": ["title"]}}
ASK = "Use get_weather for Paris and create_event for the trip."


def ask(client, text=ASK, tools=(WEATHER, CALENDAR), **extra):
    return client.responses.create(model="gpt-4o-mini", input=text, tools=list(tools), **extra)


def test_auto_answers_with_function_call_items_valid_for_their_schemas(client):
    response = ask(client)
    assert [item.type for item in response.output] == ["function_call", "function_call"]
    for item, tool in zip(response.output, (WEATHER, CALENDAR)):
        assert item.name == tool["name"] and item.call_id.startswith("call_") and item.id.startswith("fc_")
        assert item.status == "completed"
        jsonschema.validate(json.loads(item.arguments), tool["parameters"])
    assert response.output_text == ""


def test_the_response_echoes_tools_tool_choice_and_parallel_as_sent(client):
    response = ask(client, tool_choice="required", parallel_tool_calls=False)
    sent = client.responses.with_raw_response.create(model="gpt-4o-mini", input=ASK, tools=[WEATHER, CALENDAR],
                                                     tool_choice="required", parallel_tool_calls=False)
    echoed = json.loads(sent.text)
    assert echoed["tools"] == [WEATHER, CALENDAR] and echoed["tool_choice"] == "required"
    assert echoed["parallel_tool_calls"] is False
    assert [item.name for item in response.output] == ["get_weather"]


@pytest.mark.parametrize("choice,names", [
    ("auto", ["get_weather", "create_event"]),
    ("none", []),
    ({"type": "function", "name": "create_event"}, ["create_event"]),
    ({"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "create_event"}]},
     ["create_event"]),
])
def test_each_tool_choice_decides_what_is_called(client, choice, names):
    response = ask(client, tool_choice=choice)
    assert [item.name for item in response.output if item.type == "function_call"] == names


def test_required_without_a_named_function_calls_the_first(client):
    response = ask(client, "Summarise the budget review.", tool_choice="required")
    assert [item.name for item in response.output] == ["get_weather"]


def test_auto_without_a_named_function_answers_in_text(client):
    response = ask(client, "Summarise the budget review.")
    assert response.output_text.startswith("Summary of a")


def test_function_call_outputs_in_the_input_are_answered_in_text(client):
    first = ask(client)
    items = [{"role": "user", "content": ASK}, *[item.model_dump(exclude_none=True) for item in first.output]]
    items += [{"type": "function_call_output", "call_id": item.call_id, "output": f"done by {item.name}"}
              for item in first.output]
    follow_up = client.responses.create(model="gpt-4o-mini", input=items, tools=[WEATHER, CALENDAR])
    assert "get_weather: done by get_weather" in follow_up.output_text
    assert "create_event: done by create_event" in follow_up.output_text


def test_previous_response_id_carries_the_calls_to_answer(client):
    first = ask(client, tool_choice={"type": "function", "name": "get_weather"})
    call = first.output[0]
    follow_up = client.responses.create(
        model="gpt-4o-mini", previous_response_id=first.id, tools=[WEATHER],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"sunny": true}'}])
    assert follow_up.previous_response_id == first.id
    assert 'get_weather: {"sunny": true}' in follow_up.output_text


def test_an_unknown_previous_response_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-4o-mini", input="hi", previous_response_id="resp_unknown")
    assert caught.value.body["param"] == "previous_response_id"


def test_a_function_call_output_that_answers_no_call_is_a_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input=[
            {"role": "user", "content": "hi"}, {"type": "function_call_output", "call_id": "call_x", "output": "1"}])
    assert "call_x" in caught.value.body["message"] and caught.value.body["param"] == "input"


def test_streamed_calls_send_the_real_event_sequence_and_rebuild_the_plain_response(client):
    plain = ask(client)
    with client.responses.stream(model="gpt-4o-mini", input=ASK, tools=[WEATHER, CALENDAR]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds[-1] == "response.completed"
    assert kinds.count("response.function_call_arguments.done") == 2
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [(e.output_index, e.item.arguments, e.item.status) for e in added] == [(0, "", "in_progress"),
                                                                                (1, "", "in_progress")]
    for index, item in enumerate(plain.output):
        deltas = "".join(e.delta for e in events
                         if e.type == "response.function_call_arguments.delta" and e.output_index == index)
        assert deltas == item.arguments == final.output[index].arguments
        assert final.output[index].call_id == item.call_id


class Weather(BaseModel):
    city: str
    unit: str | None


@pytest.mark.parametrize("make_tool", [openai.pydantic_function_tool, openai.pydantic_responses_function_tool])
def test_parse_gives_pydantic_instances_as_parsed_arguments(client, make_tool):
    response = client.responses.parse(model="gpt-4o-mini", input="get_weather for Lyon",
                                      tools=[make_tool(Weather, name="get_weather")])
    [call] = response.output
    assert isinstance(call.parsed_arguments, Weather)
    assert call.parsed_arguments == Weather.model_validate_json(call.arguments)
