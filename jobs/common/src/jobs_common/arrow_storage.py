"""File access without a JVM: local paths and s3:// through pyarrow's file systems.

The same operations as jobs_common.storage.Storage (Hadoop's FileSystem API), for runtimes that
run without Spark (the DuckDB runtime, a Glue Python shell job). S3 goes through pyarrow's own
S3 client (the AWS SDK for C++): nothing is downloaded at run time, credentials come from the
usual chain (environment, profile, the job's role), and AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL
point it elsewhere (an S3-compatible store in tests).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pyarrow.fs as pafs

S3_SCHEMES = ("s3", "s3a", "s3n")


def _s3() -> pafs.S3FileSystem:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    options = {"region": region}
    if endpoint:
        parsed = urlparse(endpoint)
        options.update(endpoint_override=parsed.netloc or parsed.path, scheme=parsed.scheme or "https", force_virtual_addressing=False)
    return pafs.S3FileSystem(**options)


class ArrowStorage:
    """Paths are what the job is given: `s3://bucket/key`, `s3a://…`, or a local path."""

    def __init__(self) -> None:
        self._s3: pafs.S3FileSystem | None = None
        self._local = pafs.LocalFileSystem()

    def resolve(self, path: str) -> tuple[pafs.FileSystem, str]:
        """(file system, path inside it) of a path."""
        parsed = urlparse(path)
        if parsed.scheme.lower() in S3_SCHEMES:
            if self._s3 is None:
                self._s3 = _s3()
            return self._s3, f"{parsed.netloc}{parsed.path}".rstrip("/")
        if parsed.scheme == "file":
            path = parsed.path
        return self._local, os.path.abspath(path)

    def qualified(self, path: str) -> str:
        """As Spark's Storage.qualified prints it: s3://bucket/key, or file:/absolute/path."""
        parsed = urlparse(path)
        if parsed.scheme.lower() in S3_SCHEMES:
            return f"{parsed.scheme}://{parsed.netloc}{parsed.path}".rstrip("/")
        return "file:" + self.resolve(path)[1]

    def is_object_store(self, path: str) -> bool:
        return urlparse(path).scheme.lower() in S3_SCHEMES

    def _info(self, path: str) -> pafs.FileInfo:
        fs, inner = self.resolve(path)
        return fs.get_file_info(inner)

    def exists(self, path: str) -> bool:
        return self._info(path).type != pafs.FileType.NotFound

    def delete(self, path: str) -> None:
        """Remove a file or a directory tree; nothing if it does not exist."""
        fs, inner = self.resolve(path)
        kind = fs.get_file_info(inner).type
        if kind == pafs.FileType.Directory:
            fs.delete_dir(inner)
        elif kind == pafs.FileType.File:
            fs.delete_file(inner)

    def size(self, path: str) -> int:
        """Bytes under a file or directory (0 if it does not exist), from the store's listing."""
        fs, inner = self.resolve(path)
        info = fs.get_file_info(inner)
        if info.type == pafs.FileType.File:
            return int(info.size or 0)
        if info.type != pafs.FileType.Directory:
            return 0
        found = fs.get_file_info(pafs.FileSelector(inner, recursive=True))
        return sum(int(f.size or 0) for f in found if f.type == pafs.FileType.File)

    def list_dirs(self, path: str) -> list[str]:
        """Names of the sub-directories of path, sorted ([] if it does not exist)."""
        fs, inner = self.resolve(path)
        if fs.get_file_info(inner).type != pafs.FileType.Directory:
            return []
        found = fs.get_file_info(pafs.FileSelector(inner, recursive=False))
        return sorted(f.base_name for f in found if f.type == pafs.FileType.Directory)

    def read_text(self, path: str) -> str | None:
        """The whole file as UTF-8 text, or None if it does not exist."""
        fs, inner = self.resolve(path)
        if fs.get_file_info(inner).type != pafs.FileType.File:
            return None
        with fs.open_input_stream(inner) as stream:
            return stream.read().decode("utf-8")

    def write_text(self, path: str, text: str) -> None:
        """One PUT on S3 (visible whole or not at all); parent directories made locally."""
        fs, inner = self.resolve(path)
        if fs is self._local:
            os.makedirs(os.path.dirname(inner), exist_ok=True)
        with fs.open_output_stream(inner) as stream:
            stream.write(text.encode("utf-8"))

    def replace_text(self, path: str, text: str, tag: str) -> None:
        """Atomically replace a small file: one PUT on S3; a hidden sibling renamed over it locally."""
        if self.is_object_store(path):
            self.write_text(path, text)
            return
        fs, inner = self.resolve(path)
        parent, _, name = inner.rpartition("/")
        temporary = f"{parent}/.{name}.{tag}.tmp"
        self.write_text(temporary, text)
        os.replace(temporary, inner)
