"""The day-two configs ``make e2e`` deploys after a first deploy, and the TOML they are written in.

Each step of the rehearsal is the config a platform team would deploy next, written as a TOML file beside the
deployed one (the example configs themselves are never changed):

* ``update``: one more subscriber on the delivery topic (``trail.notification_emails``, and on the alert topic
  when it has none: the CIS alarms need one), another lifecycle
  (``archive.lifecycle.expiration_days``) and CloudWatch Logs delivery turned on (``cloudwatch_logs.enabled``);
* ``rename``: the update's config with another trail name (``trail.name``), and the old name in
  ``trail.previous_names`` when the config model has that field (so that the archive keeps admitting the old
  trail until it is gone);
* ``redeploy``: the rename's config again, after ``cdk destroy --all``.

The Python standard library reads TOML but does not write it; :func:`dumps` writes the subset a config uses
(tables, arrays of tables, strings, numbers, booleans, dates, arrays of those).
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

#: The subscriber the update step adds.
ADDED_SUBSCRIBER = "day-two@example.com"
#: The lifecycle the update step sets (10 years instead of the default 7).
UPDATED_EXPIRATION_DAYS = 3650
#: What the rename step appends to the trail's name.
RENAME_SUFFIX = "-renamed"
#: The steps of the rehearsal, in order (``deploy`` is the first deploy).
STEPS = ("deploy", "update", "rename", "destroy", "redeploy")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    return _scalar(value)


def _table(data: dict[str, Any], path: tuple[str, ...], out: list[str]) -> None:
    """A table's own keys (arrays of tables written inline), then its sub-tables: TOML's required order."""
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
    if path and (plain or not data):
        out.append(f"\n[{'.'.join(_key(p) for p in path)}]")
    out.extend(f"{_key(k)} = {_inline(v)}" for k, v in plain.items())
    for key, value in data.items():
        if isinstance(value, dict):
            _table(value, (*path, key), out)


def dumps(data: dict[str, Any]) -> str:
    """TOML text that :func:`tomllib.loads` reads back as ``data`` (checked)."""
    out: list[str] = []
    _table(data, (), out)
    text = "\n".join(out).lstrip("\n") + "\n"
    if tomllib.loads(text) != data:
        raise ValueError("the TOML written does not read back as the config")
    return text


def read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def updated(config: dict[str, Any]) -> dict[str, Any]:
    """The update step: a subscriber added, a longer lifecycle, CloudWatch Logs on."""
    data = copy.deepcopy(config)
    trail = data.setdefault("trail", {})
    trail["notification_emails"] = [*trail.get("notification_emails", []), ADDED_SUBSCRIBER]
    data.setdefault("archive", {}).setdefault("lifecycle", {})["expiration_days"] = UPDATED_EXPIRATION_DAYS
    data.setdefault("cloudwatch_logs", {})["enabled"] = True
    # The CIS alarms need a subscriber on the alert topic (Security Hub CloudWatch.1 to .14, issue 17 item 6):
    # the config model refuses CloudWatch Logs without one, so the added subscriber is also the alerts'.
    alerts = data.setdefault("alerts", {})
    if not alerts.get("emails"):
        alerts["emails"] = [ADDED_SUBSCRIBER]
    return data


def renamed(config: dict[str, Any], *, keep_previous: bool) -> dict[str, Any]:
    """The rename step: the trail's name with :data:`RENAME_SUFFIX`; with ``keep_previous`` the old name in
    ``trail.previous_names``."""
    data = copy.deepcopy(config)
    trail = data["trail"]
    old = trail.get("name", "ebtrail-audit")
    trail["name"] = old + RENAME_SUFFIX
    if keep_previous:
        trail["previous_names"] = [*trail.get("previous_names", []), old]
    return data


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(dumps(data))
    return path
