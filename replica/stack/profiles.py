"""Fault profiles: the differences that make staging fail where a laptop doesn't, one switch each.

A profile changes the app's environment, compose variables and which optional services run; `up`
applies exactly the profiles it is given, so turning one off restores the previous stack exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..core.conninfo import connection_hosts, service_of
from ..core.errors import ConfigError
from .settings import knob

# The replica's database, as the app reaches it on the compose network (directly or via a profile).
REPLICA_DATABASE_HOSTS = ("db", "db-proxy", "pgbouncer")
DATABASE_VARIABLES = ("DATABASE_URL", "DATABASE_DIRECT_URL")
REDIS_HOST = "redis:6379"

# The mock OpenAI paths the app's summary call uses: `openai-ratelimit` limits only these, so a
# live transcription still succeeds and the smoke run reaches the summary whose 429 it tests.
SUMMARY_PATHS = ("/v1/chat/completions", "/v1/responses")


# The exception types the openai SDK raises for the AI service's failures (what the app reports).
AI_ERROR_TYPES = ("RateLimitError", "InternalServerError", "APIStatusError", "APIConnectionError",
                  "APITimeoutError", "ServiceUnavailableError")


@dataclass(frozen=True)
class Expectations:
    """What the app must do under a profile; the defaults are the happy path (no fault).

    Read by the smoke suite (tests/e2e), the k6 suites (EXPECT_* variables) and the gate's sink
    check, so a red gate under a profile means the app mishandles the fault, not that it is on.
    """

    summary_status: int = 201          # POST /api/meetings/<id>/summary of a transcribed meeting
    transcription: str = "stored"      # "stored", or "refused": audio_chunk acked ok: false, retryable
    ai_errors_reported: bool = False   # the app reports the AI service's failures to error tracking
    ai_latency_judged: bool = True     # False: the AI service is slow or failing, so latency that
                                       # waits on it (summary, segments) has no SLO under the profile

    def reported_on_purpose(self, event: dict) -> bool:
        """An error event the app must send under this profile: the AI service's failures."""
        return self.ai_errors_reported and event.get("exception_type") in AI_ERROR_TYPES

    def k6_env(self) -> dict[str, str]:
        return {"EXPECT_SUMMARY_STATUS": str(self.summary_status),
                "EXPECT_TRANSCRIPTION": self.transcription,
                "EXPECT_AI_LATENCY": "judged" if self.ai_latency_judged else "faulted"}


HAPPY_PATH = Expectations()
RATE_LIMITED = Expectations(summary_status=429, ai_errors_reported=True, ai_latency_judged=False)
AI_DOWN = Expectations(summary_status=503, transcription="refused", ai_errors_reported=True,
                       ai_latency_judged=False)
AI_SLOW = Expectations(ai_latency_judged=False)


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    example: str
    group: str | None = None                      # two profiles of one group conflict
    app_env: dict[str, str] = field(default_factory=dict)
    compose_env: dict[str, str] = field(default_factory=dict)
    compose_profiles: tuple[str, ...] = ()        # optional services it turns on
    seed_scale: str | None = None                 # fixtures to load once the stack is up
    expects: Expectations = HAPPY_PATH            # what the app must do under it

    @property
    def data_only(self) -> bool:
        """True when the profile changes only the data loaded (prod-scale), not how the app runs."""
        return self.seed_scale is not None and self == Profile(
            self.name, self.summary, self.example, seed_scale=self.seed_scale)


