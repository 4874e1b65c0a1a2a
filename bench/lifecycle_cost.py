"""What the log bucket's lifecycle costs, against never transitioning: 1 million log files of one size, kept for
the configured retention, for file sizes from 2 KB to 1 MB.

``python bench/lifecycle_cost.py [--config config/<file>.toml] [--files N]`` prints one table per config (default:
the default lifecycle of ``deployment.config.Lifecycle`` and every example config). Exits 1 when the rules cost more
than no transitions at the documented median file size (:data:`MEDIAN_FILE_BYTES`), so ``make bench`` catches a
default that loses money.

The model (per file, us-east-1 prices below):

* Baseline: S3 Standard for the whole retention.
* With the rules: Standard until the first transition S3 actually applies, then each class for its days. Files
  under 128 KB transition nowhere (``TransitionDefaultMinimumObjectSize = all_storage_classes_128K``, set on the
  bucket: :mod:`ebtrail.core.lifecycle`). Each transition is one lifecycle transition request, billed per 1,000 at the
  target class's price. STANDARD_IA, ONEZONE_IA and GLACIER_IR bill at least 128 KB per object; GLACIER and
  DEEP_ARCHIVE add 40 KB per object: 32 KB at the class's rate and 8 KB at S3 Standard's (S3 User Guide,
  "Understanding and managing Amazon S3 storage classes"; S3 pricing page). INTELLIGENT_TIERING is modelled as
  frequent tier for 30 days, infrequent tier until day 90, archive-instant tier after, plus its monitoring fee.
* Not modelled because they are the same with and without transitions: PUTs by CloudTrail, expiration (free),
  Athena's own charges. Not modelled: GETs and retrievals (reading archived files costs extra; the verifier and
  Athena read recent files), and early-deletion charges (the config refuses rules that would incur them unless
  ``accept_early_deletion_charge`` is set).
* A month is 30 days, as S3 bills minimum storage durations.

"The documented median": AWS publishes no size distribution of CloudTrail log files. CloudTrail writes a gzip file
per account and region about every 5 minutes when there are events; a Beanstalk audit account's files are a few KB.
:data:`MEDIAN_FILE_BYTES` is 8 KB, an assumption, not a measurement; the default rules are chosen so that they cost
no more than no transitions at every size in the table, so the conclusion does not hang on that guess.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deployment.config import Lifecycle, load_config
from ebtrail.core.lifecycle import SMALL_OBJECT_LIMIT_BYTES, LifecyclePlan

#: When and where the prices were taken. The machine that ran this had no internet access; the figures were read
#: from stored copies of the pages below and are the first-tier (first 50 TB/month) prices of US East (N. Virginia).
PRICES_AS_OF = "2026-11-27"
PRICE_SOURCES = (
    "https://aws.amazon.com/s3/pricing/ (Storage; Requests & data retrievals: Lifecycle Transition requests)",
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html (minimum billable sizes, "
    "40 KB Glacier overhead)",
)


@dataclass(frozen=True)
class ClassPrice:
    """One storage class in us-east-1: storage per GB-month, lifecycle transition requests into it per 1,000."""

    gb_month: float
    transition_per_1000: float
    minimum_billable_bytes: int = 0
    #: Per-object overhead: bytes billed at this class's rate, bytes billed at S3 Standard's rate.
    overhead_own_bytes: int = 0
    overhead_standard_bytes: int = 0


KB = 1024
GB = 1024**3

#: us-east-1 prices (USD), as of :data:`PRICES_AS_OF`, from :data:`PRICE_SOURCES`.
PRICES: dict[str, ClassPrice] = {
    "STANDARD": ClassPrice(gb_month=0.023, transition_per_1000=0.0),
    "STANDARD_IA": ClassPrice(gb_month=0.0125, transition_per_1000=0.01, minimum_billable_bytes=128 * KB),
    "INTELLIGENT_TIERING": ClassPrice(gb_month=0.023, transition_per_1000=0.01),  # frequent tier; see below
    "ONEZONE_IA": ClassPrice(gb_month=0.01, transition_per_1000=0.01, minimum_billable_bytes=128 * KB),
    "GLACIER_IR": ClassPrice(gb_month=0.004, transition_per_1000=0.02, minimum_billable_bytes=128 * KB),
    "GLACIER": ClassPrice(
        gb_month=0.0036, transition_per_1000=0.03, overhead_own_bytes=32 * KB, overhead_standard_bytes=8 * KB
    ),
    "DEEP_ARCHIVE": ClassPrice(
        gb_month=0.00099, transition_per_1000=0.05, overhead_own_bytes=32 * KB, overhead_standard_bytes=8 * KB
    ),
}
#: Intelligent-Tiering: infrequent-access and archive-instant-access tiers, monitoring per 1,000 objects a month.
INTELLIGENT_TIERING_INFREQUENT_GB_MONTH = 0.0125
INTELLIGENT_TIERING_ARCHIVE_INSTANT_GB_MONTH = 0.004
INTELLIGENT_TIERING_MONITORING_PER_1000 = 0.0025

#: The documented median CloudTrail log file size this project designs for (see the module docstring).
MEDIAN_FILE_BYTES = 8 * KB
#: File sizes of the table.
SIZES_BYTES = tuple(kb * KB for kb in (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
DAYS_PER_MONTH = 30


def _storage(class_name: str, size: int, days: int) -> float:
    """Storage cost of one object of ``size`` bytes kept ``days`` days in ``class_name``."""
    months = days / DAYS_PER_MONTH
    if class_name == "INTELLIGENT_TIERING":
        frequent, infrequent, archive = min(days, 30), max(0, min(days, 90) - 30), max(0, days - 90)
        rates = (
            (frequent, PRICES["STANDARD"].gb_month),
            (infrequent, INTELLIGENT_TIERING_INFREQUENT_GB_MONTH),
            (archive, INTELLIGENT_TIERING_ARCHIVE_INSTANT_GB_MONTH),
        )
        tiers = sum(d / DAYS_PER_MONTH * rate * size / GB for d, rate in rates)
        return tiers + months * INTELLIGENT_TIERING_MONITORING_PER_1000 / 1000
    price = PRICES[class_name]
    billed = max(size, price.minimum_billable_bytes) + price.overhead_own_bytes
    return months * (billed / GB * price.gb_month + price.overhead_standard_bytes / GB * PRICES["STANDARD"].gb_month)


def cost_per_file(plan: LifecyclePlan, size: int, retention_days: int, *, honour_minimum_size: bool = True) -> float:
    """USD for one file of ``size`` bytes over ``retention_days`` under ``plan``.

    ``honour_minimum_size=False`` prices the same rules as if every file transitioned (what
    ``varies_by_storage_class`` plus size filters, or an ``ObjectSizeGreaterThan`` of 0, would do), to show why
    ebtrail keeps small files in S3 Standard.
    """
    transitions = plan.transitions_for(size) if honour_minimum_size else plan.transitions
    steps = [("STANDARD", 0), *[(c, d) for c, d in transitions if d < retention_days]]
    total = 0.0
    for index, (class_name, start) in enumerate(steps):
        end = steps[index + 1][1] if index + 1 < len(steps) else retention_days
        total += _storage(class_name, size, end - start)
        if index > 0:
            total += PRICES[class_name].transition_per_1000 / 1000
    return total


@dataclass(frozen=True)
class Row:
    size: int
    no_transitions: float
    with_rules: float
    every_file_transitioning: float

    @property
    def ratio(self) -> float:
        return self.with_rules / self.no_transitions


def table(plan: LifecyclePlan, files: int) -> list[Row]:
    retention = plan.expiration_days or 7 * 365
    baseline = LifecyclePlan(transitions=(), expiration_days=retention)
    return [
        Row(
            size=size,
            no_transitions=files * cost_per_file(baseline, size, retention),
            with_rules=files * cost_per_file(plan, size, retention),
            every_file_transitioning=files * cost_per_file(plan, size, retention, honour_minimum_size=False),
        )
        for size in SIZES_BYTES
    ]


def render(name: str, plan: LifecyclePlan, rows: list[Row], files: int) -> str:
    retention = plan.expiration_days or 7 * 365
    lines = [
        f"{name}: {plan.describe()}",
        f"{files:,} files kept {retention} days, us-east-1 prices of {PRICES_AS_OF}; "
        f"median file {MEDIAN_FILE_BYTES // KB} KB (assumed)",
        "",
        "| file size | no transitions | these rules (128 KB minimum) | ratio | if every file transitioned |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        marker = " (median)" if row.size == MEDIAN_FILE_BYTES else ""
        lines.append(
            f"| {row.size // KB} KB{marker} | ${row.no_transitions:,.2f} | ${row.with_rules:,.2f} | "
            f"{row.ratio:.2f} | ${row.every_file_transitioning:,.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", action="append", help="a deployment config (repeatable); default: all")
    parser.add_argument("--files", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    plans = {"default rules (deployment.config.Lifecycle)": LifecyclePlan.from_config(Lifecycle())}
    for path in args.config or sorted(str(p.relative_to(root)) for p in (root / "config").glob("*.toml")):
        plans[path] = LifecyclePlan.from_config(load_config(root / path).archive.lifecycle)
    print(f"Prices: {', '.join(PRICE_SOURCES)}\n")
    failed = []
    for name, plan in plans.items():
        rows = table(plan, args.files)
        print(render(name, plan, rows, args.files), end="\n\n")
        median = next(row for row in rows if row.size == MEDIAN_FILE_BYTES)
        if median.with_rules > median.no_transitions * (1 + 1e-9):
            failed.append(name)
    assert SMALL_OBJECT_LIMIT_BYTES in SIZES_BYTES
    if failed:
        print(f"FAIL: costs more than no transitions at the median file size: {', '.join(failed)}")
        return 1
    print("OK: no config costs more than no transitions at the median file size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
