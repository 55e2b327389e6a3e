#!/usr/bin/env python3
"""Build the deployable artifact of a job, deterministically.

    python3 jobs/build_artifact.py jobs/sales_etl jobs/_build/sales_etl --library jobs/common

JOB_DIR must hold main.py, config.yml and src/<package>/ (one package). Each --library DIR
(repeatable; deployer.yml's jobs.<name>.libraries) must hold src/ with one or more packages
(folders with __init__.py), shipped next to the job's. OUT_DIR receives:
    main.py      the entry script (Glue ScriptLocation / spark-submit application), copied as is
    code.zip     src/<package>/** of the job and of every library, plus config.yml as
                 <package>/config.yml (the packaged default), for --extra-py-files (Glue) /
                 --py-files (EMR, spark-submit); a package name may appear only once
    deployer_job_code-0-py3-none-any.whl
                 the same entries as a wheel (plus its METADATA, WHEEL and RECORD): Glue's
                 Python shell pip-installs the .whl files of --extra-py-files
    config.yml   the default config, for reading or as a starting point for --config
    SHA256SUMS   "<sha256>  <name>" per file, sorted by name
The artifact digest is the SHA-256 of SHA256SUMS. Same sources -> byte-identical files:
zip entries sorted, timestamps 1980-01-01 00:00:00, mode 0644, no __pycache__/*.pyc, and
stored uncompressed so the bytes cannot vary with the zlib build.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import zipfile
from pathlib import Path
from typing import Sequence

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_EPOCH = 315532800  # 1980-01-01T00:00:00Z, for the copied files' mtime
SKIP_DIRS = {"__pycache__", ".pytest_cache"}
SKIP_SUFFIXES = (".pyc", ".pyo")
CODE_WHEEL = "deployer_job_code-0-py3-none-any.whl"
WHEEL_DIST_INFO = "deployer_job_code-0.dist-info"


class BuildError(Exception):
    pass


def _package_dir(job_dir: Path) -> Path:
    src = job_dir / "src"
    packages = sorted(p for p in src.glob("*/__init__.py")) if src.is_dir() else []
    if len(packages) != 1:
        raise BuildError(f"{src}: expected exactly one package (a folder with __init__.py), found {len(packages)}")
    return packages[0].parent


def _library_packages(library: Path) -> list[Path]:
    src = library / "src"
    packages = sorted(p.parent for p in src.glob("*/__init__.py")) if src.is_dir() else []
    if not packages:
        raise BuildError(f"{library}: a library needs src/ with one or more packages (folders with __init__.py), found none")
    return packages


def _package_files(package: Path) -> list[tuple[str, Path]]:
    entries = []
    for path in package.rglob("*"):
        relative = path.relative_to(package.parent)
        if path.is_dir() or SKIP_DIRS & set(relative.parts) or path.name.endswith(SKIP_SUFFIXES):
            continue
        entries.append((relative.as_posix(), path))
    return entries


def _zip(entries: list[tuple[str, bytes]], target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # unix, so external_attr carries the mode on every platform
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)


def _record_field(path: str) -> str:
    if not any(c in path for c in ',"\r\n'):
        return path
    return '"' + path.replace('"', '""') + '"'


def _wheel_entries(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """code.zip's entries plus the wheel's METADATA, WHEEL and RECORD (deployer writes the same)."""
    wheel = entries + [
        (f"{WHEEL_DIST_INFO}/METADATA", b"Metadata-Version: 2.1\nName: deployer-job-code\nVersion: 0\n"),
        (f"{WHEEL_DIST_INFO}/WHEEL", b"Wheel-Version: 1.0\nGenerator: deployer\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = ""
    for name, data in sorted(wheel):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{_record_field(name)},sha256={digest},{len(data)}\n"
    record += f"{WHEEL_DIST_INFO}/RECORD,,\n"
    return wheel + [(f"{WHEEL_DIST_INFO}/RECORD", record.encode())]


def _write(target: Path, data: bytes) -> None:
    target.write_bytes(data)
    os.chmod(target, 0o644)
    os.utime(target, (FIXED_EPOCH, FIXED_EPOCH))


def build(job_dir: Path, out_dir: Path, libraries: Sequence[Path] = ()) -> dict[str, str]:
    """Returns {file name: sha256} including 'artifact' for the whole. libraries: folders whose
    src/ packages go into code.zip next to the job's package."""
    for required in ("main.py", "config.yml"):
        if not (job_dir / required).is_file():
            raise BuildError(f"{job_dir / required}: missing; a job dir needs main.py, config.yml and src/<package>/")
    package = _package_dir(job_dir)
    config = (job_dir / "config.yml").read_bytes()
    packages = [package]
    owners = {package.name: job_dir}
    for library in libraries:
        for library_package in _library_packages(library):
            if library_package.name in owners:
                raise BuildError(
                    f"package '{library_package.name}' is in both {owners[library_package.name]} and {library}; a package name may be shipped once"
                )
            owners[library_package.name] = library
            packages.append(library_package)
    entries = [(name, path.read_bytes()) for p in packages for name, path in _package_files(p)]
    entries.append((f"{package.name}/config.yml", config))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, zipped in (("code.zip", entries), (CODE_WHEEL, _wheel_entries(entries))):
        _zip(zipped, out_dir / name)
        os.chmod(out_dir / name, 0o644)
        os.utime(out_dir / name, (FIXED_EPOCH, FIXED_EPOCH))
    _write(out_dir / "main.py", (job_dir / "main.py").read_bytes())
    _write(out_dir / "config.yml", config)
    digests = {name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest() for name in ("code.zip", CODE_WHEEL, "config.yml", "main.py")}
    sums = "".join(f"{digests[name]}  {name}\n" for name in sorted(digests)).encode()
    _write(out_dir / "SHA256SUMS", sums)
    digests["artifact"] = hashlib.sha256(sums).hexdigest()
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a job's deterministic deployable artifact.")
    parser.add_argument("job_dir", type=Path, help="e.g. jobs/sales_etl")
    parser.add_argument("out_dir", type=Path, help="e.g. jobs/_build/sales_etl")
    parser.add_argument(
        "--library",
        dest="libraries",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="a folder whose src/ packages are shipped in code.zip too (repeatable), e.g. jobs/common",
    )
    args = parser.parse_args(argv)
    try:
        digests = build(args.job_dir, args.out_dir, args.libraries)
    except BuildError as exc:
        print(f"build_artifact: error: {exc}", file=sys.stderr)
        return 2
    for name in ("main.py", "code.zip", CODE_WHEEL, "config.yml"):
        print(f"{digests[name]}  {args.out_dir / name}")
    print(f"{digests['artifact']}  artifact (sha256 of {args.out_dir / 'SHA256SUMS'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
