"""AWS's naming rules for every kind of name ebtrail derives, written out here from AWS's documentation and
independently of :mod:`ebtrail.core.names`, so that a name function that breaks a rule fails the test instead of
agreeing with itself. Each function returns the rules a name breaks (empty: valid)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable


def s3_bucket(name: str) -> list[str]:
    """https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets)."""
    broken = []
    if not 3 <= len(name) <= 63:
        broken.append(f"3 to 63 characters (has {len(name)})")
    if not re.fullmatch(r"[a-z0-9.-]+", name):
        broken.append("only lowercase letters, digits, '.' and '-'")
    if not (name[:1].isalnum() and name[-1:].isalnum()):
        broken.append("begins and ends with a letter or digit")
    if ".." in name:
        broken.append("no two adjacent periods")
    try:
        ipaddress.IPv4Address(name)
        broken.append("not formatted as an IP address")
    except ValueError:
        pass
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            broken.append(f"must not start with {prefix}")
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            broken.append(f"must not end with {suffix}")
    return broken


def sns_topic(name: str) -> list[str]:
    """https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: 1 to 256 ASCII letters, digits, '_', '-'."""
    return [] if re.fullmatch(r"[A-Za-z0-9_-]{1,256}", name) else ["1 to 256 letters, digits, '_' or '-'"]


def kms_alias(name: str) -> list[str]:
    """https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html: ``alias/`` then letters, digits,
    '/', '_', '-'; 1 to 256 characters; ``alias/aws/`` is reserved for AWS managed keys."""
    broken = []
    if not re.fullmatch(r"alias/[A-Za-z0-9/_-]+", name) or len(name) > 256:
        broken.append("alias/ and up to 256 letters, digits, '/', '_' or '-'")
    if name.startswith("alias/aws/"):
        broken.append("alias/aws/ is reserved")
    return broken


def eventbridge_rule(name: str) -> list[str]:
    """https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html: 1 to 64 of [.-_A-Za-z0-9]."""
    return [] if re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", name) else ["1 to 64 letters, digits, '.', '-' or '_'"]


def iam_role(name: str) -> list[str]:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html: 1 to 64 of [\\w+=,.@-]."""
    return [] if re.fullmatch(r"[\w+=,.@-]{1,64}", name) else ["1 to 64 of letters, digits and +=,.@_-"]


def iam_managed_policy(name: str) -> list[str]:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html: 1 to 128 of [\\w+=,.@-]."""
    return [] if re.fullmatch(r"[\w+=,.@-]{1,128}", name) else ["1 to 128 of letters, digits and +=,.@_-"]


def glue_database(name: str) -> list[str]:
    """https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html: lowercase letters,
    digits and '_' (Athena reads names in lowercase), up to 255."""
    return [] if re.fullmatch(r"[a-z0-9_]{1,255}", name) else ["1 to 255 lowercase letters, digits or '_'"]


def athena_workgroup(name: str) -> list[str]:
    """https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html: [a-zA-Z0-9._-]{1,128}."""
    return [] if re.fullmatch(r"[a-zA-Z0-9._-]{1,128}", name) else ["1 to 128 letters, digits, '.', '_' or '-'"]


def cloudformation_stack(name: str) -> list[str]:
    """https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html: a letter, then
    letters, digits or '-', at most 128."""
    return [] if re.fullmatch(r"[A-Za-z][-A-Za-z0-9]{0,127}", name) else ["a letter, then letters, digits, '-'; 128"]


def firehose_stream(name: str) -> list[str]:
    """https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html: 1 to 64 of
    [a-zA-Z0-9_.-]."""
    return [] if re.fullmatch(r"[a-zA-Z0-9_.-]{1,64}", name) else ["1 to 64 letters, digits, '_', '.' or '-'"]


def log_group(name: str) -> list[str]:
    """https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html: 1 to 512 of
    [.-_/#A-Za-z0-9]."""
    return [] if re.fullmatch(r"[.\-_/#A-Za-z0-9]{1,512}", name) else ["1 to 512 of letters, digits and ._-/#"]


def lambda_function(name: str) -> list[str]:
    """https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html: a function name of 1 to 64 of
    [a-zA-Z0-9-_]."""
    return [] if re.fullmatch(r"[a-zA-Z0-9\-_]{1,64}", name) else ["1 to 64 letters, digits, '-' or '_'"]


def sqs_queue(name: str) -> list[str]:
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html: 1 to 80 of
    [a-zA-Z0-9-_]."""
    return [] if re.fullmatch(r"[a-zA-Z0-9\-_]{1,80}", name) else ["1 to 80 letters, digits, '-' or '_'"]


def scheduler_schedule(name: str) -> list[str]:
    """https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html: 1 to 64 of
    [0-9a-zA-Z-_.]."""
    return [] if re.fullmatch(r"[0-9a-zA-Z\-_.]{1,64}", name) else ["1 to 64 letters, digits, '-', '_' or '.'"]


def state_machine(name: str) -> list[str]:
    """https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html: 1 to 80
    characters; with CloudWatch Logs logging only A-Z, a-z, 0-9, '-' and '_'."""
    return [] if re.fullmatch(r"[a-zA-Z0-9\-_]{1,80}", name) else ["1 to 80 letters, digits, '-' or '_'"]


def cloudwatch_alarm(name: str) -> list[str]:
    """https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html: AlarmName of 1
    to 255 characters."""
    return [] if 1 <= len(name) <= 255 else ["1 to 255 characters"]


RuleCheck = Callable[[str], list[str]]
