"""Every ``JOLLI_*`` variable of the server side in one place: how it is read, its default, what it means.

Each entry point reads the environment once, when it starts, and passes what it read on: ``create_app``
(:class:`AppSettings`), ``open_database`` (the URL and the pool size), ``jolli serve`` (workers,
threads) and ``jolli worker`` (:class:`jolli.events.config.EventSettings`, whose numbers are parsed here
too). A value that does not parse is an error naming the variable and what it takes, never silently the
default. :data:`VARIABLES` is the table docs/configuration.md shows; a test keeps the two, and the
variables the code reads, the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jolli.errors import InvalidInput


@dataclass(frozen=True)
class Variable:
    """One row of the configuration table."""

    name: str
    default: str
    meaning: str
    read_by: str


#: Every variable jolli reads, in the order docs/configuration.md lists them.
VARIABLES: tuple[Variable, ...] = (
    # where things are
    Variable("JOLLI_HOME", "`~/.local/share/jolli`", "server-side state: the embedded SQLite file, the secret key file",
             "server, worker"),
    Variable("JOLLI_DATABASE_URL", "`sqlite:///$JOLLI_HOME/jolli.db`", "`sqlite:////abs/path.db` or "
             "`postgresql://user@host:5432/db` (`DATABASE_URL` is read when this is unset)", "server, worker, CLI db"),
    Variable("JOLLI_DB_POOL_SIZE", "20 (worker: at least 2 x threads + 2)", "database connections per process",
             "server, worker"),
    Variable("JOLLI_SECRET_KEY", "the key file `$JOLLI_HOME/secret.key`", "Fernet keys encrypting stored secrets, "
             "comma-separated, newest first (see docs/security.md)", "server, worker, CLI secrets"),
    # serving
    Variable("JOLLI_HOST", "127.0.0.1", "`jolli serve --host`", "jolli serve"),
    Variable("JOLLI_PORT", "8000", "`jolli serve --port`", "jolli serve"),
    Variable("JOLLI_WORKERS", "2 x CPUs + 1 (at most 8)", "`jolli serve`: gunicorn worker processes", "jolli serve"),
    Variable("JOLLI_THREADS", "32", "`jolli serve`: threads per worker process", "jolli serve"),
    Variable("JOLLI_LOG_LEVEL", "info", "`jolli serve` log level (`debug` adds a line per accepted webhook)",
             "jolli serve"),
    Variable("JOLLI_PUBLIC_URL", "the request's own URL", "base of each integration's `webhookUrl` behind a proxy",
             "server"),
    Variable("JOLLI_MAX_BODY_BYTES", "1048576 (1 MiB)", "largest API request body", "server"),
    Variable("JOLLI_MAX_WEBHOOK_BYTES", "26214400 (25 MiB, GitHub's own cap)", "largest webhook body", "server"),
    Variable("JOLLI_BODY_TIMEOUT", "10", "seconds a request body may go silent before the answer is 408", "server"),
    # plugins
    Variable("JOLLI_LOAD_PLUGINS", "every installed plugin", "comma-separated plugin names to load (a subset)",
             "everything"),
    Variable("JOLLI_TRACE_PLUGINS", "unset", "`1`: log every hook call and result (logger `jolli.plugins.trace`)",
             "everything"),
    # the worker (jolli.events.config.EventSettings)
    Variable("JOLLI_LEASE_SECONDS", "30", "lease on a branch and claim on a job; renewed every third of it", "worker, server (sync)"),
    Variable("JOLLI_MAX_ATTEMPTS", "5", "attempts per space before it is dead-lettered", "worker"),
    Variable("JOLLI_RETRY_BACKOFF", "2", "first retry delay in seconds; doubles per attempt", "worker"),
    Variable("JOLLI_RETRY_BACKOFF_MAX", "300", "longest retry delay, seconds", "worker"),
    Variable("JOLLI_MAX_TAKEOVERS", "20", "takeovers from dead workers before a job is dead-lettered", "worker"),
    Variable("JOLLI_POLL_SECONDS", "1", "how long an idle worker sleeps between looks at the queue", "worker"),
    Variable("JOLLI_GIT_MIRRORS", "unset", "folder of local clones `<host>/<owner>/<repo>[.git]` used to tell "
             "ancestry and changed files, and to check sources", "worker, server (sync)"),
    Variable("JOLLI_ORDER_WAIT", "120", "seconds an event no evidence orders is held before it is applied "
             "`orderAssumed`", "worker"),
    Variable("JOLLI_ORDER_RETRY", "5", "seconds between looks for order evidence while an event is held", "worker"),
    Variable("JOLLI_COALESCE_SECONDS", "1", "pushes to a branch this close together are a burst", "worker"),
    Variable("JOLLI_COALESCE_MAX", "10", "the longest an event waits for its branch's burst to end", "worker"),
    Variable("JOLLI_CHECK_INTERVAL", "300", "seconds between checks of a source (overridable per source and "
             "integration)", "worker"),
    Variable("JOLLI_CHECK_INTERVAL_QUIET", "60", "the interval when the integration had no verified delivery "
             "lately", "worker"),
    Variable("JOLLI_CHECK_QUIET_AFTER", "3600", "\"lately\": seconds since the integration's last verified "
             "delivery", "worker"),
    Variable("JOLLI_CHECK_JITTER", "0.1", "each next check is up to this fraction of the interval later", "worker"),
    Variable("JOLLI_CHECK_CONCURRENCY", "4", "checks at once per integration (and per worker process)", "worker"),
    Variable("JOLLI_CHECK_BATCH", "200", "due checks claimed per statement", "worker"),
    Variable("JOLLI_CHECK_PRIORITY", "idle", "CPU priority of the worker's check process: `idle` (runs on CPU time "
             "event processing leaves: Linux `SCHED_IDLE`, elsewhere `nice` 19), `low` (`nice` 10) or `normal`",
             "worker"),
    Variable("JOLLI_WEBHOOK_GRACE", "600", "seconds a webhook may lag a check before the push counts as a "
             "webhook gap", "server"),
    # the CLI on a developer's machine
    Variable("JOLLI_URL", "`jolli login`'s", "the server the CLI talks to", "CLI"),
    Variable("JOLLI_TOKEN", "`jolli login`'s", "the API token the CLI sends", "CLI"),
    Variable("JOLLI_CONFIG_DIR", "`~/.config/jolli`", "where `jolli login` keeps its file", "CLI"),
    Variable("JOLLI_SOURCES_FILE", "the nearest `.jolli/sources.json`", "use this sources file instead of "
             "searching for one", "CLI"),
    Variable("JOLLI_LOCK_TIMEOUT", "30", "seconds to wait for the sources file's lock", "CLI"),
    Variable("JOLLI_HOSTS", "none", "self-hosted hosts for `jolli repo`: `host=provider,...`", "CLI"),
)


class SettingsError(InvalidInput, ValueError):
    """A ``JOLLI_*`` variable whose value does not parse (the CLI exits 2)."""


def number(name: str, default: float, *, integer: bool = False, environ: Mapping[str, str] | None = None,
           positive: bool = True) -> float:
    """The number in variable ``name`` (``default`` when unset or blank); :class:`SettingsError` naming the
    variable and what it takes when it is not one."""
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None or raw.strip() == "":
        return default
    kind = "a whole number" if integer else "a number"
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {kind}, got {raw!r}; unset it for the default ({default:g})",
                            fields={name: [f"must be {kind}"]}) from None
    if positive and not value > 0:
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}; unset it for the default ({default:g})",
                            fields={name: ["must be greater than 0"]})
    return value


def text(name: str, environ: Mapping[str, str] | None = None, *, empty_is_set: bool = False) -> str | None:
    """The value of variable ``name``, stripped; ``None`` when unset (or blank, unless ``empty_is_set``)."""
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return None
    return raw.strip() if empty_is_set else raw.strip() or None


def choice(name: str, choices: tuple[str, ...], default: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of variable ``name``, one of ``choices`` (``default`` when unset or blank; any case);
    :class:`SettingsError` naming the variable and the choices otherwise."""
    found = text(name, environ)
    if found is None:
        return default
    if found.lower() not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {found!r}; unset it for the default "
                            f"({default})", fields={name: [f"must be one of {', '.join(choices)}"]})
    return found.lower()


