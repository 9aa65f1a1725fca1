"""Starts a real `factory serve` for the tests: a fresh store and object folder in a temporary
directory, port 0 (the server prints the address it got), and API keys made with
`factory keys create`. The binary is `target/debug/factory` of this checkout (build it with
`cargo build -p factory-local`) unless `FACTORY_BIN` names another."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LISTENING = re.compile(r"AI Content Factory listening on (http://\S+)")


@dataclass
class Server:
    url: str
    env: dict[str, str]
    binary: str

    def key(self, tenant: str, *extra: str) -> str:
        """A new API key of `tenant` (`extra`: e.g. `--rate`, `2/min`)."""
        made = subprocess.run(
            [self.binary, "keys", "create", "--tenant", tenant, *extra],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return made.stdout.strip()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    binary = os.environ.get("FACTORY_BIN", str(REPO / "target" / "debug" / "factory"))
    if not Path(binary).is_file():
        pytest.fail(f"{binary} does not exist: run `cargo build -p factory-local` first")
    home = tmp_path_factory.mktemp("factory")
    env = {
        **os.environ,
        "FACTORY_STORE": f"sqlite:{home}/factory.db",
        "FACTORY_OBJECTS": f"dir:{home}/objects",
        "RUST_LOG": "warn",
    }
    env.pop("PORT", None)
    process = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        # Keeps reading so the server never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    url = None
    seen = []
    try:
        while url is None:
            line = lines.get(timeout=60)
            if line is None:
                pytest.fail("factory serve exited before listening:\n" + "".join(seen))
            seen.append(line)
            match = LISTENING.search(line)
            if match:
                url = match.group(1)
        yield Server(url=url, env=env, binary=binary)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
