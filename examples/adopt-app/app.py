"""A platform team's own CDK app that proves a trail it already has (``pip install 'ebtrail[cdk]'``): the proof layer
(delivery canary, Beanstalk alerts, verifier policy, CIS alarms on the trail's log group) on a trail given by ARN
and bucket, and no second trail, bucket or key.

Synthesize with ``CDK_OUTDIR=<dir> python examples/adopt-app/app.py``; the statements the bucket's owner must add
are printed as an info message, and :meth:`TrailProofLayer.owner_policies` returns them.
"""

import json

from aws_cdk import App, Environment, Stack

from ebtrail.constructs import ExistingTrail, TrailProofLayer, TrailProofLayerProps
from ebtrail.constructs.trail import AlertOptions

MANAGEMENT, LOG_ARCHIVE, REGION = "123456789012", "210987654321", "eu-west-1"

app = App()
stack = Stack(app, "PlatformProof", env=Environment(account=MANAGEMENT, region=REGION))
trail = ExistingTrail.from_arn(
    f"arn:aws:cloudtrail:{REGION}:{MANAGEMENT}:trail/aws-controltower-BaselineCloudTrail",
    bucket=f"aws-controltower-logs-{LOG_ARCHIVE}-{REGION}",
    bucket_account=LOG_ARCHIVE,
    bucket_region=REGION,
    log_prefix="o-a1b2c3d4e5/",
    organization_id="o-a1b2c3d4e5",
    log_group_name="aws-controltower/CloudTrailLogs",
)
layer = TrailProofLayer(
    stack,
    "Proof",
    TrailProofLayerProps(trail=trail, name_prefix="platform", alerts=AlertOptions(emails=["security@example.com"])),
)
print(json.dumps(layer.owner_policies(), indent=2))

app.synth()
