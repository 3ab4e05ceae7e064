// Drives @sentry/node against the sink: a traced request with a failing database span and an error.
// Env: SENTRY_DSN (the sink), SENTRY_SPOTLIGHT (optional: the sink's /stream). Prints the ids it used.
const Sentry = require("@sentry/node");

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  spotlight: process.env.SENTRY_SPOTLIGHT || false,
  tracesSampleRate: 1.0,
  environment: "staging",
  release: "mina@node-test",
  debug: !!process.env.SENTRY_NODE_DEBUG,
});

(async () => {
  const ids = {};
  await Sentry.startSpan(
    { name: "GET /meetings", op: "http.server", attributes: { "http.route": "/meetings", "mina.rows": 3, "mina.cached": false } },
    async (root) => {
      ids.trace_id = root.spanContext().traceId;
      ids.root = root.spanContext().spanId;
      await Sentry.startSpan({ name: "SELECT * FROM meetings", op: "db.query", attributes: { "db.system": "postgresql" } },
        async (span) => {
          ids.child = span.spanContext().spanId;
          span.setStatus({ code: 2, message: "internal_error" });
        });
      ids.event_id = Sentry.captureException(new Error("meetings query failed"));
    });
  await Sentry.startSpan({ name: "GET /health/ready", op: "http.server" }, async (span) => {
    ids.health = span.spanContext().spanId;
  });
  const flushed = await Sentry.flush(10000);
  console.log(JSON.stringify({ flushed, ...ids }));
})();
