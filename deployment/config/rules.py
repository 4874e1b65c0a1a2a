"""Rules that tie fields together, the second pass after pydantic's structure: lifecycle transitions in order,
Object Lock inside the expiration, features that need another part of the config, regions in the archive's
partition, and each topology's own rules (:meth:`~deployment.config.model.TopologyConfig.topology_problems`).

Every rule is checked and every problem is reported at once, each with its field path. The archive's lifecycle and
retention rules take their sections, not the whole config, so that :mod:`deployment.config.loading` can run them even
when another part of the config failed its structural checks.
"""

from __future__ import annotations

from deployment.config.model import Lifecycle, ObjectLock, TopologyConfig, Trail, Transition
from deployment.config.problems import Problem
from ebtrail.core import cloudtrail_layout
from ebtrail.core.lifecycle import MIN_DAYS_IN_IA, MIN_STORAGE_DAYS, MIN_TRANSITION_AGE, STORAGE_CLASS_ORDER
from ebtrail.core.log_retention import LOG_RETENTION_DAYS
from ebtrail.core.regions import partition_of


def semantic_problems(config: TopologyConfig) -> list[Problem]:
    """Every rule that ties fields together, each problem with its field path."""
    archive = config.archive
    problems = lifecycle_problems(archive.lifecycle, "archive.lifecycle")
    problems += retention_problems(archive.lifecycle, archive.object_lock)
    problems += config.topology_problems()
    problems += _management_event_problems(config.trail)
    problems += _feature_problems(config)
    problems += duplicate_email_problems(config.trail.notification_emails, "trail.notification_emails")
    problems += duplicate_email_problems(config.alerts.emails, "alerts.emails")
    problems += previous_name_problems(config.trail)
    problems += previous_prefix_problems(config.archive.key_prefix, config.archive.previous_key_prefixes)
    if config.canary.enabled and not config.alerts.enabled:
        problems.append(
            Problem(
                "canary.enabled",
                "the canary's alarms publish to the alert topic, which alerts.enabled = false removes; allowed: "
                "alerts.enabled = true, or canary.enabled = false",
            )
        )
    for path, region in config.home_regions():
        if partition_of(region) != config.partition:
            problems.append(Problem(path, f"must be in the archive's partition ({config.partition}); got {region}"))
    return problems


def lifecycle_problems(lifecycle: Lifecycle, path: str) -> list[Problem]:
    """S3's lifecycle rules: the waterfall order, minimum ages, and minimum storage durations."""
    problems: list[Problem] = []
    transitions = lifecycle.transitions
    for index, transition in enumerate(transitions):
        here = f"{path}.transitions[{index}]"
        minimum_age = MIN_TRANSITION_AGE.get(transition.storage_class)
        if minimum_age and transition.days < minimum_age:
            problems.append(
                Problem(
                    f"{here}.days",
                    f"{transition.storage_class} needs at least {minimum_age} days (S3 lifecycle minimum); "
                    f"got {transition.days}",
                )
            )
        if index == 0:
            continue
        previous = transitions[index - 1]
        if STORAGE_CLASS_ORDER.index(transition.storage_class) <= STORAGE_CLASS_ORDER.index(previous.storage_class):
            allowed = ", ".join(STORAGE_CLASS_ORDER[STORAGE_CLASS_ORDER.index(previous.storage_class) + 1 :])
            problems.append(
                Problem(
                    f"{here}.storage_class",
                    f"S3 moves objects only down the waterfall; after {previous.storage_class} allowed: "
                    f"{allowed or 'nothing'}",
                )
            )
        if transition.days <= previous.days:
            problems.append(
                Problem(
                    f"{here}.days",
                    f"transitions must be in increasing days; {transition.days} is not after "
                    f"{previous.days} ({previous.storage_class})",
                )
            )
        elif previous.storage_class in MIN_TRANSITION_AGE and transition.days - previous.days < MIN_DAYS_IN_IA:
            # A hard S3 rule, not a billing matter: accept_early_deletion_charge does not lift it.
            problems.append(
                Problem(
                    f"{here}.days",
                    f"objects must stay {MIN_DAYS_IN_IA} days in {previous.storage_class} before S3 moves them on; "
                    f"allowed: at least {previous.days + MIN_DAYS_IN_IA}",
                )
            )
        elif early := _early_exit(previous, transition.days, lifecycle):
            problems.append(Problem(f"{here}.days", early))
    expiration = lifecycle.expiration_days
    if expiration is not None and transitions:
        last = transitions[-1]
        if expiration <= last.days:
            problems.append(
                Problem(
                    f"{path}.expiration_days",
                    f"must be after the last transition ({last.storage_class} at {last.days} days); got {expiration}",
                )
            )
        elif early := _early_exit(last, expiration, lifecycle):
            problems.append(Problem(f"{path}.expiration_days", early))
    return problems


