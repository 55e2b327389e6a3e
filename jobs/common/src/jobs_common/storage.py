"""File access through Hadoop's FileSystem API, so the same code serves local paths, HDFS and
s3:// (EMRFS on Glue/EMR) / s3a://; and the table read/write options every job uses."""

from __future__ import annotations

from typing import Sequence

OBJECT_STORE_SCHEMES = ("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs")


class Storage:
    def __init__(self, spark):
        self._spark = spark
        self._jvm = spark.sparkContext._jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str):
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def _fs(self, path: str):
        return self._path(path).getFileSystem(self._conf)

    def qualified(self, path: str) -> str:
        """Absolute path of a path (Hadoop Path form, not %-escaped), for printing, the manifest
        and the catalog."""
        p = self._path(path)
        return str(p.getFileSystem(self._conf).makeQualified(p).toString())

    def is_object_store(self, path: str) -> bool:
        scheme = self._path(path).toUri().getScheme()
        return scheme is not None and scheme.lower() in OBJECT_STORE_SCHEMES

    def exists(self, path: str) -> bool:
        return bool(self._fs(path).exists(self._path(path)))

    def delete(self, path: str) -> None:
        """Remove a file or a directory tree; nothing if it does not exist."""
        fs = self._fs(path)
        if fs.exists(self._path(path)):
            fs.delete(self._path(path), True)

    def rename(self, source: str, target: str) -> None:
        if not self._fs(source).rename(self._path(source), self._path(target)):
            raise IOError(f"could not rename {source} to {target}")

    def size(self, path: str) -> int:
        """Bytes under a file or directory (0 if it does not exist)."""
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return 0
        return int(fs.getContentSummary(self._path(path)).getLength())

    def list_dirs(self, path: str) -> list[str]:
        """Names of the sub-directories of path, sorted ([] if it does not exist)."""
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return []
        return sorted(str(s.getPath().getName()) for s in fs.listStatus(self._path(path)) if s.isDirectory())

    def read_text(self, path: str) -> str | None:
        """The whole file as UTF-8 text, or None if it does not exist."""
        fs = self._fs(path)
        if not fs.exists(self._path(path)):
            return None
        stream = fs.open(self._path(path))
        try:
            return str(self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
        finally:
            stream.close()

    def write_text(self, path: str, text: str) -> None:
        """One create + close: a single PUT on object stores (visible whole or not at all)."""
        fs = self._fs(path)
        stream = fs.create(self._path(path), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def replace_text(self, path: str, text: str, tag: str) -> None:
        """Atomically replace a small file: readers see the old text or the new, never a mix.
        Object stores: one PUT. Other file systems: write a hidden sibling, rename it over."""
        if self.is_object_store(path):
            self.write_text(path, text)
            return
        parent, _, name = path.rpartition("/")
        temporary = f"{parent}/.{name}.{tag}.tmp"
        self.write_text(temporary, text)
        fs = self._fs(path)
        # Local file systems rename over an existing file atomically (POSIX rename).
        if fs.rename(self._path(temporary), self._path(path)):
            return
        # HDFS refuses to rename onto an existing file; FileContext's OVERWRITE rename is atomic there.
        jvm = self._jvm
        options = self._spark.sparkContext._gateway.new_array(jvm.org.apache.hadoop.fs.Options.Rename, 1)
        options[0] = jvm.org.apache.hadoop.fs.Options.Rename.OVERWRITE
        context = jvm.org.apache.hadoop.fs.FileContext.getFileContext(self._path(path).toUri(), self._conf)
        context.rename(self._path(temporary), self._path(path), options)


def table_writer(df, fmt: str, partition_by: Sequence[str] = ()):
    """df.write for a whole table in fmt (overwrite); csv with a header and "-escaped quotes."""
    writer = df.write.format(fmt).mode("overwrite")
    if fmt == "csv":
        writer = writer.option("header", True).option("escape", '"')
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    return writer


def read_table(spark, path: str, fmt: str, schema=None):
    """A table written by table_writer (csv: header, multi-line quoted values); schema optional."""
    reader = spark.read.format(fmt)
    if schema is not None:
        reader = reader.schema(schema)
    if fmt == "csv":
        reader = reader.option("header", True).option("multiLine", True).option("escape", '"')
    return reader.load(path)
