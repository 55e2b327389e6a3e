import csv
import subprocess
import sys

from conftest import JOBS_DIR, SAMPLE_DATA
from generate_data import generate

FILES = ("accounts.csv", "invoices.csv", "invoice_line_items.csv", "skus.csv")


def test_committed_sample_is_exactly_what_the_generator_makes(tmp_path):
    # The README documents these arguments; regenerating must reproduce the committed files.
    subprocess.run(
        [sys.executable, str(JOBS_DIR / "generate_data.py"), "--scale", "0.01", "--seed", "7", "--bad-rows", "1", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DATA / name).read_bytes(), name


def test_scale_sets_sizes_and_seed_changes_content(tmp_path):
    counts = generate(0.1, seed=1, out=tmp_path / "a")
    assert counts["accounts"] == 20 and counts["skus"] == 20 and counts["invoices"] == 968
    other = generate(0.1, seed=2, out=tmp_path / "b")
    assert other["invoices"] == 968
    assert (tmp_path / "a" / "invoice_line_items.csv").read_bytes() != (tmp_path / "b" / "invoice_line_items.csv").read_bytes()
    with open(tmp_path / "a" / "invoice_line_items.csv", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == counts["invoice_line_items"]


def test_addresses_are_quoted_multi_line_values_like_the_real_extracts(tmp_path):
    generate(0.01, seed=3, out=tmp_path)
    with open(tmp_path / "accounts.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20
    assert all("\n" in r["company_address"] for r in rows)
    assert (tmp_path / "accounts.csv").read_text().count('"') >= 40
