"""A platform team's own CDK app with ebtrail's archive and trail in its own stack (``pip install 'ebtrail[cdk]'``):
the trail with its delivery canary, and CloudWatch Logs delivery with the CIS alarms, all from plain values.

Synthesize with ``CDK_OUTDIR=<dir> python examples/own-app/app.py``; no ebtrail config file is involved.
"""

from dataclasses import replace

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam

from ebtrail.constructs import (
    AlertOptions,
    BeanstalkTrail,
    BeanstalkTrailProps,
    CanaryOptions,
    CloudWatchLogsOptions,
    LogArchive,
    LogArchiveProps,
)
from ebtrail.core.names import ArchiveNames, TrailTarget

ACCOUNT, REGION = "123456789012", "eu-west-1"

app = App()
stack = Stack(app, "PlatformAudit", env=Environment(account=ACCOUNT, region=REGION))
trail = TrailTarget(account=ACCOUNT, home_region=REGION, name="platform-audit", partition="aws")
names = ArchiveNames(prefix="platform", account=ACCOUNT, region=REGION, partition="aws")

archive = LogArchive(stack, "AuditArchive", LogArchiveProps(names=names, writers=[trail]))
props = BeanstalkTrailProps.for_archive(
    trail,
    names,
    # A probe every 30 minutes, alarming when one is not in the log files 30 minutes later.
    canary=CanaryOptions(rate_minutes=30),
    # The trail also delivers to /aws/cloudtrail/platform-audit, with the CIS metric filters and alarms on it.
    cloudwatch_logs=CloudWatchLogsOptions(retention_days=365),
)
# Every alarm (canary, CIS) publishes to the alert topic; this address confirms its subscription.
props = replace(props, alerts=AlertOptions(emails=("security@example.com",)))
audit = BeanstalkTrail(stack, "BeanstalkTrail", props.with_depends_on(archive.trail_prerequisites))
audit.add_event_selector(data_resources={"AWS::S3::Object": [f"arn:aws:s3:::elasticbeanstalk-{REGION}-{ACCOUNT}/"]})

auditors = iam.Role(stack, "Auditors", assumed_by=iam.AccountRootPrincipal())
archive.grant_read_logs(auditors)

app.synth()