def catalogue() -> dict[str, Profile]:
    """Return every profile by name (figures read from the environment now)."""
    profiles = [
        Profile("redis-off", "Redis disabled, as the runbook allows for staging",
                "invoke staging.up --profile redis-off", app_env={"REDIS_URL": ""}),
        Profile("openai-ratelimit", "the mock OpenAI answers 429 with retry-after to the summary "
                "calls (chat, responses); transcription stays healthy",
                "invoke staging.up --profile openai-ratelimit", group="openai",
                compose_env={"MOCK_OPENAI_PROFILE": "ratelimit",
                             "MOCK_OPENAI_FAULT_PATHS": ",".join(SUMMARY_PATHS)},
                expects=RATE_LIMITED),
        Profile("openai-slow", "the mock OpenAI answers after a long delay",
                "invoke staging.up --profile openai-slow", group="openai",
                compose_env={"MOCK_OPENAI_PROFILE": "slow"}, expects=AI_SLOW),
        Profile("openai-down", "the mock OpenAI answers 503 to everything",
                "invoke staging.up --profile openai-down", group="openai",
                compose_env={"MOCK_OPENAI_PROFILE": "down"}, expects=AI_DOWN),
        Profile("db-slow", "every database round trip gets slower (a proxy: no netem here)",
                "STAGING_DB_LATENCY_MS=100 invoke staging.up --profile db-slow",
                compose_env={"DB_PROXY_LATENCY_MS": knob("STAGING_DB_LATENCY_MS", "50")},
                compose_profiles=("dbproxy",)),
        Profile("cold-start", "the database refuses connections for a moment after idling, as "
                "Neon's scale-to-zero does",
                "STAGING_COLD_START_IDLE_S=30 invoke staging.up --profile cold-start",
                # the app's healthcheck probes liveness only: a readiness probe every second
                # would query the database and keep the compute awake forever
                compose_env={"DB_PROXY_COLD_START_MS": knob("STAGING_COLD_START_MS", "500"),
                             "DB_PROXY_IDLE_S": knob("STAGING_COLD_START_IDLE_S", "300"),
                             "APP_HEALTH_PATH": "/health"},
                compose_profiles=("dbproxy",)),
        Profile("tls", "the app connects with sslmode=require, as Neon demands",
                "invoke staging.up --profile tls", compose_env={"DB_PROXY_TLS": "require"},
                compose_profiles=("dbproxy",)),
        Profile("pooled", "PgBouncer in transaction mode between app and database, like Neon's "
                "pooled endpoint (LISTEN/NOTIFY fan-out gets DATABASE_DIRECT_URL to db)",
                "invoke staging.up --profile pooled", compose_profiles=("pooled",)),
        Profile("small", "CPU and memory limits like staging's instance",
                "invoke staging.up --profile small",
                compose_env={"APP_CPUS": knob("STAGING_SMALL_CPUS", "0.5"),
                             "APP_MEM_LIMIT": knob("STAGING_SMALL_MEMORY", "1g")}),
        Profile("prod-scale", "fixtures at production size (replaces the replica's data)",
                "invoke staging.up --profile prod-scale", seed_scale="prod"),
    ]
    return {profile.name: profile for profile in profiles}


def data_only(names) -> list[str]:
    """The profiles among names that change only the data (their fixtures' scale)."""
    known = catalogue()
    return [name for name in names if name in known and known[name].data_only]


def in_group(names, group: str) -> list[str]:
    """The profiles among names of one group (e.g. "openai": those that put faults on the mock)."""
    known = catalogue()
    return [name for name in names if name in known and known[name].group == group]


def mock_openai_faults(name: str) -> tuple[str, list[str]] | None:
    """The mock's fault profile and paths that the replica profile `name` puts on the mock OpenAI
    (`openai-ratelimit` -> ratelimit on the summary paths), or None when `name` is not one of them.

    One word for one thing: `staging.openai.faults --profile openai-ratelimit` switches on, on a
    running replica, exactly what `staging.up --profile openai-ratelimit` starts with.
    """
    profile = catalogue().get(name)
    if profile is None or profile.group != "openai":
        return None
    paths = profile.compose_env.get("MOCK_OPENAI_FAULT_PATHS", "")
    return profile.compose_env["MOCK_OPENAI_PROFILE"], [p for p in paths.split(",") if p]


