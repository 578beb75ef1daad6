"""Reading and writing ``.jolli/sources.json`` safely.

- Reads take no lock: every write replaces the file with a rename, so a reader sees the old or the new
  file, never half of one.
- Writes (:meth:`SourcesFile.edit`) hold ``sources.json.lock`` (``filelock``) from before the file is
  read until the new one is in place, so two ``jolli`` processes cannot lose each other's change.
- A file that cannot be read or understood is reported (:class:`LocalConfigError`: the path and what is
  wrong) and never overwritten.
- A legacy file is upgraded on first use: the original is copied beside it as a backup, then replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jolli.local.document import is_legacy, parse_json, read_config
from jolli.local.records import Config, ConfigNotWritable, LocalConfigError

if TYPE_CHECKING:  # pragma: no cover
    from jolli.local.upgrade import Migration

LOCK_TIMEOUT_ENV = "JOLLI_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0
BACKUP_SUFFIX = ".legacy-backup"


@dataclass
class Loaded:
    """A config as read, with the legacy migration that produced it (if one happened in this process)."""

    config: Config
    exists: bool
    migration: Migration | None = None
    migration_error: str | None = None  # the upgrade could not be saved; it is retried next time


class Edit:
    """A locked read of the file whose changes :meth:`commit` writes."""

    def __init__(self, file: SourcesFile, loaded: Loaded) -> None:
        from jolli.local.schema import dump_config

        self._dump = dump_config
        self.file = file
        self.loaded = loaded
        self._saved = dump_config(loaded.config)

    @property
    def config(self) -> Config:
        return self.loaded.config

    @property
    def migration(self) -> Migration | None:
        return self.loaded.migration

    def commit(self) -> bool:
        """Write the config now if it changed since it was read (or last committed); return whether it wrote."""
        current = self._dump(self.loaded.config)
        if current == self._saved:
            return False
        self.file._write(self.loaded.config)
        self._saved = current
        return True


class SourcesFile:
    """One ``sources.json`` on disk."""

    def __init__(self, path: os.PathLike[str] | str) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    # --- reading ----------------------------------------------------------------------------------
    def _read_raw(self) -> tuple[str | None, Any]:
        """(text, parsed document), or (None, None) when the file does not exist."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        except IsADirectoryError:
            raise LocalConfigError(self.path, "is a directory, not a file") from None
        except OSError as exc:
            raise LocalConfigError(self.path, f"cannot be read: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LocalConfigError(self.path, f"is not UTF-8 text (byte {exc.start})") from None
        if not text.strip():
            raise LocalConfigError(self.path, "is empty; expected a JSON object with \"version\": 1")
        try:
            return text, parse_json(text)
        except json.JSONDecodeError as exc:
            raise LocalConfigError(
                self.path, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None

    def _interpret(self, data: Any) -> Config | Migration:
        """A version 1 config, or the migration of a legacy one."""
        if is_legacy(data):
            from jolli.local.upgrade import migrate

            try:
                return migrate(data)
            except ValueError as exc:
                raise LocalConfigError(self.path, f"legacy file cannot be upgraded: {exc}") from None
        return read_config(data, self.path)

    def load(self) -> Loaded:
        """The config (empty when there is no file). A legacy file is upgraded and saved, under the lock."""
        found, _text = self._read()
        if isinstance(found, Loaded):
            return found
        try:
            with self.locked():
                return self._load_locked()
        except ConfigNotWritable as exc:
            # a read-only folder or a busy lock: use the upgrade now, save it another time
            return Loaded(config=found.config, exists=True, migration=found, migration_error=str(exc))

    def _read(self) -> tuple[Any, str | None]:
        """``(Loaded, text)`` for a missing or current file; ``(its upgrade, text)`` for a legacy one."""
        text, data = self._read_raw()
        if text is None:
            return Loaded(config=Config(), exists=False), None
        found = self._interpret(data)
        return (Loaded(config=found, exists=True) if isinstance(found, Config) else found), text

    def _load_locked(self) -> Loaded:
        """Read again while holding the lock; upgrade and save a legacy file (once: the next reader sees v1)."""
        found, text = self._read()
        if isinstance(found, Loaded):
            return found
        assert text is not None
        migration = found
        migration.backup = str(self._backup(text))
        self._write(migration.config)
        return Loaded(config=migration.config, exists=True, migration=migration)

    # --- writing ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file lock (``sources.json.lock`` beside the file)."""
        import filelock

        timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or DEFAULT_LOCK_TIMEOUT)
        make_folder(self.path.parent)
        lock = filelock.FileLock(str(self.lock_path), timeout=timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise ConfigNotWritable(
                self.lock_path, f"another jolli process has held this lock for {timeout:g}s; try again"
            ) from None
        except OSError as exc:
            raise ConfigNotWritable(self.lock_path, f"cannot be written: {exc.strerror or exc}") from None
        try:
            yield
        finally:
            lock.release()

    @contextlib.contextmanager
    def edit(self) -> Iterator[Edit]:
        """Lock, read, let the caller change ``edit.config``, then write it if it changed.

        The caller may :meth:`Edit.commit` earlier (to undo a server change when the write fails).
        Nothing is written when the block raises, or when the file could not be read.
        """
        with self.locked():
            edit = Edit(self, self._load_locked())
            yield edit
            edit.commit()

    def _write(self, config: Config) -> None:
        """Replace the file atomically: a temp file in the same folder, fsync, rename."""
        import tempfile

        from jolli.local.schema import dump_config

        text = json.dumps(dump_config(config), indent=2) + "\n"
        folder = self.path.parent
        make_folder(folder)
        try:
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else None
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise ConfigNotWritable(self.path, f"cannot be written: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode if mode is not None else 0o644)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise ConfigNotWritable(self.path, f"cannot be written: {exc.strerror or exc}") from None
        _fsync_dir(folder)

    def _backup(self, text: str) -> Path:
        """Keep the legacy file beside it (``sources.json.legacy-backup``, ``...-backup.1``, ...)."""
        target = self.path.with_name(self.path.name + BACKUP_SUFFIX)
        n = 0
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}{BACKUP_SUFFIX}.{n}")
        try:
            with open(target, "x", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ConfigNotWritable(target, f"cannot be written: {exc.strerror or exc}") from None
        return target


def make_folder(folder: Path) -> None:
    """Create the folder of the sources file; a new ``.jolli`` gets a ``.gitignore`` of ``*``.

    The file holds absolute, machine-specific paths, so git should not offer it for a commit (the way
    tools that keep a cache folder in a work tree do). An existing folder is left as it is.
    """
    from jolli.local.discovery import CONFIG_DIR

    try:
        if folder.is_dir():
            return
        folder.mkdir(parents=True, exist_ok=True)
        if folder.name == CONFIG_DIR:
            (folder / ".gitignore").write_text("# written by jolli: machine-specific paths, not for commits\n*\n",
                                              encoding="utf-8")
    except OSError as exc:
        raise ConfigNotWritable(folder, f"cannot be written: {exc.strerror or exc}") from None


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
