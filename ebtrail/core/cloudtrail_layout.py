"""CloudTrail's S3 layout, written once: where a trail puts its log and digest files, what they are named, the
``AWSLogs/`` patterns a bucket policy names, and the key prefix in front of it all.

From the CloudTrail User Guide:

* "Finding your CloudTrail log files"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html) and "CloudTrail log
  file examples", section "CloudTrail log file name format"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html)::

      [<prefix>/]AWSLogs/[<o-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
          <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16-character unique string>.json.gz

  The date folders and the timestamp are the delivery time (UTC), so inside a day's folder the keys sort by
  delivery time.
* "CloudTrail digest file structure", "Digest file location"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html)::

      [<prefix>/]AWSLogs/[<o-id>/]<account>/CloudTrail-Digest/<region>/<end year>/<end month>/<end day>/
          <account>_CloudTrail-Digest_<region>_<trail name>_<home region>_<end: YYYYMMDDTHHmmssZ>.json.gz

  A backfill digest ("when CloudTrail needs to include log files that were not referenced in the original
  digest") has the same name with ``_backfill`` before ``.json.gz``.
* Organization trails: the same layout with the organization's ID between ``AWSLogs/`` and the account
  ("Prepare for creating a trail for your organization",
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-organizations-prepare.html; the
  digest page's note above); ``CreateTrail`` of an organization trail also checks that it may write the
  management account's own folder ``[<prefix>/]AWSLogs/<management account>/``.
* "CloudWatch log group and log stream naming for CloudTrail"
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-log-group-log-stream-naming-for-cloudtrail.html):
  the trail's log streams are ``<account>_CloudTrail_<region>`` (an organization trail's
  ``<o-id>_<account>_CloudTrail_<region>``), each possibly followed by ``_<number>``.

**The key prefix, normalized once.** CloudTrail's ``S3KeyPrefix`` (and the config's ``archive.key_prefix``, the
canary's environment, the CDK ``Trail``'s ``s3KeyPrefix``) is ``None`` or ``"p"``; inside ebtrail a key prefix is
always the folder in front of ``AWSLogs/``: ``""`` or ``"p/"``, so that every key is ``f"{prefix}AWSLogs/..."``.
:func:`key_prefix` converts from the outside form, :func:`s3_key_prefix` back to it; nothing else converts.
Every builder here refuses a prefix in the outside form (``"p"``): a key that silently lacks its ``/`` would
point at nothing and deny nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

#: The folder CloudTrail writes everything under (after the key prefix).
AWS_LOGS = "AWSLogs/"
#: An organization's ID, as it appears as a folder under ``AWSLogs/``.
ORGANIZATION_ID = r"o-[a-z0-9]{10,32}"
#: The timestamps in the file names: a log file's delivery minute, a digest's end second.
LOG_TIME_FORMAT = "%Y%m%dT%H%MZ"
DIGEST_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
#: How a backfill digest's name ends.
BACKFILL_SUFFIX = "_backfill.json.gz"
#: A placeholder that a policy document substitutes with a key prefix in the inside form
#: (:mod:`ebtrail.core.permissions`); the pattern builders accept it where a prefix goes.
PREFIX_PLACEHOLDER = "${Prefix}"

_LOG_KEY = re.compile(
    rf"^(?P<prefix>(?:.+/)?)AWSLogs/(?:(?P<org>{ORGANIZATION_ID})/)?(?P<account>\d{{12}})/CloudTrail/"
    r"(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<ts>\d{8}T\d{4}Z)_(?P<suffix>[A-Za-z0-9]{16})\.json\.gz$"
)
#: Any digest key (also one of another trail, as ``previousDigestS3Object`` may name).
DIGEST_KEY_RE = re.compile(
    rf"(?:^|/)AWSLogs/(?:{ORGANIZATION_ID}/)?\d{{12}}/CloudTrail-Digest/(?P<region>[a-z0-9-]+)/\d{{4}}/\d{{2}}/\d{{2}}/"
    r"[^/]+_(?P<ts>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)
_ORGANIZATION_FOLDER = re.compile(rf"AWSLogs/({ORGANIZATION_ID})/$")


class KeyPrefixError(ValueError):
    """A key prefix in the outside form (``"p"``) where the inside form (``""`` or ``"p/"``) belongs."""


# --- the key prefix ------------------------------------------------------------------------------------------------


def key_prefix(s3_key_prefix: str | None) -> str:
    """The inside form (``""`` or ``"p/"``) of CloudTrail's ``S3KeyPrefix`` or the config's ``key_prefix``
    (``None``, ``""`` or ``"p"``; slashes around it are dropped). The one conversion in."""
    value = (s3_key_prefix or "").strip("/")
    return f"{value}/" if value else ""


def s3_key_prefix(prefix: str) -> str | None:
    """CloudTrail's ``S3KeyPrefix`` (``None`` or ``"p"``) of an inside-form prefix. The one conversion out."""
    return _checked(prefix).removesuffix("/") or None