def expectations(names) -> Expectations:
    """What the app must do under these profiles together (each changes what it faults)."""
    combined = HAPPY_PATH
    known = catalogue()
    for name in names:
        expects = known[name].expects if name in known else HAPPY_PATH
        changed = {f.name: getattr(expects, f.name) for f in fields(Expectations)
                   if getattr(expects, f.name) != getattr(HAPPY_PATH, f.name)}
        combined = replace(combined, **changed)
    return combined


def resolve(names: list[str]) -> list[Profile]:
    """Return the named profiles, refusing unknown names and conflicting pairs."""
    known = catalogue()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"unknown profile {', '.join(unknown)}",
                          hint=f"choose from: {', '.join(known)}")
    chosen = [known[name] for name in dict.fromkeys(names)]
    groups: dict[str, str] = {}
    for profile in chosen:
        if profile.group and profile.group in groups:
            raise ConfigError(f"profiles {groups[profile.group]} and {profile.name} conflict",
                              hint="choose one of them")
        if profile.group:
            groups[profile.group] = profile.name
    return chosen


def database_route(database_url: str, profiles: list[Profile]) -> tuple[str, str]:
    """Return (the app's DATABASE_URL, the proxy's upstream) for the active profiles."""
    compose_profiles = {p for profile in profiles for p in profile.compose_profiles}
    upstream = "pgbouncer:6432" if "pooled" in compose_profiles else "db:5432"
    host = "db-proxy:5432" if "dbproxy" in compose_profiles else upstream
    parts = urlsplit(database_url)
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" + host if "@" in parts.netloc else host
    url = urlunsplit(parts._replace(netloc=netloc))
    return (with_tls(url) if any(profile.name == "tls" for profile in profiles) else url), upstream


def with_tls(database_url: str) -> str:
    """Return the URL with sslmode=require, as Neon demands (the profile `tls`, the pooler's TLS)."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, "sslmode=require"]))))


def direct_route(database_url: str, profiles: list[Profile]) -> str | None:
    """Return the app's DATABASE_DIRECT_URL for the active profiles, or None when it needs none.

    Under `pooled`, DATABASE_URL goes through PgBouncer in transaction mode, where LISTEN hears
    nothing; the app's LISTEN/NOTIFY fan-out then gets the db service itself, as Neon's direct
    host would be. It bypasses db-proxy, so `tls`, `db-slow` and `cold-start` act on the pooled
    path only.
    """
    if not any("pooled" in profile.compose_profiles for profile in profiles):
        return None
    parts = urlsplit(database_url)
    host = "db:5432"
    netloc = parts.netloc.rsplit("@", 1)[0] + "@" + host if "@" in parts.netloc else host
    return urlunsplit(parts._replace(netloc=netloc))


def check_replica_databases(app_env: dict[str, str]) -> None:
    """Refuse an app environment with a database URL that reaches anything but the replica's db."""
    for variable in DATABASE_VARIABLES:
        url = app_env.get(variable, "").strip()
        if not url:
            continue
        # the app's container has no PG* variables of its own: only the URL decides
        hosts = ([f"service {service_of(url, {})}"] if service_of(url, {}) else
                 [host or "a local socket" for host, _ in connection_hosts(url, {})
                  if host not in REPLICA_DATABASE_HOSTS])
        if hosts:
            raise ConfigError(
                f"{variable} points at {', '.join(hosts)}, not the replica's database",
                hint=f"use host db:5432 in {variable} (.env.staging or --env), or leave "
                     "DATABASE_DIRECT_URL empty; the replica never connects the app elsewhere")


def redis_route(redis_url: str, password: str) -> str:
    """Return the app's REDIS_URL: the replica's redis service with its password (empty stays off).

    The database index (the URL's path) and options are kept; any other host or credential is not.
    """
    if not redis_url.strip():
        return redis_url
    parts = urlsplit(redis_url)
    database = parts.path if parts.path.strip("/").isdigit() else "/0"
    options = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("password", "username", "db")]
    return urlunsplit(("redis", f":{password}@{REDIS_HOST}", database, urlencode(options), ""))
