"""The CloudWatch Logs metric filters of the CIS AWS Foundations monitoring controls, as Security Hub checks them.

Each pattern is copied character for character from the Security Hub User Guide, "Security Hub controls for
Amazon CloudWatch" (https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html),
remediation step "Copy the following pattern": Security Hub passes CloudWatch.1 to CloudWatch.14 only when
"the exact metric filters prescribed by CIS are used. Additional fields or terms cannot be added to the
metric filters." So none of them is reformatted or extended here, not even where the pattern is loose
(CloudWatch.2 matches every ``AccessDenied*`` error, including a caller probing its own permissions).

One more filter is ebtrail's own: destructive Elastic Beanstalk calls (the ``alerts.actions``), seen through
CloudWatch Logs, so that with an organization trail it covers every account and region, not only the
home region that the EventBridge rule sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebtrail.core.beanstalk import EVENT_SOURCE


@dataclass(frozen=True)
class MonitoringFilter:
    """One metric filter and the alarm on its metric."""

    #: Security Hub control ID (``CloudWatch.1``) or ``ebtrail`` for our own.
    control: str
    #: CIS AWS Foundations Benchmark v3.0.0 recommendation (section 4, "Monitoring"), or ``""``.
    cis_v3: str
    #: Metric name and the last part of the alarm name (``<trail>-<slug>``).
    slug: str
    title: str
    pattern: str


CIS_FILTERS: tuple[MonitoringFilter, ...] = (
    MonitoringFilter(
        "CloudWatch.1",
        "4.3",
        "root-user-usage",
        'A log metric filter and alarm should exist for usage of the "root" user',
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
    ),
    MonitoringFilter(
        "CloudWatch.2",
        "4.1",
        "unauthorized-api-calls",
        "Ensure a log metric filter and alarm exist for unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    ),
    MonitoringFilter(
        "CloudWatch.3",
        "4.2",
        "console-signin-without-mfa",
        "Ensure a log metric filter and alarm exist for Management Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    MonitoringFilter(
        "CloudWatch.4",
        "4.4",
        "iam-policy-changes",
        "Ensure a log metric filter and alarm exist for IAM policy changes",
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || "
        "($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || "
        "($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || "
        "($.eventName=DetachGroupPolicy)}",
    ),
    MonitoringFilter(
        "CloudWatch.5",
        "4.5",
        "cloudtrail-changes",
        "Ensure a log metric filter and alarm exist for CloudTrail AWS Configuration changes",
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
        "($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    ),
    MonitoringFilter(
        "CloudWatch.6",
        "4.6",
        "console-authentication-failures",
        "Ensure a log metric filter and alarm exist for AWS Management Console authentication failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    ),
    MonitoringFilter(
        "CloudWatch.7",
        "4.7",
        "cmk-disable-or-deletion",
        "Ensure a log metric filter and alarm exist for disabling or scheduled deletion of customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
    ),
    MonitoringFilter(
        "CloudWatch.8",
        "4.8",
        "s3-bucket-policy-changes",
        "Ensure a log metric filter and alarm exist for S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || "
        "($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) "
        "|| ($.eventName=DeleteBucketReplication))}",
    ),
    MonitoringFilter(
        "CloudWatch.9",
        "4.9",
        "config-changes",
        "Ensure a log metric filter and alarm exist for AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder))}",
    ),
    MonitoringFilter(
        "CloudWatch.10",
        "4.10",
        "security-group-changes",
        "Ensure a log metric filter and alarm exist for security group changes",
        "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || "
        "($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || "
        "($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
    ),
    MonitoringFilter(
        "CloudWatch.11",
        "4.11",
        "nacl-changes",
        "Ensure a log metric filter and alarm exist for changes to Network Access Control Lists (NACL)",
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) "
        "|| ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclAssociation)}",
    ),
    MonitoringFilter(
        "CloudWatch.12",
        "4.12",
        "network-gateway-changes",
        "Ensure a log metric filter and alarm exist for changes to network gateways",
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || "
        "($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || "
        "($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    ),
    MonitoringFilter(
        "CloudWatch.13",
        "4.13",
        "route-table-changes",
        "Ensure a log metric filter and alarm exist for route table changes",
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || "
        "($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) "
        "|| ($.eventName=DisassociateRouteTable)}",
    ),
    MonitoringFilter(
        "CloudWatch.14",
        "4.14",
        "vpc-changes",
        "Ensure a log metric filter and alarm exist for VPC changes",
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || "
        "($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || "
        "($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || "
        "($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || "
        "($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
    ),
)


def beanstalk_filter(actions: tuple[str, ...] | list[str]) -> MonitoringFilter:
    """Destructive Elastic Beanstalk calls (``alerts.actions``), successful or not, from any account and region
    the trail records."""
    if not actions:
        raise ValueError("beanstalk_filter needs at least one Elastic Beanstalk action")
    names = " || ".join(f"($.eventName = {action})" for action in actions)
    return MonitoringFilter(
        "ebtrail",
        "",
        "beanstalk-destructive-calls",
        "Destructive or traffic-changing Elastic Beanstalk API calls",
        f"{{ ($.eventSource = {EVENT_SOURCE}) && ({names}) }}",
    )