def _checked(prefix: str) -> str:
    if prefix and not prefix.endswith("/") and prefix != PREFIX_PLACEHOLDER:
        raise KeyPrefixError(f"a key prefix inside ebtrail is '' or ends with '/' (use key_prefix()): {prefix!r}")
    return prefix


# --- folders ---------------------------------------------------------------------------------------------------------


def logs_root(prefix: str) -> str:
    """``[<prefix>/]AWSLogs/``: the folder that holds one folder per account (or per organization)."""
    return f"{_checked(prefix)}{AWS_LOGS}"


def accounts_folder(prefix: str, organization_id: str | None = None) -> str:
    """``[<prefix>/]AWSLogs/[<o-id>/]``: the folder that holds one folder per account."""
    return logs_root(prefix) + (f"{organization_id}/" if organization_id else "")


def account_path(account: str, organization_id: str | None = None) -> str:
    """``[<o-id>/]<account>/``: one account's folder below ``AWSLogs/``."""
    return f"{organization_id}/{account}/" if organization_id else f"{account}/"


def account_folder(prefix: str, account: str, organization_id: str | None = None) -> str:
    """``[<prefix>/]AWSLogs/[<o-id>/]<account>/``: everything the trail writes for one account."""
    return logs_root(prefix) + account_path(account, organization_id)


def trail_write_paths(account: str, organization_id: str | None = None) -> list[str]:
    """The folders below the prefix that a trail of ``account`` writes to: ``AWSLogs/<account>/``, and for an
    organization trail (created in the management account ``account``) also ``AWSLogs/<o-id>/``, every member's
    folder (``CreateTrail`` checks the management account's own folder too)."""
    paths = [AWS_LOGS + account_path(account)]
    if organization_id:
        paths.append(f"{AWS_LOGS}{organization_id}/")
    return paths


def organization_folder(prefix: str) -> str:
    """``[<prefix>/]AWSLogs/o-``: where listing finds an organization trail's ``o-id`` folder."""
    return logs_root(prefix) + "o-"


def organization_id_of_folder(folder: str) -> str | None:
    """The ``o-id`` of a listed folder ``.../AWSLogs/<o-id>/``, or None for any other folder."""
    match = _ORGANIZATION_FOLDER.search(folder)
    return match[1] if match else None


def log_folder(prefix: str, account: str, region: str, organization_id: str | None = None) -> str:
    """``.../<account>/CloudTrail/<region>/``: the log files of one account and region."""
    return f"{account_folder(prefix, account, organization_id)}CloudTrail/{region}/"


def log_day_folder(prefix: str, account: str, region: str, day: date, organization_id: str | None = None) -> str:
    """The folder holding the log files delivered on ``day`` (UTC) for one account and region."""
    return f"{log_folder(prefix, account, region, organization_id)}{day:%Y/%m/%d}/"


def digest_folder(prefix: str, account: str, region: str, organization_id: str | None = None) -> str:
    """``.../<account>/CloudTrail-Digest/<region>/``: the digest files of one account and region."""
    return f"{account_folder(prefix, account, organization_id)}CloudTrail-Digest/{region}/"


def digest_regions_folder(prefix: str, account: str, organization_id: str | None = None) -> str:
    """``.../<account>/CloudTrail-Digest/``: one folder per region below it."""
    return f"{account_folder(prefix, account, organization_id)}CloudTrail-Digest/"


def digest_day_folder(prefix: str, account: str, region: str, day: date, organization_id: str | None = None) -> str:
    return f"{digest_folder(prefix, account, region, organization_id)}{day:%Y/%m/%d}/"


# --- log files -------------------------------------------------------------------------------------------------------


def log_file_stem(account: str, region: str, when: datetime) -> str:
    """The part of a log file name before its unique string, for a delivery at ``when``."""
    return f"{account}_CloudTrail_{region}_{when.astimezone(UTC):{LOG_TIME_FORMAT}}"


def log_file_name(account: str, region: str, delivered: datetime, unique: str) -> str:
    return f"{log_file_stem(account, region, delivered)}_{unique}.json.gz"


