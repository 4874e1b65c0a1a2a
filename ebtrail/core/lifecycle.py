"""What the log bucket's lifecycle does to one log file, by its size: where it goes, when, and how long Athena
can read it. Shared by the construct, ``make synth``'s summary and ``bench/lifecycle_cost.py``.

S3 facts this module encodes (each looked up in AWS's documentation):

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
from typing import Any, Protocol


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
