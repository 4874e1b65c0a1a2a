"""The exit codes of every ``ebtrail-verify`` sub-command: one number, one meaning, whichever command ran.

0 the thing checked is proven, 1 it is disproven, 2 it could not be decided (misconfiguration, missing
permission, bad usage), 3 AWS could not be reached (no verdict), 130/143/129 interrupted by
SIGINT/SIGTERM/SIGHUP. Each command's own word for a code is an alias of the same member, so
``ExitCode.VALID is ExitCode.ARRIVED``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    PROVEN = 0
    DISPROVEN = 1
    UNDECIDED = 2
    #: AWS could not be reached (connection errors, throttling after botocore's retries, 5xx): no verdict, retry.
    UNREACHABLE = 3
    #: SIGINT; SIGTERM ends with 143 and SIGHUP with 129 (128 + the signal's number, see ebtrail.verifier.signals).
    INTERRUPTED = 130

    # verify: the probe's record arrived / not before --timeout / misconfigured (trail, selectors, permissions)
    ARRIVED = 0
    TIMEOUT = 1
    MISCONFIGURED = 2
    # integrity: every file valid / a file modified or missing / something could not be verified
    VALID = 0
    TAMPERED = 1
    UNVERIFIABLE = 2
    # preflight: CloudTrail's policy checks pass / one fails / a policy cannot be evaluated offline
    PASS = 0
    FAIL = 1
    CANNOT_EVALUATE = 2
    # trails: deploying the config adds no paid copy of management events (and none is paid for now) / it would
    # add one, or an account and region already records them twice / a trail's selectors or a region unreadable
    NO_PAID_COPY = 0
    PAID_COPY = 1
    CANNOT_TELL = 2