def _early_exit(transition: Transition, leaves_at: int, lifecycle: Lifecycle) -> str | None:
    """A message if objects leave ``transition``'s class before S3's minimum storage duration."""
    minimum = MIN_STORAGE_DAYS.get(transition.storage_class)
    if minimum is None or leaves_at - transition.days >= minimum or lifecycle.accept_early_deletion_charge:
        return None
    return (
        f"objects leave {transition.storage_class} after {leaves_at - transition.days} days, before its "
        f"{minimum}-day minimum storage duration; allowed: at least {transition.days + minimum}, or set "
        "accept_early_deletion_charge = true"
    )


def retention_problems(lifecycle: Lifecycle, object_lock: ObjectLock | None) -> list[Problem]:
    """Object Lock retention longer than the expiration would keep S3 from deleting what the lifecycle expires."""
    expiration = lifecycle.expiration_days
    if object_lock is None or expiration is None or object_lock.days <= expiration:
        return []
    return [
        Problem(
            "archive.object_lock.days",
            f"retention ({object_lock.days} days) must not be longer than "
            f"archive.lifecycle.expiration_days ({expiration})",
        )
    ]


def _management_event_problems(trail: Trail) -> list[Problem]:
    """A ReadOnly trail records no Elastic Beanstalk change (every Create/Update/Terminate/Delete call is a write
    event), which is what ebtrail is for: refused unless acknowledged in so many words."""
    if trail.management_events == "ReadOnly" and not trail.acknowledge_no_beanstalk_writes:
        return [
            Problem(
                "trail.management_events",
                "'ReadOnly' records no Elastic Beanstalk change (CreateEnvironment, UpdateEnvironment, "
                "TerminateEnvironment ... are write events), so the alerts never fire and the verifier reports "
                "misconfiguration; allowed: 'All' or 'WriteOnly', or add trail.acknowledge_no_beanstalk_writes = "
                "true to record reads only on purpose; got 'ReadOnly'",
            )
        ]
    if trail.acknowledge_no_beanstalk_writes and trail.management_events != "ReadOnly":
        return [
            Problem(
                "trail.acknowledge_no_beanstalk_writes",
                f"only used with trail.management_events = 'ReadOnly' (it is {trail.management_events!r}); remove it",
            )
        ]
    return []