def jolli_home(environ: Mapping[str, str] | None = None) -> Path:
    """Where jolli keeps its embedded database and server-side state."""
    env = os.environ if environ is None else environ
    found = text("JOLLI_HOME", env)
    if found:
        return Path(found)
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "jolli"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The configured database URL, or the embedded SQLite default."""
    url = text("JOLLI_DATABASE_URL", environ) or text("DATABASE_URL", environ)
    return url or "sqlite:///" + str(jolli_home(environ) / "jolli.db")


#: Largest API request body (bytes); webhooks get :data:`WEBHOOK_MAX_BYTES`.
MAX_BODY_BYTES = 1024 * 1024
#: Largest webhook body: GitHub caps payloads at 25 MiB.
WEBHOOK_MAX_BYTES = 25 * 1024 * 1024
#: Seconds a request may go silent while its body arrives before it is answered 408.
BODY_TIMEOUT = 10
#: Database connections per process.
DB_POOL_SIZE = 20
#: Threads per ``jolli serve`` worker: a stalled sender holds one for at most the body timeout, so this many
#: stalled connections per worker still leave the others answered.
THREADS = 32


@dataclass(frozen=True)
class AppSettings:
    """What the API server reads from the environment when it starts."""

    database_url: str
    db_pool_size: int = DB_POOL_SIZE
    public_url: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    webhook_max_bytes: int = WEBHOOK_MAX_BYTES
    body_timeout: int = BODY_TIMEOUT
    workers: int = 0  # 0: the default for this machine (:meth:`default_workers`)
    threads: int = THREADS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AppSettings:
        """The settings in ``environ`` (default: this process's environment)."""
        return cls(
            database_url=database_url(environ),
            db_pool_size=db_pool_size(environ),
            public_url=text("JOLLI_PUBLIC_URL", environ),
            max_body_bytes=int(number("JOLLI_MAX_BODY_BYTES", MAX_BODY_BYTES, integer=True, environ=environ)),
            webhook_max_bytes=int(number("JOLLI_MAX_WEBHOOK_BYTES", WEBHOOK_MAX_BYTES, integer=True,
                                         environ=environ)),
            body_timeout=int(number("JOLLI_BODY_TIMEOUT", BODY_TIMEOUT, integer=True, environ=environ)),
            workers=int(number("JOLLI_WORKERS", default_workers(), integer=True, environ=environ)),
            threads=int(number("JOLLI_THREADS", THREADS, integer=True, environ=environ)),
        )


def db_pool_size(environ: Mapping[str, str] | None = None) -> int:
    """``JOLLI_DB_POOL_SIZE``: database connections per process (default :data:`DB_POOL_SIZE`)."""
    return int(number("JOLLI_DB_POOL_SIZE", DB_POOL_SIZE, integer=True, environ=environ))


def default_workers() -> int:
    """gunicorn worker processes when ``JOLLI_WORKERS`` is unset: 2 x CPUs + 1, at most 8."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)
