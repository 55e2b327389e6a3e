"""File access through Hadoop's FileSystem API: local paths, HDFS and s3:// (EMRFS on Glue/EMR)
or s3a:// alike. A copy of sales_etl's Storage plus listing and small reads, so each job's
code.zip stays self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass


from pyspark.sql import DataFrame, SparkSession

OBJECT_STORE_SCHEMES = ("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs")


@dataclass(frozen=True)
class FileInfo:
    uri: str  # fully qualified, as Spark reports it in _metadata.file_path
    relative: str  # path below the table folder, e.g. 2024/01/31/20240131-120000123.parquet
    size: int


class Storage:
    def __init__(self, spark: SparkSession):
        self._spark = spark
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def _fs(self, path: str):
        return self._path(path).getFileSystem(self._conf)

    def qualified(self, path: str) -> str:
        p = self._path(path)
        return str(p.getFileSystem(self._conf).makeQualified(p).toUri().toString())

    def is_object_store(self, path: str) -> bool:
        scheme = self._path(path).toUri().getScheme()
        return scheme is not None and scheme.lower() in OBJECT_STORE_SCHEMES

    def exists(self, path: str) -> bool:
        return bool(self._fs(path).exists(self._path(path)))

    def delete(self, path: str) -> None:
        fs = self._fs(path)
        if fs.exists(self._path(path)):
            fs.delete(self._path(path), True)

    def rename(self, source: str, target: str) -> None:
        if not self._fs(source).rename(self._path(source), self._path(target)):
            raise IOError(f"could not rename {source} to {target}")

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
            relative = uri[len(base):] if uri.startswith(base) else status.getPath().getName()
            if any(part.startswith((".", "_")) for part in relative.split("/")):
                continue
            files.append(FileInfo(uri=uri, relative=relative, size=int(status.getLen())))
        return files

    def read_text(self, path: str) -> str | None:
        fs = self._fs(path)
        p = self._path(path)
        if not fs.exists(p):
            return None
        stream = fs.open(p)
        try:
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            line = reader.readLine()
            while line is not None:
                lines.append(line)
                line = reader.readLine()
            return "\n".join(lines)
        finally:
            stream.close()

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

    def write_text(self, path: str, text: str) -> None:
        fs = self._fs(path)
        stream = fs.create(self._path(path), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()


def write_table(storage: Storage, df: DataFrame, path: str, fmt: str, run_id: str) -> None:
    """Local/HDFS: write a hidden sibling and swap it in by renames (readers never see half a
    table). Object stores: overwrite in place; readers go by _manifest.json, written last."""
    writer = df.write.format(fmt).mode("overwrite")
    if fmt == "csv":
        writer = writer.option("header", True).option("escape", '"')
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


def read_table(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    reader = spark.read.format(fmt)
    if fmt == "csv":
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
    return reader.load(path)


