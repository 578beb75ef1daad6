#!/usr/bin/env bash
# Install jolli with its test extras into .venv and run the whole test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check jolli providers plugins tests bench examples
.venv/bin/mypy jolli providers plugins bench
.venv/bin/lint-imports --no-cache  # the layers (setup.cfg, [importlinter]; docs/architecture.md)
.venv/bin/python -m pytest -q "$@"
