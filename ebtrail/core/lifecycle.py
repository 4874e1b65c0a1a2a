"""The log bucket's lifecycle: S3's lifecycle constraints, ebtrail's documented defaults (:data:`DEFAULTS`, the
one place their numbers are written: the config model's ``Field`` defaults and the constructs' props read them),
and what a lifecycle does to one log file, by its size: where it goes, when, and how long Athena can read it.
Shared by the config model, the constructs, ``make synth``'s summary and ``bench/lifecycle_cost.py``.

S3 facts this module encodes (each looked up in AWS's documentation):

* The waterfall and the minimum days (S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html,
  "Constraints and considerations for transitions"; S3 API Reference, "Transition": for STANDARD_IA or
  ONEZONE_IA "valid values are positive integers greater than 30"): S3 moves an object only down
  :data:`STORAGE_CLASS_ORDER`; an object must be :data:`MIN_TRANSITION_AGE` days old before it moves to an IA
  class, and stay :data:`MIN_DAYS_IN_IA` days in an IA class before it moves on (a hard rule: S3 refuses the
  lifecycle configuration). The minimum storage durations (:data:`MIN_STORAGE_DAYS`; S3 User Guide,
  "Understanding and managing Amazon S3 storage classes", "Comparing the Amazon S3 storage classes") are a
  billing rule: an object that leaves a class earlier is billed the remaining days as an early-deletion charge.
* ``TransitionDefaultMinimumObjectSize`` (S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle";
  CloudFormation ``AWS::S3::Bucket LifecycleConfiguration``): with ``all_storage_classes_128K``, S3's default and
  the value ebtrail sets explicitly, objects smaller than 128 KB transition to no storage class. Most CloudTrail
  log and digest files are a few KB, so they stay in S3 Standard until they expire. That is also the cheaper
  place for them: the Glacier classes bill 40 KB of overhead per object (32 KB at the class's rate, 8 KB at S3
  Standard's) and every class charges per transition request, which for a file of a few KB costs more than
  the storage it saves (``bench/lifecycle_cost.py`` shows the numbers).
* Athena does not read objects in S3 Glacier Flexible Retrieval (``GLACIER``) or S3 Glacier Deep Archive
  (``DEEP_ARCHIVE``): it skips them without an error (Athena User Guide, "Query restored Amazon S3 Glacier
  objects"). S3 Standard-IA, One Zone-IA, Intelligent-Tiering and Glacier Instant Retrieval stay queryable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

StorageClass = Literal["STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]

#: S3's lifecycle waterfall: an object can only move down this list.
STORAGE_CLASS_ORDER: tuple[StorageClass, ...] = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
#: Days an object must be at least this old before S3 moves it to the class (S3 lifecycle constraint).
MIN_TRANSITION_AGE: dict[StorageClass, int] = {"STANDARD_IA": 30, "ONEZONE_IA": 30}
#: Days an object must stay in an IA class (a key of :data:`MIN_TRANSITION_AGE`) before S3 moves it on.
MIN_DAYS_IN_IA = 30
#: Minimum storage duration S3 bills for; leaving a class earlier costs an early-deletion charge.
MIN_STORAGE_DAYS: dict[StorageClass, int] = {
    "STANDARD_IA": 30,
    "ONEZONE_IA": 30,
    "GLACIER_IR": 90,
    "GLACIER": 90,
    "DEEP_ARCHIVE": 180,
}


def min_storage_days_text() -> str:
    """The minimum storage durations in words, for a description: ``STANDARD_IA and ONEZONE_IA 30, ...,
    DEEP_ARCHIVE 180 days``."""
    by_days: dict[int, list[str]] = {}
    for storage_class, days in MIN_STORAGE_DAYS.items():
        by_days.setdefault(days, []).append(storage_class)
    return ", ".join(f"{' and '.join(classes)} {days}" for days, classes in by_days.items()) + " days"


@dataclass(frozen=True)
class LifecycleDefaults:
    """ebtrail's lifecycle defaults, written here once: ``deployment.config``'s ``Field`` defaults and the
    constructs' props (``LifecycleRules``, ``LogArchiveProps``, ``AthenaOptions``, ...) read :data:`DEFAULTS`,
    and the generated config reference shows them.

    Why these values: GLACIER_IR stays readable by Athena, so the saved queries' look-back (at most 90 days) sees
    every file; DEEP_ARCHIVE, which Athena skips, starts after a year; deletion after 7 years. They satisfy the
    constraints above: GLACIER_IR and DEEP_ARCHIVE have no minimum age, and the files stay in each class longer
    than its minimum storage duration (``tests/package/test_lifecycle_once.py`` checks it with the config's
    rules).
    Noncurrent versions (left by an overwrite or a delete on the versioned bucket) are deleted a month later,
    unfinished multipart uploads aborted after a week; server access logs are kept a year, Athena query results
    (reproducible from the archive) a month.
    """

    #: Storage-class moves of current log files of 128 KB or more: (storage class, age in days), in order.
    transitions: tuple[tuple[StorageClass, int], ...]
    #: Days after delivery a log file is deleted (``None``: never).
    expiration_days: int | None
    noncurrent_version_expiration_days: int
    abort_incomplete_multipart_upload_days: int
    #: Days the S3 server access logs of the archive (and of the Athena results bucket) are kept.
    access_log_retention_days: int
    #: Days Athena query results are kept.
    athena_results_expiration_days: int

    @property
    def plan(self) -> LifecyclePlan:
        """What the default lifecycle does to a log file (``make synth``'s lifecycle lines)."""
        return LifecyclePlan(transitions=self.transitions, expiration_days=self.expiration_days)


DEFAULTS = LifecycleDefaults(
    transitions=(("GLACIER_IR", 90), ("DEEP_ARCHIVE", 365)),
    expiration_days=2557,
    noncurrent_version_expiration_days=30,
    abort_incomplete_multipart_upload_days=7,
    access_log_retention_days=365,
    athena_results_expiration_days=30,
)


class _Transition(Protocol):
    @property
    def storage_class(self) -> str: ...
    @property
    def days(self) -> int: ...


class LifecycleSettings(Protocol):
    """What :meth:`LifecyclePlan.from_config` reads (``deployment.config.Lifecycle`` has it)."""

    @property
    def transitions(self) -> Sequence[_Transition]: ...
    @property
    def expiration_days(self) -> int | None: ...


#: S3's default minimum object size for lifecycle transitions: 128 KB (``all_storage_classes_128K``).
SMALL_OBJECT_LIMIT_BYTES = 128 * 1024
#: The value of ``TransitionDefaultMinimumObjectSize`` that ebtrail sets on the log bucket.
TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZE = "all_storage_classes_128K"
#: Storage classes Athena cannot read (objects there are skipped, silently).
UNQUERYABLE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


@dataclass(frozen=True)
class LifecyclePlan:
    """The lifecycle of current log files: transitions (storage class, age in days) and the expiration."""

    transitions: tuple[tuple[str, int], ...]
    expiration_days: int | None

    @classmethod
    def from_config(cls, lifecycle: LifecycleSettings) -> LifecyclePlan:
        return cls(
            transitions=tuple((t.storage_class, t.days) for t in lifecycle.transitions),
            expiration_days=lifecycle.expiration_days,
        )

    @classmethod
    def from_template(cls, configuration: dict[str, Any]) -> LifecyclePlan:
        """From a synthesized ``LifecycleConfiguration`` (the rule that moves and expires current files)."""
        if configuration.get("TransitionDefaultMinimumObjectSize") != TRANSITION_DEFAULT_MINIMUM_OBJECT_SIZE:
            raise ValueError(
                "this module describes buckets with TransitionDefaultMinimumObjectSize all_storage_classes_128K"
            )
        transitions: list[tuple[str, int]] = []
        expiration: int | None = None
        for rule in configuration.get("Rules", []):
            if rule.get("Status") != "Enabled":
                continue
            transitions += [(t["StorageClass"], int(t["TransitionInDays"])) for t in rule.get("Transitions", [])]
            if "ExpirationInDays" in rule:
                expiration = int(rule["ExpirationInDays"])
        return cls(transitions=tuple(sorted(transitions, key=lambda t: t[1])), expiration_days=expiration)

    def transitions_for(self, size_bytes: int) -> tuple[tuple[str, int], ...]:
        """The transitions S3 applies to a file of ``size_bytes`` (none below 128 KB)."""
        return self.transitions if size_bytes >= SMALL_OBJECT_LIMIT_BYTES else ()

    def athena_window_days(self, size_bytes: int) -> int | None:
        """How many days after delivery Athena can still read a file of this size (None: as long as it is kept)."""
        for storage_class, days in self.transitions_for(size_bytes):
            if storage_class in UNQUERYABLE_CLASSES:
                return days
        return self.expiration_days

    @property
    def athena_window_all_files(self) -> int | None:
        """The window that holds for every file, whatever its size (the large files' window is the shorter)."""
        return self.athena_window_days(SMALL_OBJECT_LIMIT_BYTES)

    def describe(self) -> str:
        """One line: what the lifecycle does to a typical (small) and to a large log file."""
        expiry = f"deleted at {self.expiration_days} d" if self.expiration_days else "kept forever"
        if not self.transitions:
            return f"every file stays in STANDARD, {expiry}"
        moves = ", ".join(f"{storage_class} at {days} d" for storage_class, days in self.transitions)
        return f"files >= 128 KB: {moves}, {expiry}; smaller files (most CloudTrail files): stay in STANDARD, {expiry}"

    def describe_athena(self) -> str:
        """One line: how far back Athena can see."""
        window = self.athena_window_all_files
        if window is None:
            return "Athena can query every log file as long as it is kept"
        if window == self.expiration_days:
            return f"Athena can query the last {window} days (every file until it expires)"
        small = self.athena_window_days(0)
        small_text = f"all {small} days" if small else "as long as they are kept"
        return (
            f"Athena can query the last {window} days (files under 128 KB: {small_text}); older files of 128 KB "
            "or more are in GLACIER/DEEP_ARCHIVE, which Athena skips without an error"
        )
