"""The topologies, one type each, and :data:`DeploymentConfig`, their discriminated union.

Each type states, by its fields, what its topology needs (a required field) and what it does not use (a field it
does not have, which strict validation refuses), and implements :class:`~deployment.config.model.TopologyConfig`:
its trails, the accounts that log into the archive, its own rules. Adding a topology is adding a type here and to
the union; nothing else branches on a topology's name (tests/config/test_topology_types.py).

The TOML format is the same for every type: ``topology`` is a top-level key (default ``single-account``), the
trail is ``[trail]`` (``account``, ``home_region`` or ``[[trail.members]]``) and ``[organization]`` a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Discriminator, Field, Tag, TypeAdapter

from deployment.config.formats import (
    AccountId,
    BucketName,
    KmsKeyArn,
    LogGroupName,
    OrganizationId,
    Region,
    StrictModel,
    TrailName,
)
from deployment.config.guardrails import guardrail_problems
from deployment.config.model import Guardrails, Organization, TopologyConfig, Trail
from deployment.config.problems import Problem
from ebtrail.core.cloudtrail_layout import key_prefix
from ebtrail.core.names import ExistingTrail, TrailTarget

#: The topology of a config without a ``topology`` key.
DEFAULT_TOPOLOGY = "single-account"
#: The config reference's words for the fields each topology type narrows (a narrowed field is a new field).
TOPOLOGY_DESCRIPTION = "Where archive and trails go: single-account, accounts, organization or adopted (see Topologies)"
TRAIL_DESCRIPTION = "The trail settings, and where the trails are (which depends on the topology)"


def duplicate_member_problems(accounts: Sequence[object]) -> list[Problem]:
    """A member account listed twice under ``[[trail.members]]`` (also run on a config whose structure failed)."""
    problems: list[Problem] = []
    seen: dict[object, int] = {}
    for index, account in enumerate(accounts):
        if account in seen:
            problems.append(
                Problem(
                    f"trail.members[{index}].account",
                    f"duplicate account {account} (also trail.members[{seen[account]}])",
                )
            )
        seen.setdefault(account, index)
    return problems


# --- single-account ---------------------------------------------------------------------------------------


class SingleAccountTrail(Trail):
    """The one trail, in the archive account."""

    account: AccountId = Field(description="The trail's account: the archive account")
    home_region: Region = Field(description="The trail's home region, where it and its delivery topic live")


class SingleAccountConfig(TopologyConfig):
    """``single-account`` (the default): archive and trail in one account."""

    topology: Literal["single-account"] = Field(default="single-account", description=TOPOLOGY_DESCRIPTION)
    trail: SingleAccountTrail = Field(description=TRAIL_DESCRIPTION)

    needs: ClassVar[Mapping[str, str]] = {
        "trail.account": "the trail's account (the archive account)",
        "trail.home_region": "the trail's home region, such as us-east-1",
    }

    def trail_targets(self) -> list[TrailTarget]:
        trail = self.trail
        return [TrailTarget(trail.account, trail.home_region, trail.name, self.partition, None, trail.previous_names)]

    def logging_accounts(self) -> list[str]:
        return [self.trail.account]

    @property
    def organization_id(self) -> None:
        return None

    @property
    def guardrails(self) -> None:
        return None

    @property
    def existing_trail(self) -> None:
        return None

    def home_regions(self) -> list[tuple[str, str]]:
        return [("trail.home_region", self.trail.home_region)]

    def topology_problems(self) -> list[Problem]:
        if self.trail.account == self.archive.account:
            return []
        return [
            Problem(
                "trail.account",
                f"the single-account topology puts trail and archive in one account; allowed: {self.archive.account}",
            )
        ]


# --- accounts ---------------------------------------------------------------------------------------------


class MemberTrail(StrictModel):
    """A member account with its own trail, in its account and home region."""

    account: AccountId = Field(description="The member account, which gets a trail and delivery topic of its own")
    home_region: Region = Field(description="The member's home region, where its trail and delivery topic live")


class AccountsTrail(Trail):
    """One trail per member account."""

    members: tuple[MemberTrail, ...] = Field(
        min_length=1, description="`[[trail.members]]`: one multi-region trail per member account"
    )


class AccountsConfig(TopologyConfig):
    """``accounts``: a central archive and one trail per member account."""

    topology: Literal["accounts"] = Field(default="accounts", description=TOPOLOGY_DESCRIPTION)
    trail: AccountsTrail = Field(description=TRAIL_DESCRIPTION)

    needs: ClassVar[Mapping[str, str]] = {
        "trail.members": "at least one [[trail.members]] entry (account, home_region)",
        "trail.members[].home_region": "each member's home region",
    }

    def trail_targets(self) -> list[TrailTarget]:
        name, partition, previous = self.trail.name, self.partition, self.trail.previous_names
        return [
            TrailTarget(member.account, member.home_region, name, partition, None, previous)
            for member in self.trail.members
        ]

    def logging_accounts(self) -> list[str]:
        return sorted({member.account for member in self.trail.members})

    @property
    def organization_id(self) -> None:
        return None

    @property
    def guardrails(self) -> None:
        return None

    @property
    def existing_trail(self) -> None:
        return None

    def home_regions(self) -> list[tuple[str, str]]:
        return [(f"trail.members[{i}].home_region", member.home_region) for i, member in enumerate(self.trail.members)]

    def topology_problems(self) -> list[Problem]:
        return duplicate_member_problems([member.account for member in self.trail.members])


# --- organization -----------------------------------------------------------------------------------------


class OrganizationMember(StrictModel):
    """An organization member account whose logs are expected in the archive (Athena projects its partitions;
    informational otherwise: the organization trail logs every member)."""

    account: AccountId = Field(
        description="A member account whose logs Athena should project (not the management account)"
    )
    home_region: Region | None = Field(default=None, description="The member's home region (informational)")


class OrganizationTrail(Trail):
    """The organization trail, in the management account (``[organization]``)."""

    members: tuple[OrganizationMember, ...] = Field(
        default=(),
        description="Member accounts whose logs are expected in the archive; the organization trail logs every member "
        "either way",
    )


class OrganizationConfig(TopologyConfig):
    """``organization``: a central archive and one organization trail in the management account."""

    topology: Literal["organization"] = Field(default="organization", description=TOPOLOGY_DESCRIPTION)
    trail: OrganizationTrail = Field(description=TRAIL_DESCRIPTION)
    organization: Organization = Field(description="The organization and where its trail lives")

    needs: ClassVar[Mapping[str, str]] = {
        "organization": "an [organization] table (id, management_account, home_region)",
    }

    def trail_targets(self) -> list[TrailTarget]:
        organization = self.organization
        return [
            TrailTarget(
                account=organization.management_account,
                home_region=organization.home_region,
                name=self.trail.name,
                partition=self.partition,
                organization_id=organization.id,
                previous_names=self.trail.previous_names,
            )
        ]

    def logging_accounts(self) -> list[str]:
        """The management account and the listed members: other members' files are there too, but Athena's
        projection needs their IDs."""
        return sorted({self.organization.management_account, *(member.account for member in self.trail.members)})

    @property
    def organization_id(self) -> str:
        return self.organization.id

    @property
    def guardrails(self) -> Guardrails | None:
        return self.organization.guardrails

    @property
    def existing_trail(self) -> None:
        return None

    def home_regions(self) -> list[tuple[str, str]]:
        members = [
            (f"trail.members[{i}].home_region", member.home_region)
            for i, member in enumerate(self.trail.members)
            if member.home_region is not None
        ]
        return [*members, ("organization.home_region", self.organization.home_region)]

    def topology_problems(self) -> list[Problem]:
        management = self.organization.management_account
        problems = [
            Problem(
                f"trail.members[{index}].account",
                f"{member.account} is the organization's management account, not a member; remove it",
            )
            for index, member in enumerate(self.trail.members)
            if member.account == management
        ]
        problems += duplicate_member_problems([member.account for member in self.trail.members])
        return problems + guardrail_problems(self.archive, self.organization)


# --- adopted ----------------------------------------------------------------------------------------------


class AdoptedTrail(Trail):
    """A trail that already exists (AWS Control Tower's, Landing Zone Accelerator's, a hand-made one), named by
    the three parts of its ARN ``arn:<partition>:cloudtrail:<home_region>:<account>:trail/<name>``, and what it
    delivers to. ebtrail creates no trail, no log bucket and no log key for it."""

    account: AccountId = Field(
        description="The existing trail's account (an organization trail's: the management account); the proof layer "
        "runs there"
    )
    home_region: Region = Field(description="The existing trail's home region")
    #: No default: a guess would adopt the wrong trail.
    name: TrailName = Field(description="The existing trail's name, as it has it")
    bucket: BucketName = Field(
        description="The bucket the trail delivers to, in archive.account and archive.region (its prefix is "
        "archive.key_prefix)"
    )
    kms_key_arn: KmsKeyArn | None = Field(
        default=None, description="The KMS key (its key ARN) the trail encrypts log files with; none for SSE-S3"
    )
    log_group: LogGroupName | None = Field(
        default=None,
        description="The CloudWatch Logs log group the trail delivers to, in its account and home region: ebtrail "
        "puts the CIS metric filters and alarms on it; none for no CIS alarms",
    )
    organization_id: OrganizationId | None = Field(
        default=None,
        description="For an organization trail, the organization's ID (its files are under AWSLogs/<o-id>/<account>/)",
    )
    members: tuple[OrganizationMember, ...] = Field(
        default=(),
        description="Member accounts whose logs Athena's projection covers (an organization trail logs them all)",
    )
    proof_account: AccountId | None = Field(
        default=None,
        description="Where the delivery canary, the verifier and the alerts run: an account the organization trail "
        "records (they prove its folder AWSLogs/<o-id>/<account>/); default the trail's account. The CIS alarms stay "
        "with the log group, in the trail's account",
    )


#: Archive settings that belong to a bucket's owner: an adopted trail's bucket is not ebtrail's.
_OWNER_ARCHIVE_FIELDS = ("lifecycle", "access_logs", "object_lock", "log_readers")


class AdoptedConfig(TopologyConfig):
    """``adopted``: an existing trail and its bucket; ebtrail deploys only the proof layer on top (delivery canary,
    Beanstalk alerts, verifier policy, CIS alarms on the trail's log group, Athena), and prints the statements the
    owner of the bucket and key policies must add."""

    topology: Literal["adopted"] = Field(default="adopted", description=TOPOLOGY_DESCRIPTION)
    trail: AdoptedTrail = Field(description=TRAIL_DESCRIPTION)

    needs: ClassVar[Mapping[str, str]] = {
        "trail.account": "the existing trail's account (an organization trail's management account)",
        "trail.home_region": "the existing trail's home region, such as us-east-1",
        "trail.name": "the existing trail's name",
        "trail.bucket": "the bucket the existing trail delivers to",
    }

    def trail_targets(self) -> list[TrailTarget]:
        trail = self.trail
        return [TrailTarget(trail.account, trail.home_region, trail.name, self.partition, trail.organization_id)]

    def logging_accounts(self) -> list[str]:
        trail = self.trail
        proof = [trail.proof_account] if trail.proof_account else []
        return sorted({trail.account, *proof, *(member.account for member in trail.members)})

    @property
    def organization_id(self) -> str | None:
        return self.trail.organization_id

    @property
    def guardrails(self) -> None:
        return None

    @property
    def existing_trail(self) -> ExistingTrail:
        archive = self.archive
        return ExistingTrail(
            target=self.trail_targets()[0],
            bucket=self.trail.bucket,
            bucket_account=archive.account,
            bucket_region=archive.region,
            log_prefix=key_prefix(archive.key_prefix),
            kms_key_arn=self.trail.kms_key_arn,
            log_group_name=self.trail.log_group,
            proof_account=self.trail.proof_account,
        )

    def home_regions(self) -> list[tuple[str, str]]:
        members = [
            (f"trail.members[{i}].home_region", member.home_region)
            for i, member in enumerate(self.trail.members)
            if member.home_region is not None
        ]
        return [*members, ("trail.home_region", self.trail.home_region)]

    def topology_problems(self) -> list[Problem]:
        trail = self.trail
        problems = [
            Problem(f"archive.{name}", "not used by the adopted topology (the bucket's owner sets it); remove it")
            for name in _OWNER_ARCHIVE_FIELDS
            if name in self.archive.model_fields_set
        ]
        refused = {
            "trail.notification_emails": (
                bool(trail.notification_emails),
                "the adopted trail's SNS topic is its owner's; remove it",
            ),
            "trail.insights": (trail.insights, "Insights is a setting of the adopted trail, its owner's; remove it"),
            "cloudwatch_logs.enabled": (
                self.cloudwatch_logs.enabled,
                "ebtrail cannot change the adopted trail's CloudWatch Logs delivery; name its log group in "
                "trail.log_group instead (the CIS alarms go there)",
            ),
            "beanstalk_events.enabled": (
                self.beanstalk_events.enabled,
                "not available with an adopted trail yet (Firehose would write to the owner's bucket); allowed: false",
            ),
        }
        problems += [Problem(path, message) for path, (bad, message) in refused.items() if bad]
        if trail.kms_key_arn is not None:
            key_partition = trail.kms_key_arn.split(":")[1]
            if key_partition != self.partition:
                problems.append(Problem("trail.kms_key_arn", f"must be in the archive's partition ({self.partition})"))
        problems += [
            Problem(
                f"trail.members[{index}].account",
                f"{member.account} is the trail's own account, not a member; remove it",
            )
            for index, member in enumerate(trail.members)
            if member.account == trail.account
        ]
        if trail.log_group is not None and self.alerts.enabled and not self.alerts.emails:
            # As for cloudwatch_logs.enabled (deployment.config.rules): Security Hub CloudWatch.1 to .14 check the
            # alarm's topic and its remediation subscribes someone to it ("Security Hub controls for Amazon
            # CloudWatch"): CIS alarms nobody receives fail the controls they exist for.
            problems.append(
                Problem(
                    "alerts.emails",
                    "with trail.log_group the CIS alarms (Security Hub CloudWatch.1 to .14) need a subscriber on the "
                    "alert topic; allowed: at least one e-mail address, or no trail.log_group",
                )
            )
        elsewhere = trail.proof_account is not None and trail.proof_account != trail.account
        if elsewhere and trail.organization_id is None:
            problems.append(
                Problem("trail.proof_account", "only an organization trail (trail.organization_id) records it")
            )
        if elsewhere and trail.beanstalk_data_events != "off":
            problems.append(
                Problem(
                    "trail.beanstalk_data_events",
                    "the data-events-only trail is created in trail.account; allowed with trail.proof_account "
                    "unset or equal to trail.account",
                )
            )
        if trail.members and trail.organization_id is None:
            problems.append(
                Problem("trail.members", "only an organization trail (trail.organization_id) logs other accounts")
            )
        return problems + duplicate_member_problems([member.account for member in trail.members])


# --- the union --------------------------------------------------------------------------------------------


def topology_of(data: Any) -> str | None:
    """The tag of ``data``: its ``topology`` key (default :data:`DEFAULT_TOPOLOGY`), or an instance's topology.
    None (not a table, or a ``topology`` that is not a string) is refused with the unknown-topology error."""
    if isinstance(data, dict):
        value = data.get("topology", DEFAULT_TOPOLOGY)
        return value if isinstance(value, str) else None
    value = getattr(data, "topology", None)
    return value if isinstance(value, str) else None


#: The error type of a ``topology`` that names no type of the union (rendered by :mod:`deployment.config.loading`).
UNKNOWN_TOPOLOGY = "unknown_topology"

#: A deployment config: one of the topology types, chosen by the ``topology`` key.
DeploymentConfig = Annotated[
    Annotated[SingleAccountConfig, Tag("single-account")]
    | Annotated[AccountsConfig, Tag("accounts")]
    | Annotated[OrganizationConfig, Tag("organization")]
    | Annotated[AdoptedConfig, Tag("adopted")],
    Discriminator(
        topology_of,
        custom_error_type=UNKNOWN_TOPOLOGY,
        custom_error_message="topology names no known topology",
    ),
]

CONFIG_ADAPTER: TypeAdapter[DeploymentConfig] = TypeAdapter(DeploymentConfig)


def _union_members() -> dict[str, type[TopologyConfig]]:
    members: dict[str, type[TopologyConfig]] = {}
    for member in get_args(get_args(DeploymentConfig)[0]):
        cls, tag = get_args(member)
        members[tag.tag] = cls
    return members


#: Each topology's type by its name, in the union's order.
TOPOLOGY_TYPES: Mapping[str, type[TopologyConfig]] = _union_members()
