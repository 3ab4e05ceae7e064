"""What a replica keeps in its state folder, `.staging/<replica>/` (Settings.state_dir): every file's
name is here, so what `down --volumes` removes, what the bundle collects and what each command
reads are one list. The folder holds secrets (mode 0700, files 0600: replica/stack/credentials.py).
"""

COMPOSE_ENV = "compose.env"            # compose's variables for the stack (`--env-file`)
APP_ENV = "app.env"                    # the app's environment (`env_file:` of app and migrate)
STACK_FILE = "stack.json"              # what `up` last prepared: services, ports, env, profiles
PORTS_FILE = "ports.json"              # the host ports this replica was given, kept across runs
SECRETS_FILE = "secrets.json"          # generated passwords and keys, kept across runs
APPLIED_FILE = "applied.sha256"        # the fingerprint of what `up` last applied (no-op re-runs)
VARIANTS_FILE = "variants.json"        # the services the gate's variants run beside the replica
VARIANTS_ENV = "variants.env"          # compose's variables for the variants (read after COMPOSE_ENV)
VERDICTS_DIR = "verdicts"              # the gate's cached verdicts, keyed by tree and set-up
MIGRATION_CHECKS_FILE = "migration-tests.json"  # the migration round trip's cached verdict
# the SSH tunnels to a remote engine's ports (pid, forwards) and their ssh's messages: tunnel_files
TUNNEL_GROUPS = ("replica", "variants")  # one tunnel for the replica, one for the gate's variant apps
TUNNEL_LOCK = "tunnels.lock"           # held by whoever opens or closes a tunnel (a task, a keeper)
EMPTY_CA_BUNDLE = "empty-ca-bundle.pem"  # stands in for a CA bundle when the machine has none


def tunnel_files(group: str) -> tuple[str, str]:
    """The record and log of one tunnel group (tunnels.json and tunnels.log for the replica's)."""
    suffix = "" if group == TUNNEL_GROUPS[0] else f"-{group}"
    return f"tunnels{suffix}.json", f"tunnels{suffix}.log"


def tunnel_keeper_log(group: str) -> str:
    """The log of the process keeping a tunnel group on the engine's ports (tunnels-keeper.log)."""
    return tunnel_files(group)[1].replace(".log", "-keeper.log")


def variant_env(service: str) -> str:
    """The environment file of one variant app (its `env_file:`)."""
    return f"{service}.env"
