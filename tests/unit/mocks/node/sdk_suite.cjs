// The official OpenAI Node SDK (6.x) against the mock: tools, streams, parse helpers, Responses.
// Run by tests/unit/mocks/test_node_sdk.py: `node sdk_suite.cjs BASE_URL` with NODE_PATH at its node_modules.
"use strict";
const assert = require("node:assert/strict");
const OpenAI = require("openai").default;
const { toFile } = require("openai");
const { zodResponseFormat, zodFunction, zodTextFormat, zodResponsesFunction } = require("openai/helpers/zod");
const { z } = require("zod");

const client = new OpenAI({ baseURL: `${process.argv[2]}/v1`, apiKey: "sk-staging-local", maxRetries: 0, timeout: 10000 });
const model = "gpt-4o-mini";
const Weather = z.object({ city: z.string(), days: z.number().int().min(1).max(7), unit: z.enum(["c", "f"]) });
const Minutes = z.object({ title: z.string(), decisions: z.array(z.string()), owner: z.string().nullable() });
const ask = "Use get_weather for Paris this week.";
const weatherTool = { type: "function", function: { name: "get_weather", parameters: {
  type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
const checks = {};

checks["chat completion"] = async () => {
  const completion = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Budget on Monday." }] });
  assert.equal(completion.object, "chat.completion");
  assert.equal(completion.choices[0].finish_reason, "stop");
  assert.ok(completion.choices[0].message.content.length > 0 && completion.usage.total_tokens > 0);
};

checks["chat stream with usage"] = async () => {
  const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true },
    messages: [{ role: "user", content: "Budget on Monday." }] });
  let text = "", usage = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content || "";
    usage = chunk.usage || usage;
  }
  assert.ok(text.length > 0 && usage.total_tokens > 0);
};

checks["transcription"] = async () => {
  const file = await toFile(Buffer.alloc(4000), "part-1.mp3", { type: "audio/mpeg" });
  const result = await client.audio.transcriptions.create({ model: "whisper-1", file });
  assert.ok(typeof result.text === "string" && result.text.length > 0);
};

checks["a wrong key is a 401 AuthenticationError"] = async () => {
  const wrong = new OpenAI({ baseURL: client.baseURL, apiKey: "sk-wrong-key-0000", maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (error) => error instanceof OpenAI.AuthenticationError
    && error.code === "invalid_api_key");
};

checks["an unknown model is a 404 NotFoundError"] = async () => {
  await assert.rejects(client.models.retrieve("no-such-model"), (error) => error instanceof OpenAI.NotFoundError);
};

checks["a 429 is a RateLimitError after the SDK's own retry, honouring retry-after-ms"] = async () => {
  const retrying = new OpenAI({ baseURL: client.baseURL, apiKey: "sk-staging-local", maxRetries: 1 });
  const since = Date.now() / 1000;
  await assert.rejects(retrying.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] },
    { headers: { "X-Mock-Fault": "429:0.3" } }),
  (error) => error instanceof OpenAI.RateLimitError && error.headers.get("retry-after-ms") === "300");
  const verdict = await (await fetch(`${process.argv[2]}/_mock/resilience?since=${since}&budget=1`)).json();
  const lines = Object.fromEntries(verdict.lines.map((line) => [line.check, line]));
  assert.equal(verdict.retries, 1);
  assert.equal(lines.retry_after.result, "passed", lines.retry_after.evidence);
  assert.equal(lines.budget.result, "passed", lines.budget.evidence);
};

checks["chat tool call, then the turn after"] = async () => {
  const first = await client.chat.completions.create({ model, tools: [weatherTool],
    messages: [{ role: "user", content: ask }] });
  const message = first.choices[0].message;
  assert.equal(first.choices[0].finish_reason, "tool_calls");
  assert.equal(message.tool_calls[0].function.name, "get_weather");
  assert.equal(typeof JSON.parse(message.tool_calls[0].function.arguments).city, "string");
  const next = await client.chat.completions.create({ model, tools: [weatherTool], messages: [
    { role: "user", content: ask }, message,
    { role: "tool", tool_call_id: message.tool_calls[0].id, content: "sunny" }] });
  assert.match(next.choices[0].message.content, /get_weather: sunny/);
};