def log_key(
    prefix: str,
    account: str,
    region: str,
    delivered: datetime,
    unique: str,
    *,
    organization_id: str | None = None,
) -> str:
    """The key of a log file delivered at ``delivered`` (``unique``: CloudTrail's 16 alphanumeric characters)."""
    delivered = delivered.astimezone(UTC)
    folder = log_day_folder(prefix, account, region, delivered.date(), organization_id)
    return folder + log_file_name(account, region, delivered, unique)


def log_start_after(folder: str, account: str, region: str, not_before: datetime) -> str:
    """``StartAfter`` for a ``ListObjectsV2`` of a day ``folder`` that skips files delivered before
    ``not_before`` (whole minutes: a key of the same minute sorts after it)."""
    return folder + log_file_stem(account, region, not_before)


@dataclass(frozen=True)
class LogKey:
    """A parsed log file key (``prefix`` in the inside form)."""

    key: str
    prefix: str
    org_id: str | None
    account: str
    region: str
    day: date
    delivered: datetime

    @classmethod
    def parse(cls, key: str) -> LogKey | None:
        """The parts of ``key``; None when it is not a log file's key."""
        m = _LOG_KEY.match(key)
        if not m:
            return None
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            delivered = datetime.strptime(m["ts"], LOG_TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(key, m["prefix"], m["org"], m["account"], m["region"], day, delivered)


# --- digest files ----------------------------------------------------------------------------------------------------


def digest_key(
    prefix: str,
    account: str,
    region: str,
    *,
    trail_name: str,
    home_region: str,
    end: datetime,
    organization_id: str | None = None,
    backfill: bool = False,
) -> str:
    """The key CloudTrail gives the digest of ``trail_name`` that ends at ``end``."""
    end = end.astimezone(UTC)
    suffix = BACKFILL_SUFFIX if backfill else ".json.gz"
    return (
        f"{digest_day_folder(prefix, account, region, end.date(), organization_id)}{account}_CloudTrail-Digest_"
        f"{region}_{trail_name}_{home_region}_{end:{DIGEST_TIME_FORMAT}}{suffix}"
    )


def digest_key_regex(
    prefix: str, account: str, region: str, *, trail_name: str, home_region: str, organization_id: str | None = None
) -> re.Pattern[str]:
    """Matches the standard and backfill digest keys of ``trail_name`` in one account and region."""
    folder = digest_folder(prefix, account, region, organization_id)
    acct, reg = re.escape(account), re.escape(region)
    return re.compile(
        rf"^{re.escape(folder)}\d{{4}}/\d{{2}}/\d{{2}}/{acct}_CloudTrail-Digest_{reg}_"
        rf"{re.escape(trail_name)}_{re.escape(home_region)}_\d{{8}}T\d{{6}}Z(?:_backfill)?\.json\.gz$"
    )


def is_backfill_digest_key(key: str) -> bool:
    return key.endswith(BACKFILL_SUFFIX)


def digest_key_time(key: str) -> datetime | None:
    """The end time in a digest key (backfill or not), or None when it is not a digest key."""
    match = DIGEST_KEY_RE.search(key)
    if not match:
        return None
    return datetime.strptime(match["ts"], DIGEST_TIME_FORMAT).replace(tzinfo=UTC)


def digest_key_region(key: str) -> str | None:
    match = DIGEST_KEY_RE.search(key)
    return match["region"] if match else None


# --- policy patterns -------------------------------------------------------------------------------------------------


def logs_objects_pattern(prefix: str) -> str:
    """``[<prefix>/]AWSLogs/*``: every file of every trail folder (an object ARN's key part, or ``s3:prefix``)."""
    return f"{logs_root(prefix)}*"


def digest_objects_pattern(prefix: str) -> str:
    """``[<prefix>/]AWSLogs/*/CloudTrail-Digest/*``: every digest file, of any account or organization."""
    return f"{logs_root(prefix)}*/CloudTrail-Digest/*"


def path_objects_pattern(prefix: str, path: str) -> str:
    """``<prefix><path>*``, for a folder of :func:`trail_write_paths`."""
    return f"{_checked(prefix)}{path}*"


# --- CloudWatch Logs -------------------------------------------------------------------------------------------------


def log_stream_name(account: str, region: str, organization_id: str | None = None) -> str:
    """The log stream CloudTrail writes a region's events of ``account`` to."""
    head = f"{organization_id}_" if organization_id else ""
    return f"{head}{account}_CloudTrail_{region}"
