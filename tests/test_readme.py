"""The README's shell blocks, pasted in order into one shell, against a real ``jolli serve``.

Only the port (``8000`` becomes a free one), the home folder (an empty one) and the virtualenv path (the
one running these tests, which ``pip install -e .`` refreshes) differ from what a new user pastes. A
``console`` block's commands run too, and a command shown with its output must print exactly that.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
BLOCK = re.compile(r"^( *)```(sh|console)\n(.*?)^\1```", re.S | re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_blocks() -> list[tuple[str, str]]:
    """``(language, text)`` of each ``sh`` and ``console`` block, indentation removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(lang, re.sub(rf"(?m)^{indent}", "", body)) for indent, lang, body in BLOCK.findall(text)]


def console_as_script(block: str) -> str:
    """Each ``$ command`` of a transcript; a command followed by output lines must print exactly them."""
    lines: list[str] = []
    for chunk in re.split(r"(?m)^\$ ", block)[1:]:
        command, _, shown = chunk.partition("\n")
        if not shown.strip():
            lines.append(command)
            continue
        lines.append(f"out=$({command})")
        lines.append(f'[ "$out" = {shlex.quote(shown.rstrip(chr(10)))} ] || '
                     f"{{ echo {shlex.quote('README output differs for: ' + command)}; echo \"$out\"; exit 1; }}")
    return "\n".join(lines) + "\n"


def readme_script(port: int) -> str:
    parts = ["set -e -o pipefail\n"]
    for lang, block in readme_blocks():
        parts.append(block if lang == "sh" else console_as_script(block))
    script = "".join(parts).replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace("--port 8000", f"--port {port}")
    return re.sub(r"(?<![\w/.])\.venv\b", sys.prefix, script)


def test_every_readme_block_works_pasted_in_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JOLLI_", "GIT_", "VIRTUAL_ENV", "PYTHON")) and k != "DATABASE_URL"}
    # ``python3 -m venv`` re-run on this virtualenv must use its own base interpreter, or it would rewrite
    # pyvenv.cfg for another Python
    base_bin = os.path.dirname(getattr(sys, "_base_executable", sys.executable))
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not p.startswith(sys.prefix)]
    env.update(HOME=str(home), PATH=os.pathsep.join([base_bin, *path]))
    script = tmp_path / "readme.sh"
    script.write_text(readme_script(free_port()))
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        shell = subprocess.Popen(["bash", str(script)], cwd=ROOT, env=env, stdout=out, stderr=err,
                                 start_new_session=True)  # its own group: the background server goes too
        try:
            code = shell.wait(timeout=240)
        finally:
            os.killpg(shell.pid, signal.SIGTERM)
    stdout, stderr = out_path.read_text(), err_path.read_text()
    assert code == 0, f"the README's blocks failed (exit {code}):\n{stdout[-3000:]}\n{stderr[-3000:]}"
    assert '{"items":[],"next":null}' in stdout.replace(" ", "")
    assert "linked backend: created server source 2, integration 1" in stdout
    assert "added source notes (server source 3, no integration) mounted at" in stdout  # never "integration None"
    assert '"status":"accepted"' in stdout.replace(" ", "")
    assert "jolli worker: processed 1 job(s)" in stderr
    assert re.search(r"(?m)^1 +processed +1$", stdout)  # jolli events show 1: space 1 processed
    assert (home / "src" / "backend" / ".jolli" / ".gitignore").exists()
    assert not (home / ".gunicorn").exists()
