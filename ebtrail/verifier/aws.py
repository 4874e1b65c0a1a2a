"""boto3 plumbing shared by the verifier: client configuration and error classification.

Every client comes from one :class:`boto3.Session`, so credentials, region and endpoints follow the ordinary
boto3 chain (``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL`` ...). Throttling and transient errors are
retried by botocore's *standard* retry mode.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError
from botocore.retries.standard import ThrottledRetryableChecker, TransientRetryableChecker

from ebtrail import __version__
from ebtrail.core import permissions

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_elasticbeanstalk import ElasticBeanstalkClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

USER_AGENT_EXTRA = f"ebtrail-verifier/{__version__}"

#: Everything a botocore call raises for AWS's side of things: an error answer, no answer, or an answer that is
#: not AWS's (a proxy's or load balancer's text or HTML page, which botocore cannot parse).
AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)

#: Error codes that mean "the caller is not allowed to do this".
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "InsufficientPrivilegesException",
        "KMS.AccessDeniedException",
        "NotAuthorized",
        "Forbidden",
        "403",
    }
)

#: Error codes (and exception names) meaning "this endpoint does not implement the operation".
NOT_IMPLEMENTED_CODES = frozenset(
    {"NotImplemented", "NotImplementedError", "InvalidAction", "UnknownOperationException", "501"}
)


#: Attempts per call, the first included (botocore's ``total_max_attempts``; the client-config key
#: ``max_attempts`` counts retries only). Standard retry mode's default is 3 attempts; its back-off before retry
#: *i* (1, 2, ...) is ``rand(0, 1) * min(2 ** (i - 1), 20)`` seconds for throttling (a 50 ms scale for 5xx and
#: connection errors), within a retry quota each client keeps. 5 attempts ride out up to about 15 s of
#: throttling (``LookupEvents`` allows 2 calls a second) or a few seconds of 5xx before a call counts as "AWS
#: could not be reached" (exit 3), and still give that verdict within about a minute when the endpoint is down
#: (5 x the 10 s connect timeout). Sources: boto3 guide "Retries"
#: (https://docs.aws.amazon.com/boto3/latest/guide/retries.html) and the AWS SDKs and Tools reference "Retry
#: behavior" (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). Set in code, it
#: takes precedence over ``AWS_MAX_ATTEMPTS`` and the profile's ``max_attempts``.
TOTAL_MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 30
#: Connections each client may keep open (botocore's ``max_pool_connections``, default 10): sized to the largest
#: pool of threads that shares one client, the integrity check's (``integrity --workers``, at most this many).
#: botocore opens connections only on demand, so a single-threaded run still opens one. Source: botocore
#: "Config Reference" (https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html).
MAX_POOL_CONNECTIONS = 64


def client_config(total_max_attempts: int = TOTAL_MAX_ATTEMPTS) -> Config:
    """The configuration of every client the verifier makes (verify, integrity, preflight, the canary): standard
    retry mode (throttling, 5xx and connection errors), timeouts, a connection pool for the integrity check's
    threads and the verifier's user agent."""
    return Config(
        retries={"mode": "standard", "total_max_attempts": total_max_attempts},
        user_agent_extra=USER_AGENT_EXTRA,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )


class Clients:
    """The clients one run uses, all from one :class:`boto3.Session` and one :func:`client_config`.

    ``region`` is where the run works (the Elastic Beanstalk call, the log files' region). Each client is made
    once per service and region and then reused: making a botocore client costs tens of milliseconds, more than
    most calls, and a warm Lambda container keeps the canary's for its next runs. One thread uses an instance
    (a boto3 session is not thread-safe; its clients are).
    """

    def __init__(self, session: boto3.Session, region: str, config: Config | None = None) -> None:
        self.session = session
        self.region = region
        self.config = config or client_config()
        self._cache: dict[tuple[str, str], Any] = {}

    @classmethod
    def create(cls, session: boto3.Session, region: str | None = None, trail: str | None = None) -> Clients:
        """Clients in the region :func:`resolve_region` picks (raises :class:`MissingRegionError`)."""
        return cls(session=session, region=resolve_region(session, region, trail), config=client_config())

    def client(self, service: str, region: str | None = None, *, purpose: str = "") -> Any:
        """The client of ``service`` in ``region`` (default: :attr:`region`); ``purpose`` keeps a second one apart."""
        where = region or self.region
        key = (f"{service}#{purpose}" if purpose else service, where)
        if key not in self._cache:
            self._cache[key] = self.session.client(service, region_name=where, config=self.config)  # type: ignore[call-overload]
        return self._cache[key]

    def cloudtrail(self, region: str | None = None) -> CloudTrailClient:
        return self.client("cloudtrail", region)  # type: ignore[no-any-return]

    def event_history(self) -> CloudTrailClient:
        """A client of its own for ``LookupEvents`` (in the call's region), so tests can stub it alone."""
        return self.client("cloudtrail", purpose="event-history")  # type: ignore[no-any-return]

    def elasticbeanstalk(self) -> ElasticBeanstalkClient:
        return self.client("elasticbeanstalk")  # type: ignore[no-any-return]

    def s3(self) -> S3Client:
        # One client is enough: botocore follows S3's redirects to a bucket in another region.
        return self.client("s3")  # type: ignore[no-any-return]

    def sns(self, region: str | None = None) -> SNSClient:
        return self.client("sns", region)  # type: ignore[no-any-return]

    def sqs(self, region: str | None = None) -> SQSClient:
        return self.client("sqs", region)  # type: ignore[no-any-return]

    def account_id(self) -> str:
        """The caller's account (``sts:GetCallerIdentity`` needs no IAM permission)."""
        return str(self.client("sts").get_caller_identity()["Account"])

    def organization_id(self) -> str:
        """The caller's organization ID (``organizations:DescribeOrganization``)."""
        return str(self.client("organizations").describe_organization()["Organization"]["Id"])


class MissingRegionError(Exception):
    """No region could be resolved from the arguments or the boto3 chain, or it is not a region name."""


#: A region name as AWS writes them: us-east-1, us-gov-west-1, cn-north-1, us-isof-south-1, eu-isoe-west-1.
REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
TRAIL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]")
TRAIL_ARN_FORMAT = "arn:<partition>:cloudtrail:<region>:<12-digit account>:trail/<name>"


def resolve_region(session: boto3.Session, explicit: str | None, trail: str | None = None) -> str:
    """The region to work in: ``--region``, the trail ARN's region, ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the
    profile's region, in that order. botocore itself reads only ``AWS_DEFAULT_REGION`` and the profile, so
    ``AWS_REGION`` (which the AWS CLI v2 and the SDKs of other languages honour) is read here."""
    arn = Arn.parse(trail or "")
    env_default = os.environ.get("AWS_DEFAULT_REGION") or None
    candidates = (
        ("--region", explicit),
        ("the trail ARN", arn.region if arn and arn.region else None),
        ("AWS_REGION", os.environ.get("AWS_REGION") or None),
        ("AWS_DEFAULT_REGION", env_default),
        ("the profile", session.region_name if not env_default else None),
    )
    for source, value in candidates:
        if value:
            if not REGION_NAME.fullmatch(value):
                raise MissingRegionError(
                    f"{source}: allowed: a region name such as us-east-1 or eu-west-1; got {value!r}"
                )
            return value
    raise MissingRegionError("no region: pass --region, set AWS_REGION, or give the trail's ARN")


def trail_argument_problem(trail: str) -> str | None:
    """Why ``--trail`` is neither a trail name nor a trail ARN, or None. Checked before any AWS call, so that a
    typo is a clear refusal (exit 2) and not an error deep inside botocore."""
    shown = trail if len(trail) <= 80 else trail[:77] + "..."
    if not trail.startswith("arn:"):
        if TRAIL_NAME.fullmatch(trail):
            return None
        return (
            "--trail: allowed: a trail name (3 to 128 letters, digits, '.', '_' or '-', starting and ending with a "
            f"letter or digit) or a trail ARN {TRAIL_ARN_FORMAT}; got {shown!r}"
        )
    arn = Arn.parse(trail)
    why = None
    if arn is None or arn.service != "cloudtrail" or not arn.resource.startswith("trail/"):
        why = "not a CloudTrail trail ARN"
    elif arn.partition not in boto3.session.Session().get_available_partitions():
        why = f"unknown partition {arn.partition!r}"
    elif not REGION_NAME.fullmatch(arn.region):
        why = f"{arn.region!r} is not a region name"
    elif not re.fullmatch(r"\d{12}", arn.account):
        why = f"{arn.account!r} is not a 12-digit account ID"
    elif not TRAIL_NAME.fullmatch(arn.resource.removeprefix("trail/")):
        why = "the trail name is not valid"
    if why is None:
        return None
    return f"--trail: allowed: a trail name or a trail ARN {TRAIL_ARN_FORMAT}; got {shown!r} ({why})"