checks["chat stream() helper accumulates tool calls"] = async () => {
  const stream = client.chat.completions.stream({ model, tools: [weatherTool],
    messages: [{ role: "user", content: ask }] });
  let deltas = 0;
  stream.on("tool_calls.function.arguments.delta", () => { deltas += 1; });
  const final = await stream.finalChatCompletion();
  const plain = await client.chat.completions.create({ model, tools: [weatherTool],
    messages: [{ role: "user", content: ask }] });
  assert.ok(deltas > 1);
  assert.equal(final.choices[0].message.tool_calls[0].function.arguments,
    plain.choices[0].message.tool_calls[0].function.arguments);
};

checks["chat parse with zodResponseFormat"] = async () => {
  const completion = await client.chat.completions.parse({ model, messages: [{ role: "user", content: ask }],
    response_format: zodResponseFormat(Minutes, "minutes") });
  const parsed = completion.choices[0].message.parsed;
  assert.deepEqual(Minutes.parse(parsed), parsed);
};

checks["chat parse with zodFunction"] = async () => {
  const completion = await client.chat.completions.parse({ model, messages: [{ role: "user", content: ask }],
    tools: [zodFunction({ name: "get_weather", parameters: Weather })] });
  const args = completion.choices[0].message.tool_calls[0].function.parsed_arguments;
  assert.deepEqual(Weather.parse(args), args);
};

checks["chat stream() with a response format parses the content"] = async () => {
  const stream = client.chat.completions.stream({ model, messages: [{ role: "user", content: ask }],
    response_format: zodResponseFormat(Minutes, "minutes") });
  const final = await stream.finalChatCompletion();
  assert.deepEqual(Minutes.parse(final.choices[0].message.parsed), final.choices[0].message.parsed);
};

checks["responses function call, stream and parse"] = async () => {
  const tools = [zodResponsesFunction({ name: "get_weather", parameters: Weather })];
  const response = await client.responses.parse({ model, input: ask, tools });
  const call = response.output[0];
  assert.equal(call.type, "function_call");
  assert.deepEqual(Weather.parse(call.parsed_arguments), call.parsed_arguments);
  assert.equal(response.tools[0].name, "get_weather");
  const stream = client.responses.stream({ model, input: ask, tools });
  const kinds = [];
  stream.on("event", (event) => kinds.push(event.type));
  const final = await stream.finalResponse();
  assert.ok(kinds.includes("response.function_call_arguments.delta"));
  assert.equal(final.output[0].arguments, call.arguments);
  const next = await client.responses.create({ model, previous_response_id: response.id,
    input: [{ type: "function_call_output", call_id: call.call_id, output: "rain" }] });
  assert.match(next.output_text, /get_weather: rain/);
};

checks["responses parse with zodTextFormat"] = async () => {
  const response = await client.responses.parse({ model, input: ask, text: { format: zodTextFormat(Minutes, "minutes") } });
  assert.deepEqual(Minutes.parse(response.output_parsed), response.output_parsed);
  assert.equal(response.text.format.name, "minutes");
};

checks["embeddings"] = async () => {
  const result = await client.embeddings.create({ model: "text-embedding-3-small", input: "budget review" });
  assert.equal(result.data[0].embedding.length, 1536);
};

checks["an invalid strict schema is a 400 BadRequestError with its param"] = async () => {
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }],
    response_format: { type: "json_schema", json_schema: { name: "x", strict: true, schema: { type: "object",
      properties: { a: { type: "string" } } } } } }),
  (error) => error instanceof OpenAI.BadRequestError && error.param === "response_format");
};

checks["a tool message that answers no call is a 400"] = async () => {
  await assert.rejects(client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" },
    { role: "tool", tool_call_id: "call_none", content: "x" }] }),
  (error) => error.status === 400 && /preceeding message with 'tool_calls'/.test(error.message));
};

(async () => {
  const results = {};
  for (const [name, check] of Object.entries(checks)) {
    try {
      await check();
      results[name] = "ok";
    } catch (error) {
      results[name] = String(error && error.stack || error).split("\n").slice(0, 4).join(" | ");
    }
  }
  console.log(JSON.stringify(results));
})();
