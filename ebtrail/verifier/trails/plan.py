"""What a deployment config would add: which trails recording management events, in which accounts.

Read from the TOML with :mod:`tomllib`, not with the config model (:mod:`deployment.config`): that model needs
pydantic, which the base install (the verifier alone) does not have, and a platform engineer asks "would this cost
me a second copy?" before installing the CDK app. Only the few keys that decide it are read (topology, the trail's
name, accounts, home regions, organization and ``management_events``); everything else in the file is left to
``make synth``, which validates the whole config. tests/verifier/test_trails_plan.py checks that this reading
agrees with the config model's :meth:`trail_targets` for every config in ``config/``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ebtrail.verifier.trails.coverage import Coverage

#: Topologies whose trail records management events (one trail per target), and the one that creates none: an
#: adopted trail (issue 19) is someone else's; its optional data-events-only trail has management events off.
CREATING = ("single-account", "accounts", "organization")
ADOPTING = ("adopted",)
DEFAULT_TOPOLOGY = "single-account"
DEFAULT_TRAIL_NAME = "ebtrail-audit"
MANAGEMENT_EVENTS = ("All", "ReadOnly", "WriteOnly")

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
ORGANIZATION = re.compile(r"o-[a-z0-9]{10,32}")


class PlanError(Exception):
    """The config cannot be read; ``problems`` are ``field path: what is allowed`` lines, all of them at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PlannedTrail:
    """A trail the config creates: its account (the management account for an organization trail), its home
    region and, for an organization trail, the organization whose every account it records."""

    account: str
    home_region: str
    name: str
    organization_id: str | None = None

    @property
    def arn_suffix(self) -> str:
        return f"{self.account}:trail/{self.name}"


@dataclass(frozen=True)
class Plan:
    """What deploying the config adds. ebtrail's trails are always multi-region, so a trail records management
    events in every region of its account (every account of its organization)."""

    path: str
    topology: str
    coverage: Coverage
    trails: tuple[PlannedTrail, ...] = field(default_factory=tuple)

    @property
    def creates_management_trail(self) -> bool:
        return bool(self.trails) and self.coverage.records_any

    def trail_for(self, account: str, organization_id: str | None) -> PlannedTrail | None:
        """The planned trail that would record ``account``'s management events, or None."""
        for trail in self.trails:
            if trail.organization_id is not None:
                if organization_id == trail.organization_id or account == trail.account:
                    return trail
            elif trail.account == account:
                return trail
        return None

    @property
    def needs_organization(self) -> bool:
        return any(trail.organization_id for trail in self.trails)


def read_plan(path: Path) -> Plan:
    """The plan of the config at ``path``; raises :class:`PlanError` naming every field it cannot use."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError([f"--config: cannot read {path}: {exc.strerror or exc}"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlanError([f"--config: {path} is not TOML: {exc}"]) from exc
    return plan_from_data(data, str(path))


def plan_from_data(data: Mapping[str, Any], path: str = "<config>") -> Plan:
    problems: list[str] = []
    topology = data.get("topology", DEFAULT_TOPOLOGY)
    if topology not in CREATING + ADOPTING:
        allowed = ", ".join(CREATING + ADOPTING)
        raise PlanError([f"topology: allowed: {allowed}; got {topology!r}"])
    trail = _table(data, "trail", problems)
    name = trail.get("name", DEFAULT_TRAIL_NAME)
    if not isinstance(name, str) or not name:
        problems.append(f"trail.name: allowed: a trail name; got {name!r}")
    events = trail.get("management_events", "All")
    if events not in MANAGEMENT_EVENTS:
        problems.append(f"trail.management_events: allowed: {', '.join(MANAGEMENT_EVENTS)}; got {events!r}")
    coverage = Coverage.of_read_write_type(events if isinstance(events, str) else "All")
    trails = _TRAILS_OF[str(topology)](data, trail, str(name), problems)
    if problems:
        raise PlanError(problems)
    return Plan(path=path, topology=str(topology), coverage=coverage, trails=tuple(trails))


# One reader per topology, of the keys that decide where its trails are: the base install's twin of the config
# model's ``trail_targets()`` (tests/verifier/test_trails_plan.py compares the two for every example config).


def _single_account_trails(
    _data: Mapping[str, Any], trail: Mapping[str, Any], name: str, problems: list[str]
) -> list[PlannedTrail]:
    account = _value(trail, "trail.account", ACCOUNT, "a 12-digit account ID", problems)
    region = _value(trail, "trail.home_region", REGION, "a region name", problems)
    return [PlannedTrail(account, region, name)]


def _accounts_trails(
    _data: Mapping[str, Any], trail: Mapping[str, Any], name: str, problems: list[str]
) -> list[PlannedTrail]:
    members = trail.get("members")
    if not isinstance(members, list) or not members:
        problems.append("trail.members: allowed: at least one [[trail.members]] entry (account, home_region)")
        members = []
    trails = []
    for index, member in enumerate(members):
        where = f"trail.members[{index}]"
        if not isinstance(member, dict):
            problems.append(f"{where}: allowed: a table (account, home_region)")
            continue
        account = _value(member, f"{where}.account", ACCOUNT, "a 12-digit account ID", problems)
        region = _value(member, f"{where}.home_region", REGION, "a region name", problems)
        trails.append(PlannedTrail(account, region, name))
    return trails


def _organization_trails(
    data: Mapping[str, Any], _trail: Mapping[str, Any], name: str, problems: list[str]
) -> list[PlannedTrail]:
    organization = _table(data, "organization", problems, required=True)
    org_id = _value(organization, "organization.id", ORGANIZATION, "o- and 10-32 letters or digits", problems)
    account = _value(organization, "organization.management_account", ACCOUNT, "a 12-digit account ID", problems)
    region = _value(organization, "organization.home_region", REGION, "a region name", problems)
    return [PlannedTrail(account, region, name, org_id)]


def _adopted_trails(
    _data: Mapping[str, Any], _trail: Mapping[str, Any], _name: str, _problems: list[str]
) -> list[PlannedTrail]:
    """An adopted trail is not created: the config adds no trail."""
    return []


_TRAILS_OF: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], str, list[str]], list[PlannedTrail]]] = {
    "single-account": _single_account_trails,
    "accounts": _accounts_trails,
    "organization": _organization_trails,
    "adopted": _adopted_trails,
}


def _table(data: Mapping[str, Any], key: str, problems: list[str], *, required: bool = False) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            problems.append(f"{key}: allowed: a [{key}] table; it is missing")
        return {}
    if not isinstance(value, dict):
        problems.append(f"{key}: allowed: a [{key}] table; got {type(value).__name__}")
        return {}
    return value


def _value(table: Mapping[str, Any], where: str, pattern: re.Pattern[str], allowed: str, problems: list[str]) -> str:
    """The string at ``where`` (its last part is the key in ``table``) if it matches ``pattern``."""
    value = table.get(where.rsplit(".", 1)[-1])
    if not isinstance(value, str) or not pattern.fullmatch(value):
        shown = "missing" if value is None else f"got {value!r}"
        problems.append(f"{where}: allowed: {allowed}; {shown}")
        return ""
    return value