#: Throttling codes after which botocore's standard retry mode has already retried (its own list).
THROTTLING_CODES: frozenset[str] = frozenset(vars(ThrottledRetryableChecker)["_THROTTLED_ERROR_CODES"])
TRANSIENT_CODES: frozenset[str] = frozenset(vars(TransientRetryableChecker)["_TRANSIENT_ERROR_CODES"])
TRANSIENT_STATUS: frozenset[int] = frozenset(vars(TransientRetryableChecker)["_TRANSIENT_STATUS_CODES"])


def is_transient(exc: BaseException) -> bool:
    """True when AWS could not be reached or did not answer usefully, after botocore's retries: a connection
    error or timeout, throttling, or a 5xx. Such a failure says nothing about the configuration (exit 3, not 2).
    An emulator's HTML page for an operation it lacks is not transient (see :func:`is_not_implemented`)."""
    if isinstance(exc, BotoConnectionError | HTTPClientError | ResponseParserError):
        return True
    if not isinstance(exc, ClientError) or is_not_implemented(exc):
        return False
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(exc)
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or status in TRANSIENT_STATUS


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def error_message(exc: BaseException, limit: int = 300) -> str:
    """The error's message on one line, at most ``limit`` characters (an HTML error page is summarised)."""
    if isinstance(exc, ClientError):
        text = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    else:
        text = str(exc)
    if _looks_like_html(text):
        status = (
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") if isinstance(exc, ClientError) else None
        )
        return f"HTTP {status} with an HTML page instead of an AWS API error"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:20].lower()
    return head.startswith(("<!doctype html", "<html"))


def is_access_denied(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ACCESS_DENIED_CODES or (status == 403 and code not in {"SignatureDoesNotMatch"})


def is_not_implemented(exc: BaseException) -> bool:
    if isinstance(exc, NotImplementedError):
        return True
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raw = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
        message = raw.lower()
        # An emulator (moto_server) answers an operation it lacks with HTTP 500 and an HTML page; AWS never
        # answers its APIs with HTML.
        return (
            code in NOT_IMPLEMENTED_CODES
            or status == 501
            or "not yet implemented" in message
            or "has not been implemented" in message
            or _looks_like_html(raw)
        )
    return False


def answer_field(answer: Mapping[str, Any], field: str, operation: str) -> Any:
    """``answer[field]``, for a field AWS always answers ``operation`` with. botocore reads a JSON-protocol answer
    it cannot parse (a proxy's or load balancer's page) as an empty one; without the field it is not AWS's answer,
    and it is raised as the parser error botocore raises for XML it cannot parse (one of :data:`AWS_ERRORS`:
    "AWS could not be reached"), not a ``KeyError``."""
    if field not in answer:
        status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
        raise ResponseParserError(f"{operation} answered without {field} (HTTP {status}): not AWS's answer")
    return answer[field]


def operation_name(exc: BaseException) -> str:
    return str(getattr(exc, "operation_name", "") or "")


def describe_denied(service: str, operation: str, exc: BaseException, resource: str | None = None) -> str:
    """A one-line diagnosis naming the IAM action that is missing, for example
    ``missing permission cloudtrail:GetTrail on arn:aws:cloudtrail:...``."""
    action = permissions.action_for_api_call(service, operation)
    where = f" on {resource}" if resource else ""
    return f"missing permission {action}{where} (AccessDenied calling {operation}: {error_message(exc)})"


def describe_error(service: str, operation: str, exc: BaseException, resource: str | None = None) -> str:
    if is_access_denied(exc):
        return describe_denied(service, operation, exc, resource)
    if isinstance(exc, ClientError | BotoCoreError):
        return f"{service} {operation} failed: {error_code(exc)}: {error_message(exc)}"
    if isinstance(exc, ResponseParserError):
        return f"{service} {operation} failed: an answer that is not AWS's ({error_message(exc, 120)})"
    return f"{service} {operation} failed: {type(exc).__name__}: {exc}"


_ARN_RE = re.compile(
    r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn | None:
        m = _ARN_RE.match(text)
        if not m:
            return None
        return cls(m["partition"], m["service"], m["region"], m["account"], m["resource"])
