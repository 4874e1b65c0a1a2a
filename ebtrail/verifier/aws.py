"""boto3 plumbing shared by the verifier: client configuration and error classification.

Every client comes from one :class:`boto3.Session`, so credentials, region and endpoints follow the ordinary
boto3 chain (``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL`` ...). Throttling and transient errors are
retried by botocore's *standard* retry mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ebtrail import __version__
from ebtrail.core import permissions

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_elasticbeanstalk import ElasticBeanstalkClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

USER_AGENT_EXTRA = f"ebtrail-verifier/{__version__}"

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


def client_config(max_attempts: int = 4) -> Config:
    """Configuration for every client: standard retry mode (throttling and transient errors) and a user agent."""
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        user_agent_extra=USER_AGENT_EXTRA,
        connect_timeout=10,
        read_timeout=30,
    )


@dataclass(frozen=True)
class Clients:
    """The clients one verification uses. ``region`` is where the Elastic Beanstalk call is made."""

    session: boto3.Session
    region: str
    config: Config

    @classmethod
    def create(cls, session: boto3.Session, region: str | None = None) -> Clients:
        resolved = region or session.region_name
        if not resolved:
            raise MissingRegionError("no region: pass --region or set AWS_REGION / a profile region")
        return cls(session=session, region=resolved, config=client_config())

    def cloudtrail(self, region: str | None = None) -> CloudTrailClient:
        return self.session.client("cloudtrail", region_name=region or self.region, config=self.config)

    def event_history(self) -> CloudTrailClient:
        """A client of its own for ``LookupEvents`` (in the call's region)."""
        return self.session.client("cloudtrail", region_name=self.region, config=self.config)

    def elasticbeanstalk(self) -> ElasticBeanstalkClient:
        return self.session.client("elasticbeanstalk", region_name=self.region, config=self.config)

    def s3(self) -> S3Client:
        return self.session.client("s3", region_name=self.region, config=self.config)

    def sns(self, region: str | None = None) -> SNSClient:
        return self.session.client("sns", region_name=region or self.region, config=self.config)

    def sqs(self, region: str | None = None) -> SQSClient:
        return self.session.client("sqs", region_name=region or self.region, config=self.config)

    def account_id(self) -> str:
        """The caller's account (``sts:GetCallerIdentity`` needs no IAM permission)."""
        sts: Any = self.session.client("sts", region_name=self.region, config=self.config)
        return str(sts.get_caller_identity()["Account"])


class MissingRegionError(Exception):
    """No region could be resolved from the arguments or the boto3 chain."""


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
