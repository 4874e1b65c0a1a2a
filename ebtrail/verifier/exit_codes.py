"""The exit codes of every ``ebtrail-verify`` sub-command: one number, one meaning, whichever command ran.

0 the thing checked is proven, 1 it is disproven, 2 it could not be decided (misconfiguration, missing
permission, bad usage), 3 AWS could not be reached (no verdict), 130/143/129 interrupted by
SIGINT/SIGTERM/SIGHUP. Each command's own word for a code is an alias of the same member, so
``ExitCode.VALID is ExitCode.ARRIVED``.
"""

from __future__ import annotations

import signal
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


#: What an interrupted run exits with: the shell's 128 + the signal's number (ebtrail.verifier.signals).
_INTERRUPTED: tuple[tuple[int, str], ...] = (
    (128 + signal.SIGINT, "interrupted by SIGINT (Ctrl-C), after cleaning up"),
    (128 + signal.SIGTERM, "interrupted by SIGTERM (a CI job cancel, `timeout`, `docker stop`), after cleaning up"),
    (128 + signal.SIGHUP, "interrupted by SIGHUP (the terminal closed), after cleaning up"),
)

#: Each command's exit codes and what they mean in its words. The exit-code tables of the documentation are
#: generated from these rows (``python -m tools.docs_gen``), so a code or a meaning changes here and nowhere else.
COMMAND_EXITS: dict[str, tuple[tuple[int, str], ...]] = {
    "verify": (
        (ExitCode.ARRIVED, "the record arrived: a log file in the trail's bucket holds it"),
        (
            ExitCode.TIMEOUT,
            "it did not arrive before `--timeout` (event history alone does not count: it is independent of trails)",
        ),
        (
            ExitCode.MISCONFIGURED,
            "misconfiguration: trail missing, not logging, delivery or notification errors, event selectors without "
            "management write events, a missing permission (named in the output), no channel able to read log files, "
            "or a bad option or argument (a `--trail` that is neither a trail name nor a trail ARN, an unknown "
            "region, `--timeout nan`)",
        ),
        (
            ExitCode.UNREACHABLE,
            "could not reach AWS (connection errors, timeouts, throttling after botocore's retries, HTTP 5xx): no "
            "verdict, so CI can retry on 3 and fail on 2",
        ),
        *_INTERRUPTED,
    ),
    "integrity": (
        (ExitCode.VALID, "every file valid"),
        (ExitCode.TAMPERED, "a file modified or missing (a broken digest chain included)"),
        (
            ExitCode.UNVERIFIABLE,
            "nothing modified or missing but something unverifiable, or a usage or configuration error (trail not "
            "found, no digest found with `--since`, a bad option, a `--trail` ARN or region that is not one, "
            "`--wait nan`)",
        ),
        (ExitCode.UNREACHABLE, "AWS could not be reached (connection errors, throttling after retries, 5xx): retry"),
        *_INTERRUPTED,
    ),
    "changes": (
        (ExitCode.PROVEN, "the deploy replaces nothing that records or notifies, or only what `--allow` names"),
        (
            ExitCode.DISPROVEN,
            "the deploy would replace what records or notifies (each replacement listed, with why); name them with "
            "`--allow` (`make deploy ALLOW_REPLACE=...`) to go ahead",
        ),
        (ExitCode.UNDECIDED, "an assembly cannot be read, has no CloudFormation stack, or a bad option"),
        (ExitCode.UNREACHABLE, "the deployed templates could not be read from CloudFormation: retry"),
    ),
    "import-map": (
        (ExitCode.PROVEN, "every kept resource a redeploy needs is in an import map (or nothing was deleted before)"),
        (
            ExitCode.DISPROVEN,
            "a kept resource could not be mapped (the deleted stack's record is gone: CloudFormation keeps it for 90 "
            "days); write its mapping by hand",
        ),
        (ExitCode.UNDECIDED, "the assembly cannot be read"),
        (ExitCode.UNREACHABLE, "the deleted stacks could not be read from CloudFormation: retry"),
    ),
    "trails": (
        (
            ExitCode.NO_PAID_COPY,
            "no paid copy: deploying the config adds none, and no account and region checked records management "
            "events twice now",
        ),
        (
            ExitCode.PAID_COPY,
            "a paid copy: deploying the config would add one, or an account and region already records them in two "
            "trails",
        ),
        (
            ExitCode.CANNOT_TELL,
            "cannot tell (a trail's selectors or a region unreadable, a missing permission), or bad input: every "
            "problem at once, each naming its option (`--region`, `--profile`, `--config`) or config field "
            "(`trail.account`, `trail.members[0].home_region`, ...)",
        ),
        (
            ExitCode.UNREACHABLE,
            "AWS could not be reached (connection errors, throttling after retries, 5xx): no verdict",
        ),
    ),
    "preflight": (
        (ExitCode.PASS, "every request CloudTrail makes would be allowed and every negative denied"),
        (
            ExitCode.FAIL,
            "a request would fail (each line names the request, the resource, and the statement that denied it or "
            '"no statement allows it"), or a negative would be allowed (naming the statement that allows it)',
        ),
        (
            ExitCode.CANNOT_EVALUATE,
            "nothing failed but something cannot be evaluated: an unreadable or missing policy, an unsupported "
            "operator, a missing permission to read a policy",
        ),
    ),
}
