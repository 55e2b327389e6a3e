"""File access through Hadoop's FileSystem API: local paths, HDFS and s3:// (EMRFS on Glue/EMR)
or s3a:// alike. The shared jobs_common.storage plus what only this job needs: listing the DMS
files of a table and reading a csv header, and the swap-in table write.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobs_common import storage as common
from jobs_common.storage import read_table, table_writer
from pyspark.sql import DataFrame

__all__ = ["FileInfo", "Storage", "read_table", "write_table"]


@dataclass(frozen=True)
class FileInfo:
    uri: str  # fully qualified, as Spark reports it in _metadata.file_path
    relative: str  # path below the table folder, e.g. 2024/01/31/20240131-120000123.parquet
    size: int


class Storage(common.Storage):
    """The shared Storage plus recursive listing and the first line of a file (DMS csv headers)."""

    def qualified(self, path: str) -> str:
        """Absolute URI of a path, %-escaped as Spark reports files (_metadata.file_path)."""
        p = self._path(path)
        return str(p.getFileSystem(self._conf).makeQualified(p).toUri().toString())

    def list_files(self, folder: str) -> list[FileInfo]:
        """Every file below folder (recursive), skipping hidden/underscore names; [] if absent."""
        fs = self._fs(folder)
        root = self._path(folder)
        if not fs.exists(root):
            return []
        base = str(fs.makeQualified(root).toUri().toString()).rstrip("/") + "/"
        files = []
        iterator = fs.listFiles(root, True)
        while iterator.hasNext():
            status = iterator.next()
            uri = str(status.getPath().toUri().toString())
            relative = uri[len(base) :] if uri.startswith(base) else status.getPath().getName()
            if any(part.startswith((".", "_")) for part in relative.split("/")):
                continue
            files.append(FileInfo(uri=uri, relative=relative, size=int(status.getLen())))
        return files

    def first_line(self, path: str) -> str:
        """First line of a (possibly .gz) text file: the header of a DMS csv file."""
        p = self._path(path)
        fs = self._fs(path)
        stream = fs.open(p)
        try:
            codec = self._jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(self._conf).getCodec(p)
            raw = codec.createInputStream(stream) if codec is not None else stream
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(raw, "UTF-8"))
            line = reader.readLine()
            return "" if line is None else str(line)
        finally:
            stream.close()


def write_table(storage: Storage, df: DataFrame, path: str, fmt: str, run_id: str) -> None:
    """Local/HDFS: write a hidden sibling and swap it in by renames (readers never see half a
    table). Object stores: overwrite in place; readers go by _manifest.json, written last."""
    writer = table_writer(df, fmt)
    if storage.is_object_store(path):
        writer.save(path)
        return
    parent, _, name = path.rstrip("/").rpartition("/")
    parent = parent or "."
    staging = f"{parent}/.{name}.staging-{run_id}"
    backup = f"{parent}/.{name}.previous-{run_id}"
    storage.delete(staging)
    writer.save(staging)
    had_previous = storage.exists(path)
    if had_previous:
        storage.rename(path, backup)
    storage.rename(staging, path)
    if had_previous:
        storage.delete(backup)
