"""The Elastic Beanstalk call whose CloudTrail record is looked for, and its cleanup.

``CreateApplication`` is a write event (recorded by trails that log write events only), costs nothing and
starts no EC2 or S3 resources. The application is named ``ebtrail-verify-<utc-timestamp>-<random>`` and its
description carries the same random nonce; cleanup deletes only an application with that prefix and nonce.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from ebtrail.core.permissions import RESOURCE_PREFIX
from ebtrail.verifier.aws import AWS_ERRORS, describe_error, error_code, is_transient
from ebtrail.verifier.clock import Clock
from ebtrail.verifier.records import ProbeSignature

if TYPE_CHECKING:
    from mypy_boto3_elasticbeanstalk import ElasticBeanstalkClient

EVENT_NAME = "CreateApplication"
#: Beyond this, the server's ``Date`` header is not used to widen the search window.
MAX_TRUSTED_SKEW = timedelta(hours=1)
DESCRIPTION_PREFIX = "Temporary application created by the ebtrail verifier; nonce="
#: An interrupted CreateApplication may still be carried out after we stopped listening: cleanup looks this many
#: times, this many seconds apart, before it concludes that no application was created (within the 10 s that
#: cleanup after a signal may take).
IN_DOUBT_LOOKS = 3
IN_DOUBT_PAUSE = 1.0


@dataclass(frozen=True)
class ProbeCall:
    application_name: str
    nonce: str
    request_id: str
    called_at: datetime
    server_time: datetime | None
    application_arn: str | None

    @property
    def event_name(self) -> str:
        return EVENT_NAME

    def signature(self) -> ProbeSignature:
        return ProbeSignature(self.request_id, EVENT_NAME, self.application_name)

    @property
    def skew_seconds(self) -> float | None:
        """Server ``Date`` header minus our clock at the call (positive: our clock is behind)."""
        return (self.server_time - self.called_at).total_seconds() if self.server_time else None

    @property
    def earliest(self) -> datetime:
        """The earlier of our clock and the server's ``Date`` header at the call (clock-skew guard). A server
        time more than :data:`MAX_TRUSTED_SKEW` away is ignored (a proxy or an emulator, not AWS)."""
        skew = self.skew_seconds
        if self.server_time and skew is not None and abs(skew) <= MAX_TRUSTED_SKEW.total_seconds():
            return min(self.called_at, self.server_time)
        return self.called_at

    @property
    def account(self) -> str | None:
        if self.application_arn and self.application_arn.count(":") >= 5:
            return self.application_arn.split(":")[4] or None
        return None


class ProbeError(Exception):
    """The call could not be made. ``transient``: because AWS could not be reached (no verdict)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def new_name(now: datetime, nonce: str) -> str:
    return f"{RESOURCE_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{nonce}"


def is_own_application(name: str, nonce: str) -> bool:
    return name.startswith(RESOURCE_PREFIX) and name.endswith(f"-{nonce}") and len(nonce) >= 8


class Probe:
    """Makes the call once; :meth:`cleanup` is safe to call any number of times, also when the call failed."""

    def __init__(
        self,
        eb: ElasticBeanstalkClient,
        clock: Clock,
        nonce: str | None = None,
        *,
        description_prefix: str = DESCRIPTION_PREFIX,
    ) -> None:
        self._eb = eb
        self._clock = clock
        self.nonce = nonce or secrets.token_hex(6)
        #: Who made the probe (the verifier or the canary): each finds and deletes only its own probes.
        self.description_prefix = description_prefix
        self.application_name: str | None = None
        self.call: ProbeCall | None = None
        self.deleted = False
        #: The CreateApplication request was sent but its answer never read (a signal cut it short): AWS may
        #: create the application a moment after we stop listening.
        self.in_doubt = False

    def create(self) -> ProbeCall:
        now = self._clock.now()
        self.application_name = new_name(now, self.nonce)
        self.in_doubt = True
        try:
            resp = self._eb.create_application(
                ApplicationName=self.application_name, Description=f"{self.description_prefix}{self.nonce}"
            )
        except AWS_ERRORS as exc:
            self.in_doubt = False
            raise ProbeError(
                describe_error("elasticbeanstalk", "CreateApplication", exc, self.application_name),
                transient=is_transient(exc),
            ) from exc
        self.in_doubt = False
        meta: dict[str, Any] = dict(resp.get("ResponseMetadata", {}))
        request_id = str(meta.get("RequestId") or meta.get("HTTPHeaders", {}).get("x-amzn-requestid", ""))
        server_time: datetime | None = None
        date_header = meta.get("HTTPHeaders", {}).get("date")
        if date_header:
            try:
                server_time = parsedate_to_datetime(date_header).astimezone(UTC)
            except (TypeError, ValueError):
                server_time = None
        app = resp.get("Application", {})
        self.call = ProbeCall(
            application_name=self.application_name,
            nonce=self.nonce,
            request_id=request_id,
            called_at=now,
            server_time=server_time,
            application_arn=app.get("ApplicationArn"),
        )
        return self.call

    def leftovers(self, region: str) -> list[str]:
        """The application, if it may exist and is not deleted yet, with the command that deletes it."""
        if self.application_name is None or self.deleted:
            return []
        return [
            f"Elastic Beanstalk application: aws elasticbeanstalk delete-application --region {region} "
            f"--application-name {self.application_name}"
        ]

    def cleanup(self) -> str | None:  # noqa: PLR0911 - one return per outcome reads best
        """Delete the application if it exists and is ours. Returns a problem, or None."""
        name = self.application_name
        if name is None or self.deleted:
            return None
        if not is_own_application(name, self.nonce):  # pragma: no cover - guarded by construction
            return f"refusing to delete {name}: not named by this run"
        looks = IN_DOUBT_LOOKS if self.in_doubt else 1
        for look in range(looks):
            if look:
                self._clock.sleep(IN_DOUBT_PAUSE)
            try:
                apps = self._eb.describe_applications(ApplicationNames=[name]).get("Applications", [])
            except AWS_ERRORS as exc:
                problem = describe_error("elasticbeanstalk", "DescribeApplications", exc, name)
                return f"{problem}; delete {name} by hand"
            mine = [a for a in apps if a.get("ApplicationName") == name]
            if mine:
                break
        if not mine:
            self.deleted = True  # the create failed (or never reached AWS) before the application existed
            return None
        description = mine[0].get("Description")
        if description is not None and self.nonce not in description:
            return f"refusing to delete {name}: its description does not carry this run's nonce"
        try:
            self._eb.delete_application(ApplicationName=name, TerminateEnvByForce=False)
        except AWS_ERRORS as exc:
            if error_code(exc) == "InvalidParameterValue" and "does not exist" in str(exc):
                self.deleted = True
                return None
            return describe_error("elasticbeanstalk", "DeleteApplication", exc, name) + f"; delete {name} by hand"
        self.deleted = True
        return None
