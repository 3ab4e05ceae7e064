"""Chat completions through the official SDK: summaries, determinism, streaming with usage."""

import json

TRANSCRIPT = (
    "Alice: The launch moves to March. Bob: Then the budget review happens first. "
    "Alice: Agreed, the budget review is on Monday and Bob owns the launch checklist."
)


def summarize(client, text=TRANSCRIPT, **extra):
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Summarize the meeting."}, {"role": "user", "content": text}],
        **extra,
    )


def test_summary_is_built_from_the_transcript_words(client):
    reply = summarize(client)
    content = reply.choices[0].message.content
    assert reply.object == "chat.completion" and reply.model == "gpt-4o-mini"
    assert "Key topics: alice, launch, bob, budget, review." in content
    assert content.startswith("Summary of a 27-word transcript.")
    assert reply.choices[0].finish_reason == "stop"


def test_the_same_request_gives_the_same_answer(client):
    first, second = summarize(client), summarize(client)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert first.usage == second.usage
    assert first.id != second.id


def test_a_different_transcript_gives_a_different_summary(client):
    other = summarize(client, "Carol: the hiring plan needs a recruiter and a hiring budget.")
    assert other.choices[0].message.content != summarize(client).choices[0].message.content
    assert "hiring" in other.choices[0].message.content


def test_usage_counts_are_consistent(client):
    usage = summarize(client).usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens > len(TRANSCRIPT.split())


def test_stream_carries_the_same_text_and_ends_with_usage(client):
    chunks = list(summarize(client, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == summarize(client).choices[0].message.content
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == summarize(client).usage


def test_stream_without_include_usage_has_no_usage(client):
    chunks = list(summarize(client, stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_stream_helper_accumulates_the_final_completion(client):
    with client.chat.completions.stream(model="gpt-4o-mini", messages=[{"role": "user", "content": TRANSCRIPT}]) as s:
        final = s.get_final_completion()
    assert final.choices[0].message.content == summarize(client).choices[0].message.content


def test_max_tokens_truncates_with_finish_reason_length(client):
    reply = summarize(client, max_completion_tokens=5)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 5


def test_json_mode_answers_parseable_json(client):
    reply = client.chat.completions.create(
        model="gpt-4o-mini", response_format={"type": "json_object"},
        messages=[{"role": "system", "content": "Summarize the meeting as JSON."},
                  {"role": "user", "content": TRANSCRIPT}])
    data = json.loads(reply.choices[0].message.content)
    assert data["topics"][:2] == ["alice", "launch"]


def test_models_can_be_listed_and_retrieved(client):
    ids = [m.id for m in client.models.list()]
    assert {"gpt-4o-mini", "whisper-1", "text-embedding-3-small"} <= set(ids)
    assert client.models.retrieve("whisper-1").owned_by == "openai-internal"