def _feature_problems(config: TopologyConfig) -> list[Problem]:
    """Optional features that need another part of the config."""
    problems: list[Problem] = []
    logs = config.cloudwatch_logs
    if logs.retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
        problems.append(
            Problem(
                "cloudwatch_logs.retention_days", f"allowed: {allowed} (CloudWatch Logs); got {logs.retention_days}"
            )
        )
    if config.beanstalk_events.enabled and len(config.trail.name) > 64 - len("-beanstalk-events"):
        problems.append(
            Problem(
                "trail.name",
                "with beanstalk_events.enabled the Firehose stream and EventBridge rule are named "
                "<trail name>-beanstalk-events, at most 64 characters; allowed: a trail name of at most 47 characters",
            )
        )
    if config.trail.insights and config.trail.management_events == "ReadOnly":
        problems.append(
            Problem(
                "trail.insights",
                "the API call rate Insights type analyzes write management events; allowed only with "
                'trail.management_events = "All" or "WriteOnly"',
            )
        )
    if logs.enabled and not config.alerts.enabled:
        problems.append(
            Problem(
                "cloudwatch_logs.enabled",
                "the CIS alarms publish to the Beanstalk alert topic; allowed only with alerts.enabled = true",
            )
        )
    elif logs.enabled and not config.alerts.emails:
        # "Security Hub controls for Amazon CloudWatch" (Security Hub User Guide): CloudWatch.1 to .14 check the
        # alarm's SNS topic (resource type AWS::SNS::Topic) and its remediation subscribes someone to it. CIS alarms
        # nobody receives fail the controls they exist for, and deploy green.
        problems.append(
            Problem(
                "alerts.emails",
                "with cloudwatch_logs.enabled the CIS alarms (Security Hub CloudWatch.1 to .14) need a subscriber on "
                "the alert topic; allowed: at least one e-mail address (a subscription counts only once its "
                "address confirms it), or cloudwatch_logs.enabled = false",
            )
        )
    if config.integrity_sweep.enabled and not config.alerts.emails:
        # The sweep's alarms publish to its own topic, whose only subscribers are alerts.emails: without one, a
        # sweep that finds modified or missing files deploys green and tells nobody.
        problems.append(
            Problem(
                "alerts.emails",
                "with integrity_sweep.enabled the sweep's alarms (integrity failures, incomplete checks, failed "
                "executions) notify the addresses of alerts.emails; allowed: at least one e-mail address, or "
                "integrity_sweep.enabled = false",
            )
        )
    return problems


def duplicate_email_problems(emails: tuple[str, ...], path: str) -> list[Problem]:
    """An address listed twice, also in another case: SNS keeps one subscription per endpoint and topic, and CDK
    gives both entries the same construct ID, so the second would end the synthesis in a traceback. Compared
    case-insensitively, as mail providers treat the local part in practice (RFC 5321 allows a case-sensitive local
    part, but an address that differs only in case is not a second person)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, email in enumerate(emails):
        first = seen.setdefault(email.lower(), index)
        if first != index:
            problems.append(
                Problem(
                    f"{path}[{index}]",
                    f"duplicate e-mail address {email!r} (also {path}[{first}], {emails[first]!r}; addresses are "
                    "compared ignoring case); allowed: each address once",
                )
            )
    return problems


def previous_name_problems(trail: Trail) -> list[Problem]:
    """``trail.previous_names`` lists other names, each once: the current name is allowed anyway."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, name in enumerate(trail.previous_names):
        if name == trail.name:
            problems.append(
                Problem(
                    f"trail.previous_names[{index}]",
                    f"{name!r} is the trail's current name (trail.name); allowed: names the trail had before",
                )
            )
        elif name in seen:
            problems.append(Problem(f"trail.previous_names[{index}]", f"duplicate name {name!r}; allowed: each once"))
        seen.add(name)
    return problems


def previous_prefix_problems(key_prefix: str | None, previous: tuple[str, ...]) -> list[Problem]:
    """``archive.previous_key_prefixes`` lists other prefixes, each once."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, prefix in enumerate(previous):
        path = f"archive.previous_key_prefixes[{index}]"
        if cloudtrail_layout.key_prefix(prefix) == cloudtrail_layout.key_prefix(key_prefix):
            problems.append(Problem(path, f"{prefix!r} is the current archive.key_prefix; allowed: earlier prefixes"))
        elif prefix in seen:
            problems.append(Problem(path, f"duplicate prefix {prefix!r}; allowed: each once"))
        seen.add(prefix)
    return problems
