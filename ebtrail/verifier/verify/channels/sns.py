"""SNS channel: a temporary SQS queue subscribed to the trail's delivery topic.

The queue is encrypted (SSE-SQS), named with the verifier's prefix, and its policy lets only the delivery topic
send to it. Notifications name the delivered keys (``{"s3Bucket": ..., "s3ObjectKey": [...]}``); only keys of the
verifier's account and region, delivered after the call, are read. ``CloudTrail validation message.`` is
ignored. The queue and the subscription are always removed by :meth:`SnsChannel.close`.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ebtrail.core.cloudtrail_layout import LogKey
from ebtrail.core.permissions import RESOURCE_PREFIX
from ebtrail.verifier.aws import AWS_ERRORS, Arn, describe_error, is_access_denied, is_transient
from ebtrail.verifier.clock import Clock
from ebtrail.verifier.findings import Findings
from ebtrail.verifier.records import ProbeSignature
from ebtrail.verifier.trail_info import TrailInfo
from ebtrail.verifier.verify.channels.base import Arrival, Channel, LogFileRef
from ebtrail.verifier.verify.channels.logfiles import LogFileScanner
from ebtrail.verifier.verify.probe import ProbeCall

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

VALIDATION_MESSAGE = "CloudTrail validation message."
#: Receives per poll at most (10 messages each) so that a busy topic cannot starve the other channels.
MAX_RECEIVES_PER_POLL = 10


def queue_policy(queue_arn: str, topic_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DeliveryTopicOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


def parse_notification(body: str) -> tuple[str, list[str]] | None:
    """``(bucket, keys)`` from an SQS message body (an SNS envelope, or a raw message), or None for the
    validation message and anything else."""
    try:
        doc: Any = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and "Message" in doc and "Type" in doc:
        message = doc.get("Message")
        if not isinstance(message, str) or message.strip() == VALIDATION_MESSAGE:
            return None
        try:
            doc = json.loads(message)
        except ValueError:
            return None
    if not isinstance(doc, dict):
        return None
    bucket, keys = doc.get("s3Bucket"), doc.get("s3ObjectKey")
    if not isinstance(bucket, str) or not isinstance(keys, list):
        return None
    return bucket, [k for k in keys if isinstance(k, str)]


class SnsChannel(Channel):
    name = "sns"
    label = "SNS"

    def __init__(
        self,
        *,
        sns: SNSClient,
        sqs: SQSClient,
        trail: TrailInfo,
        account: str,
        region: str,
        scanner: LogFileScanner,
        findings: Findings,
        clock: Clock,
        interval: float = 0.0,
        wait_seconds: int = 1,
        margin: timedelta = timedelta(minutes=2),
    ) -> None:
        super().__init__(findings, interval)
        self._sns = sns
        self._sqs = sqs
        self._trail = trail
        self._account = account
        self._region = region
        self._scanner = scanner
        self._clock = clock
        self._wait_seconds = wait_seconds
        self._margin = margin
        #: Set before the call that creates it: a call cut short by a signal may have created the queue (or
        #: the subscription) without telling us; :meth:`close` then finds it by repeating the idempotent call.
        self.queue_name: str | None = None
        self.queue_in_doubt = False
        self.subscription_in_doubt = False
        self.queue_url: str | None = None
        self.queue_arn: str | None = None
        self.subscription_arn: str | None = None
        self.queue_deleted = False
        self.unsubscribed = False
        self.current = ("sqs", "CreateQueue")

    def _resource_for(self, operation: str) -> str | None:
        if operation in {"Subscribe", "Unsubscribe"}:
            return self._trail.topic_arn
        return self.queue_arn or f"arn:{self._trail.partition}:sqs:*:{self._account}:{RESOURCE_PREFIX}*"

    def open(self, now: datetime) -> None:
        """Create the queue and subscribe it, before the call. On failure the channel is unavailable."""
        topic = self._trail.topic_arn
        if not topic:
            self.mark_unavailable("the trail has no SNS topic")
            return
        self.queue_name = f"{RESOURCE_PREFIX}{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
        try:
            self.current = ("sqs", "CreateQueue")
            self.queue_in_doubt = True
            self.queue_url = self._create_queue(self.queue_name)
            self.queue_in_doubt = False
            self.current = ("sqs", "GetQueueAttributes")
            attrs = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self.queue_arn = attrs["Attributes"]["QueueArn"]
            self.current = ("sqs", "SetQueueAttributes")
            self._sqs.set_queue_attributes(
                QueueUrl=self.queue_url, Attributes={"Policy": queue_policy(self.queue_arn, topic)}
            )
            self.current = ("sns", "Subscribe")
            self.subscription_in_doubt = True
            self.subscription_arn = self._subscribe(topic, self.queue_arn)
            self.subscription_in_doubt = False
            self.detail = f"subscribed {self.queue_arn}"
        except AWS_ERRORS as exc:
            # AWS answered (or could not be reached): nothing was created by the failed call.
            self.queue_in_doubt = self.subscription_in_doubt = False
            svc, op = self.current
            self.unreachable = is_transient(exc)
            self.mark_unavailable(describe_error(svc, op, exc, self._resource_for(op)), problem=is_access_denied(exc))

    def _create_queue(self, name: str) -> str:
        # Idempotent: with the same name and attributes, CreateQueue returns the existing queue's URL.
        return self._sqs.create_queue(
            QueueName=name, Attributes={"SqsManagedSseEnabled": "true", "MessageRetentionPeriod": "3600"}
        )["QueueUrl"]

    def _subscribe(self, topic: str, queue_arn: str) -> str | None:
        # Idempotent: SNS returns the existing subscription's ARN for the same topic, protocol and endpoint.
        sub = self._sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True)
        return sub.get("SubscriptionArn")

    def _recover_interrupted_creation(self) -> None:
        """A signal during CreateQueue or Subscribe leaves us without the URL or ARN although AWS may have made
        the queue or subscription: repeat the idempotent call (same permissions) to learn what to delete."""
        topic = self._trail.topic_arn
        if self.queue_in_doubt and self.queue_url is None and self.queue_name:
            self.queue_url = self._create_queue(self.queue_name)
        self.queue_in_doubt = False
        if self.subscription_in_doubt and self.subscription_arn is None and self.queue_url and topic:
            if self.queue_arn is None:
                attrs = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
                self.queue_arn = attrs["Attributes"]["QueueArn"]
            self.subscription_arn = self._subscribe(topic, self.queue_arn)
        self.subscription_in_doubt = False

    def leftovers(self) -> list[str]:
        """What this channel created and has not removed yet, with the command that removes it."""
        out = []
        region = topic_region(self._trail.topic_arn, self._region)
        if self.subscription_arn and self.subscription_arn.startswith("arn:") and not self.unsubscribed:
            out.append(
                f"SNS subscription: aws sns unsubscribe --region {region} --subscription-arn {self.subscription_arn}"
            )
        elif self.subscription_in_doubt and self.queue_arn:
            out.append(
                f"SNS subscription of {self.queue_arn} to {self._trail.topic_arn}, if the interrupted Subscribe "
                "created it"
            )
        if self.queue_url and not self.queue_deleted:
            out.append(f"SQS queue: aws sqs delete-queue --region {region} --queue-url {self.queue_url}")
        elif self.queue_in_doubt and self.queue_name:
            out.append(f"SQS queue {self.queue_name} in {region}, if the interrupted CreateQueue created it")
        return out

    def _poll(self, call: ProbeCall, budget: float) -> Arrival | None:
        assert self.queue_url is not None
        sig = call.signature()
        not_before = call.earliest - self._margin
        wait = max(0, min(self._wait_seconds, int(budget)))
        for _ in range(MAX_RECEIVES_PER_POLL):
            self.current = ("sqs", "ReceiveMessage")
            resp = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, VisibilityTimeout=300
            )
            messages = resp.get("Messages", [])
            if not messages:
                break
            wait = 0
            found: Arrival | None = None
            for msg in messages:
                if found is None:
                    found = self._handle(msg.get("Body", ""), sig, not_before)
            self.current = ("sqs", "DeleteMessageBatch")
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            if found is not None:
                return found
        self.detail = f"{self._scanner.stats.files} file(s) read in all"
        return None

    def _handle(self, body: str, sig: ProbeSignature, not_before: datetime) -> Arrival | None:
        parsed = parse_notification(body)
        if parsed is None:
            return None
        bucket, keys = parsed
        if bucket != self._trail.bucket:
            self.findings.warn(f"notification for another bucket ({bucket}) ignored")
            return None
        for key in keys:
            lk = LogKey.parse(key)
            if lk is None or lk.account != self._account or lk.region != self._region:
                continue
            if lk.delivered < not_before.replace(second=0, microsecond=0):
                continue
            self.current = ("s3", "GetObject")
            match = self._scanner.scan(bucket, key, sig)
            if match is not None:
                return Arrival(self.name, 0.0, match.record, match.matched_by, LogFileRef(bucket, key))
        return None

    def close(self) -> None:
        """Unsubscribe and delete the queue; failures are reported as problems naming what is left behind."""
        try:
            self._recover_interrupted_creation()
        except AWS_ERRORS as exc:
            self.findings.problem(
                describe_error("sqs", "CreateQueue", exc, self.queue_name)
                + f"; look for queue {self.queue_name} and its subscription to {self._trail.topic_arn} by hand"
            )
        if self.subscription_arn and not self.unsubscribed:
            if self.subscription_arn.startswith("arn:"):
                try:
                    self._sns.unsubscribe(SubscriptionArn=self.subscription_arn)
                    self.unsubscribed = True
                except AWS_ERRORS as exc:
                    self.findings.problem(
                        describe_error("sns", "Unsubscribe", exc, self._trail.topic_arn)
                        + f"; remove subscription {self.subscription_arn} by hand"
                    )
            else:  # "pending confirmation": it disappears with the queue
                self.unsubscribed = True
        if self.queue_url and not self.queue_deleted:
            try:
                self._sqs.delete_queue(QueueUrl=self.queue_url)
                self.queue_deleted = True
            except AWS_ERRORS as exc:
                self.findings.problem(
                    describe_error("sqs", "DeleteQueue", exc, self.queue_arn) + f"; delete {self.queue_url} by hand"
                )


def topic_region(topic_arn: str | None, default: str) -> str:
    arn = Arn.parse(topic_arn or "")
    return arn.region if arn and arn.region else default
