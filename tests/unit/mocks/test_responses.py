"""The Responses API through the official SDK, plain and streamed."""

TEXT = "The budget review moved to Monday; the launch checklist belongs to Bob."


def test_response_text_is_the_summary_of_the_input(client):
    response = client.responses.create(model="gpt-4o-mini", input=TEXT)
    chat = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": TEXT}])
    assert response.status == "completed"
    assert response.output_text == chat.choices[0].message.content
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_input_items_use_the_last_user_turn(client):
    items = [{"role": "user", "content": "ignore this"},
             {"role": "user", "content": [{"type": "input_text", "text": TEXT}]}]
    response = client.responses.create(model="gpt-4o-mini", input=items, instructions="Be brief.")
    assert response.output_text == client.responses.create(model="gpt-4o-mini", input=TEXT).output_text


def test_stream_events_rebuild_the_final_response(client):
    with client.responses.stream(model="gpt-4o-mini", input=TEXT) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == final.output_text == client.responses.create(model="gpt-4o-mini", input=TEXT).output_text


def test_raw_stream_flag_yields_typed_events(client):
    events = list(client.responses.create(model="gpt-4o-mini", input=TEXT, stream=True))
    assert events[-1].response.usage.output_tokens > 0


def test_max_output_tokens_makes_the_response_incomplete(client):
    response = client.responses.create(model="gpt-4o-mini", input=TEXT, max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
