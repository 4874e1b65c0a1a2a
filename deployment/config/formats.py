"""Field formats of the deployment config: the value types (account IDs, regions, names, ...), each with an error
that says what is allowed, not which regular expression failed. S3's lifecycle facts (storage classes, minimum
days) are :mod:`ebtrail.core.lifecycle`'s.

Kept apart from the models so that a format is written once and every section and topology uses the same one.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ebtrail.core.cloudtrail_layout import AWS_LOGS
from ebtrail.core.regions import known_regions


class StrictModel(BaseModel):
    """Unknown keys are an error: a typo in a config file must not be silently ignored. Types are strict:
    ``"2557"`` is not a number and ``"off"`` or ``0`` not a boolean (pydantic's strict mode), because a value a
    config's author wrote in the wrong type is a value they may not have meant."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@dataclass(frozen=True)
class Allowed:
    """What a format allows, in words: the "allowed" column of the generated config reference
    (``python -m tools.docs_gen``). Metadata of ``Annotated`` that pydantic does not know, so it validates nothing;
    the format's validator says the same words when it refuses a value."""

    allowed: str


_REGION = Allowed("a region where CloudTrail runs, such as us-east-1 or eu-west-1")


def nearest_region(value: str) -> str | None:
    """The known region nearest to a typo, or None when none is near: difflib's close matches (ratio 0.8, one or
    two characters off), ties broken by the characters in common (a transposition, ``us-esat-1``, keeps them all)."""
    candidates = difflib.get_close_matches(value, known_regions(), n=5, cutoff=0.8)
    if not candidates:
        return None

    def closeness(region: str) -> tuple[float, int]:
        return difflib.SequenceMatcher(None, value, region).ratio(), sum((Counter(value) & Counter(region)).values())

    return max(candidates, key=closeness)


def _check_region(value: str) -> str:
    if value not in known_regions():
        nearest = nearest_region(value)
        hint = f"did you mean {nearest}? " if nearest else ""
        raise ValueError(f"unknown region {value!r}; {hint}allowed: {_REGION.allowed}")
    return value


_TRAIL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-])){1,126}[A-Za-z0-9]$")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


_TRAIL_NAME_ALLOWED = Allowed(
    "3 to 128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit, with no two of '.', "
    "'_', '-' next to each other (CloudTrail's trail-name rule)"
)


def _check_trail_name(value: str) -> str:
    if not _TRAIL_NAME.match(value):
        raise ValueError(f"allowed: {_TRAIL_NAME_ALLOWED.allowed}")
    return value


def _check_key_prefix(value: str) -> str:
    problems = []
    if value.startswith(AWS_LOGS) or value == AWS_LOGS.removesuffix("/"):
        problems.append("must not start with 'AWSLogs/' (CloudTrail adds AWSLogs/ itself)")
    if len(value) > 200:
        problems.append("at most 200 characters (CloudTrail's S3KeyPrefix limit)")
    if not _KEY_PREFIX.match(value):
        problems.append(
            "allowed: path segments of letters, digits and !_.*'()- separated by single '/', no leading or trailing '/'"
        )
    if problems:
        raise ValueError("; ".join(problems))
    return value


_EMAIL_ALLOWED = Allowed("an e-mail address such as platform-team@example.com")
_PRINCIPAL_ARN_ALLOWED = Allowed("an IAM role or user ARN, arn:aws:iam::<12 digits>:role/<name> or :user/<name>")
_TAG_KEY_ALLOWED = Allowed("1 to 128 characters, not starting with 'aws:'")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"allowed: {_EMAIL_ALLOWED.allowed}")
    return value


def _check_principal_arn(value: str) -> str:
    if not _PRINCIPAL_ARN.match(value):
        raise ValueError(f"allowed: {_PRINCIPAL_ARN_ALLOWED.allowed}")
    return value


def _check_tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128 or value.lower().startswith("aws:"):
        raise ValueError(f"allowed: {_TAG_KEY_ALLOWED.allowed}")
    return value


@dataclass(frozen=True)
class Matching(Allowed):
    """A validator whose error says what is allowed, not which regular expression failed."""

    pattern: str

    def __call__(self, value: str) -> str:
        if not re.fullmatch(self.pattern, value):
            raise ValueError(f"allowed: {self.allowed}; got {value!r}")
        return value


def matching(pattern: str, allowed: str) -> AfterValidator:
    """The validator of a format that is one regular expression, with ``allowed`` in its error."""
    return AfterValidator(Matching(allowed, pattern))


