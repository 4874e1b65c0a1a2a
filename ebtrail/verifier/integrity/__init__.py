"""Log file integrity: prove CloudTrail log files unchanged with the trail's signed, chained digest files.

Public API: :func:`verify_integrity` returns an :class:`IntegrityReport` (``exit_code``, ``to_json()``).
"""

from ebtrail.verifier.exit_codes import ExitCode
from ebtrail.verifier.integrity.model import FileKind, FileResult, IntegrityReport, Status
from ebtrail.verifier.integrity.verify import verify_integrity
from ebtrail.verifier.trail_info import TrailInfo

__all__ = [
    "ExitCode",
    "FileKind",
    "FileResult",
    "IntegrityReport",
    "Status",
    "TrailInfo",
    "verify_integrity",
]
