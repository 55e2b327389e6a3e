#!/usr/bin/env python3
"""Deterministic generator of sales source data in the same CSV shape as the real extracts.

    python3 jobs/generate_data.py --scale 1 --seed 7 --out /tmp/sales_1x

--scale 1 matches the real extracts (200 accounts, 9,685 invoices, ~53.5k line items, 100 SKUs);
accounts and SKUs never drop below 20, so --scale 0.01 gives a tiny but varied sample.
--bad-rows K appends K of each kind of bad row (orphan line item, negative quantity,
unparseable invoice date, negative SKU price) so the quarantine has something to show.
Same arguments -> byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

REAL_ACCOUNTS, REAL_INVOICES, REAL_SKUS = 200, 9_685, 100
FIRST_ISSUE, LAST_ISSUE = dt.date(2020, 5, 12), dt.date(2021, 5, 12)
MAX_ITEMS_PER_INVOICE = 10  # uniform 1..10 gives ~5.5 lines per invoice, like the real data

SURNAMES = (
    "Smith",
    "Jones",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Kowalski",
    "Silva",
    "Brown",
    "Khan",
    "Meyer",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Murphy",
    "Cohen",
    "Ivanova",
    "Haddad",
    "Larsen",
    "Moreau",
    "Patel",
)
FIRST_NAMES = ("Alex", "Maria", "Sam", "Priya", "Jonas", "Lena", "Omar", "Grace", "Hiro", "Ines")
STREETS = ("Oak Street", "Harbor Road", "Mill Lane", "Station Avenue", "Cedar Court", "Bridge Way")
TOWNS = ("Northfield", "Eastport", "Lakeview", "Riverton", "Westbrook", "Fairmont")
STATES = ("CA", "NY", "TX", "WA", "OR", "IL", "MA", "CO")
ADJECTIVES = ("Adaptive", "Compact", "Modular", "Rugged", "Smart", "Universal", "Premium", "Portable")
NOUNS = ("brake kit", "wiper set", "tyre pump", "battery pack", "seat cover", "roof rack", "mirror", "jack")
VERBS = ("fits", "upgrades", "protects", "extends", "replaces", "improves")


def _company(rng: random.Random) -> str:
    a, b, c = rng.sample(SURNAMES, 3)
    return rng.choice((f"{a}-{b}", f"{a}, {b} and {c}", f"{a} and Sons", f"{a} PLC", f"{a} Ltd"))


def _address(rng: random.Random) -> str:
    # Two lines, so the value is quoted and spans lines exactly like the real accounts.csv.
    return f"{rng.randint(1, 99999)} {rng.choice(STREETS)}\n{rng.choice(TOWNS)}, {rng.choice(STATES)} {rng.randint(1000, 99999):05d}"


def _item_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        group, publisher = rng.randint(0, 1), rng.randint(10, 99999)
        title = rng.randint(100, 99999)
        check = rng.choice("0123456789X")
        item_id = f"{group}-{publisher}-{title}-{check}"
        if item_id not in taken:
            taken.add(item_id)
            return item_id


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generate(scale: float, seed: int, out: Path, bad_rows: int = 0) -> dict[str, int]:
    if scale <= 0:
        raise ValueError("--scale must be > 0")
    rng = random.Random(seed)
    n_accounts = max(20, round(REAL_ACCOUNTS * scale))
    n_invoices = max(1, round(REAL_INVOICES * scale))
    n_skus = max(20, round(REAL_SKUS * scale))
    out.mkdir(parents=True, exist_ok=True)
    counts = {}

    def writer(name: str, header: tuple[str, ...]):
        handle = open(out / f"{name}.csv", "w", newline="", encoding="utf-8")
        w = csv.writer(handle, lineterminator="\n")
        w.writerow(header)
        return handle, w

    handle, w = writer("accounts", ("account_id", "company_name", "company_address", "contact_person", "contact_phone", "gender", "joining_date"))
    with handle:
        for account_id in range(1, n_accounts + 1):
            gender = rng.choice("FM")
            joined = dt.date(2016, 5, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))
            w.writerow(
                (
                    account_id,
                    _company(rng),
                    _address(rng),
                    f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                    f"({rng.randint(100, 999)}){rng.randint(100, 999)}-{rng.randint(0, 9999):04d}",
                    gender,
                    joined.isoformat(),
                )
            )
    counts["accounts"] = n_accounts

    taken: set[str] = set()
    skus = []
    handle, w = writer("skus", ("item_id", "item_name", "item_description", "item_cost_price", "item_retail_price"))
    with handle:
        for _ in range(n_skus):
            cost = rng.randint(10_000, 900_000)
            retail = cost * rng.randint(120, 300) // 100
            item_id = _item_id(rng, taken)
            skus.append(item_id)
            w.writerow((item_id, f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}", f"{rng.choice(VERBS)} {rng.choice(NOUNS)}", _money(cost), _money(retail)))
        for _ in range(bad_rows):
            w.writerow((_item_id(rng, taken), "Broken price", "negative cost price", "-1.00", "10.00"))
    counts["skus"] = n_skus + bad_rows

    span = (LAST_ISSUE - FIRST_ISSUE).days
    handle, w = writer("invoices", ("invoice_id", "account_id", "date_issued", "payment_dates"))
    with handle:
        for invoice_id in range(1, n_invoices + 1):
            issued = FIRST_ISSUE + dt.timedelta(days=rng.randint(0, span))
            paid = issued + dt.timedelta(days=rng.randint(0, 60))
            w.writerow((invoice_id, rng.randint(1, n_accounts), issued.isoformat(), paid.isoformat()))
        for k in range(bad_rows):
            w.writerow((n_invoices + 1 + k, 1, "2021-02-30", "2021-03-15"))
    counts["invoices"] = n_invoices + bad_rows

    lines = 0
    handle, w = writer("invoice_line_items", ("invoice_id", "item_id", "quantity"))
    with handle:
        per_invoice = min(MAX_ITEMS_PER_INVOICE, n_skus)
        for invoice_id in range(1, n_invoices + 1):
            for item_id in rng.sample(skus, rng.randint(1, per_invoice)):
                w.writerow((invoice_id, item_id, rng.randint(1, 4)))
                lines += 1
        for k in range(bad_rows):
            w.writerow((10 * n_invoices + 1000 + k, skus[0], 2))  # orphan: no such invoice
            w.writerow((1 + k % n_invoices, _item_id(rng, set(skus)), -3))  # negative quantity
            lines += 2
    counts["invoice_line_items"] = lines
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiple of the real extracts' size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="directory for the four CSV files")
    parser.add_argument("--bad-rows", type=int, default=0, help="bad rows of each kind to append")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be > 0")
    if args.bad_rows < 0:
        parser.error("--bad-rows must be >= 0")
    counts = generate(args.scale, args.seed, args.out, args.bad_rows)
    for name, n in counts.items():
        print(f"{args.out / (name + '.csv')}: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