AccountId = Annotated[str, matching(r"\d{12}", 'a 12-digit AWS account ID written as a string, such as "111111111111"')]
OrganizationId = Annotated[str, matching(r"o-[a-z0-9]{10,32}", "o- followed by 10 to 32 lowercase letters or digits")]
#: Prefixes S3 reserves for bucket names; every bucket name ebtrail derives starts with ``name_prefix``
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). The reserved suffixes
#: (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) cannot occur: every derived bucket name ends with its region.
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")


def _check_name_prefix(value: str) -> str:
    if not _NAME_PREFIX.fullmatch(value):
        raise ValueError(f"allowed: 3 to 20 lowercase letters, digits or '-', starting with a letter; got {value!r}")
    reserved = next((r for r in S3_RESERVED_PREFIXES if value.startswith(r)), None)
    if reserved:
        raise ValueError(
            f"allowed: a prefix that does not start with {reserved!r}, which S3 reserves (bucket names start with "
            f"the prefix; reserved: {', '.join(S3_RESERVED_PREFIXES)}); got {value!r}"
        )
    return value


NamePrefix = Annotated[
    str,
    AfterValidator(_check_name_prefix),
    Allowed(
        "3 to 20 lowercase letters, digits or '-', starting with a letter; not starting with "
        + ", ".join(S3_RESERVED_PREFIXES)
        + " (S3 reserves them for bucket names)"
    ),
]
#: An existing bucket's name: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or
#: digit ("General purpose bucket naming rules", Amazon S3 User Guide).
BucketName = Annotated[
    str,
    matching(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
        "3 to 63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit",
    ),
]
#: A KMS key by its key ARN, as CloudTrail's GetTrail returns KmsKeyId (an alias cannot be compared with it).
KmsKeyArn = Annotated[
    str,
    matching(
        r"arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+",
        "a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> (not an alias)",
    ),
]
#: A CloudWatch Logs log group name: 1 to 512 of letters, digits, '_', '-', '/', '.', '#' (CreateLogGroup,
#: CloudWatch Logs API Reference).
LogGroupName = Annotated[
    str, matching(r"[A-Za-z0-9_./#-]{1,512}", "1 to 512 letters, digits, '_', '-', '/', '.' or '#' (a log group name)")
]

Region = Annotated[str, AfterValidator(_check_region), _REGION]
TrailName = Annotated[str, AfterValidator(_check_trail_name), _TRAIL_NAME_ALLOWED]
KeyPrefix = Annotated[
    str,
    AfterValidator(_check_key_prefix),
    Allowed(
        "path segments of letters, digits and !_.*'()- separated by single '/', at most 200 characters, not "
        "starting with AWSLogs/"
    ),
]


def _check_previous_key_prefix(value: str) -> str:
    return value if value == "" else _check_key_prefix(value)


#: A key prefix the trails used before, or ``""`` for none.
PreviousKeyPrefix = Annotated[
    str, AfterValidator(_check_previous_key_prefix), Allowed('a key prefix as archive.key_prefix, or "" for none')
]
Email = Annotated[str, AfterValidator(_check_email), _EMAIL_ALLOWED]
PrincipalArn = Annotated[str, AfterValidator(_check_principal_arn), _PRINCIPAL_ARN_ALLOWED]
TagKey = Annotated[str, AfterValidator(_check_tag_key), _TAG_KEY_ALLOWED]
TagValue = Annotated[str, Field(max_length=256)]
Days = Annotated[int, Field(ge=1, le=36500)]
AlertAction = Annotated[
    str, matching(r"[A-Z][A-Za-z]{2,63}", "an Elastic Beanstalk API action such as UpdateEnvironment")
]
GuardrailTarget = Annotated[
    str,
    matching(
        r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}",
        "the organization root ID (r-...) or an OU ID (ou-...-...)",
    ),
]
RolePattern = Annotated[
    str,
    matching(
        r"arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*?-]+",
        "an IAM role ARN, arn:aws:iam::<12 digits>:role/<name>, where * and ? match as in IAM's ArnLike",
    ),
]
BootstrapQualifier = Annotated[str, matching(r"[a-z0-9]{1,10}", "1 to 10 lowercase letters or digits")]

BeanstalkDetailType = Literal[
    "Elastic Beanstalk resource status change",
    "Other resource status change",
    "Health status change",
    "Managed update status change",
]
