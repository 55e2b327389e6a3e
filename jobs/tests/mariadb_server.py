"""A throwaway MariaDB server for tests: temp datadir, 127.0.0.1 only, a free port, binlog
ROW/FULL, run as a child process that is always killed at the end. Test-only settings:
--skip-grant-tables (no accounts) and --user=root (the CI runs as root)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from decimal import Decimal
from pathlib import Path

TOOLS = ("mariadbd", "mariadb-install-db", "mariadb-binlog", "mariadb")


def find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def missing_tools() -> list[str]:
    return [t for t in TOOLS if find_tool(t) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    def __init__(self, root: Path):
        self.root = root
        self.datadir = root / "data"
        self.socket = root / "mysqld.sock"
        self.binlog_base = self.datadir / "binlog"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> None:
        self.datadir.mkdir(parents=True)
        subprocess.run(
            [
                find_tool("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--skip-test-db",
                "--auth-root-authentication-method=normal",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        log = open(self.root / "server.log", "wb")
        self.process = subprocess.Popen(
            [
                find_tool("mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--user=root",
                "--skip-grant-tables",
                "--skip-networking=0",
                "--bind-address=127.0.0.1",
                f"--port={self.port}",
                f"--socket={self.socket}",
                f"--pid-file={self.root / 'mysqld.pid'}",
                f"--log-bin={self.binlog_base}",
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--server-id=1",
                "--innodb-buffer-pool-size=32M",
                "--character-set-server=utf8mb4",
                f"--log-error={self.root / 'error.log'}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited with {self.process.returncode}: {self.error_log()}")
            try:
                self.sql("SELECT 1", timeout=5)
                return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.3)
        raise RuntimeError(f"mariadbd not ready after {timeout}s: {self.error_log()}")

    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def sql(self, statements: str, database: str = "", timeout: float = 60) -> str:
        cmd = [
            find_tool("mariadb"),
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--batch",
            "--raw",
            "--skip-column-names",
            "--default-character-set=utf8mb4",
        ]
        if database:
            cmd.append(database)
        done = subprocess.run(cmd, input=statements, check=True, capture_output=True, text=True, timeout=timeout)
        return done.stdout

    def rows(self, database: str, table: str, columns) -> list[dict]:
        """SELECT * as JSON per row (exact: decimals as Decimal, dates as text, NULL as None)."""
        pairs = ", ".join(f"'{c}', `{c}`" for c in columns)
        out = self.sql(f"SELECT JSON_OBJECT({pairs}) FROM `{table}`;", database)
        return [json.loads(line, parse_float=Decimal) for line in out.splitlines() if line.strip()]

    def binlog_text(self, start_file: str, start_position: int) -> str:
        """Row events after (start_file, start_position), decoded with mariadb-binlog --verbose."""
        index = (self.datadir / "binlog.index").read_text().split()
        names = [Path(n).name for n in index]
        files = names[names.index(start_file) :]
        cmd = [
            find_tool("mariadb-binlog"),
            "--no-defaults",
            "--verbose",
            "--base64-output=DECODE-ROWS",
            f"--start-position={start_position}",
            *[str(self.datadir / n) for n in files],
        ]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout
