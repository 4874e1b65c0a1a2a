"""Saved Athena queries over the CloudTrail table, one constant per query (Trino SQL, Athena engine 3).

Each query names the table as ``{table}``; :func:`render` fills it in. Every query filters
``eventsource = 'elasticbeanstalk.amazonaws.com'`` and restricts the ``day`` partition (the log file's
delivery day, ``yyyy/MM/dd``, UTC), so partition projection reads only those days' folders.

Values the user replaces before running a query are single-quoted placeholders (``'my-environment'``,
``'203.0.113.0/24'``); they are listed in each query's ``placeholders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SavedQuery:
    """One named query: its name and description in the Athena console, and its SQL template."""

    name: str
    description: str
    sql: str
    #: Literals in ``sql`` the user replaces before running it.
    placeholders: tuple[str, ...] = field(default_factory=tuple)
    #: How many days of delivery folders the query reads (its ``day`` filter). Files moved to GLACIER or
    #: DEEP_ARCHIVE are skipped by Athena without an error, so the archive's queryable window must be at least
    #: this long for the answer to be complete.
    lookback_days: int = 1


def render(query: SavedQuery, table: str) -> str:
    """The query's SQL for ``table`` (a table in the workgroup's default database, or ``db.table``)."""
    return query.sql.replace("{table}", table)


#: (a) Who called Elastic Beanstalk in the last 24 hours: calls per principal and action, busiest first.
#: Events of the last 24 hours are in today's and yesterday's folders (a file's folder is its delivery
#: day, never before the event), so the partition filter reads two days.
CALLS_LAST_24_HOURS_BY_PRINCIPAL = SavedQuery(
    name="beanstalk-calls-last-24h-by-principal",
    description="Elastic Beanstalk API calls of the last 24 hours, per principal and action",
    sql="""\
SELECT
  useridentity.arn AS principal,
  eventname,
  count(*) AS calls,
  count(errorcode) AS failed_calls,
  min(eventtime) AS first_call,
  max(eventtime) AS last_call
FROM {table}
WHERE eventsource = 'elasticbeanstalk.amazonaws.com'
  AND day >= date_format(current_timestamp - INTERVAL '1' DAY, '%Y/%m/%d')
  AND from_iso8601_timestamp(eventtime) >= current_timestamp - INTERVAL '24' HOUR
GROUP BY useridentity.arn, eventname
ORDER BY calls DESC, principal, eventname
""",
    lookback_days=1,
)

#: (b) Who terminated or deleted a given environment or application (replace ``'my-environment'`` with
#: the environment name or ID, or the application name), in the last 90 days (widen the date filter to
#: look further back, within the archive's queryable window: Athena skips files in GLACIER and DEEP_ARCHIVE).
WHO_TERMINATED_OR_DELETED = SavedQuery(
    name="beanstalk-who-terminated-or-deleted",
    description=(
        "Who terminated or deleted a given Elastic Beanstalk environment or application in the last 90 days (edit "
        "the name). Athena skips log files in GLACIER or DEEP_ARCHIVE: look further back only within the queryable "
        "window that make synth prints"
    ),
    sql="""\
SELECT
  eventtime,
  eventname,
  useridentity.arn AS principal,
  sourceipaddress,
  useragent,
  awsregion,
  recipientaccountid,
  json_extract_scalar(requestparameters, '$.environmentName') AS environment_name,
  json_extract_scalar(requestparameters, '$.environmentId') AS environment_id,
  json_extract_scalar(requestparameters, '$.applicationName') AS application_name,
  errorcode,
  eventid
FROM {table}
WHERE eventsource = 'elasticbeanstalk.amazonaws.com'
  AND day >= date_format(current_timestamp - INTERVAL '90' DAY, '%Y/%m/%d')
  AND eventname IN (
    'TerminateEnvironment',
    'DeleteApplication',
    'DeleteApplicationVersion',
    'DeleteEnvironmentConfiguration',
    'DeleteConfigurationTemplate'
  )
  AND 'my-environment' IN (
    json_extract_scalar(requestparameters, '$.environmentName'),
    json_extract_scalar(requestparameters, '$.environmentId'),
    json_extract_scalar(requestparameters, '$.applicationName')
  )
ORDER BY eventtime DESC
""",
    placeholders=("'my-environment'",),
    lookback_days=90,
)

#: (c) Failed Elastic Beanstalk calls of the last 7 days (``errorcode`` is set only when the call failed:
#: access denied, throttling, validation errors), newest first.
FAILED_CALLS = SavedQuery(
    name="beanstalk-failed-calls",
    description="Elastic Beanstalk API calls that failed (errorCode set) in the last 7 days",
    sql="""\
SELECT
  eventtime,
  eventname,
  errorcode,
  errormessage,
  useridentity.arn AS principal,
  sourceipaddress,
  awsregion,
  recipientaccountid,
  eventid
FROM {table}
WHERE eventsource = 'elasticbeanstalk.amazonaws.com'
  AND day >= date_format(current_timestamp - INTERVAL '7' DAY, '%Y/%m/%d')
  AND errorcode IS NOT NULL
ORDER BY eventtime DESC
""",
    lookback_days=7,
)

#: (d) Elastic Beanstalk calls of the last 7 days from an IP address outside the expected networks
#: (replace the placeholder CIDR list). Matching is by network, with Trino's ``contains(cidr, ipaddress)``.
#: Calls made by AWS services carry a service name (``cloudformation.amazonaws.com``) or ``AWS Internal``
#: instead of an address; ``TRY_CAST`` leaves those out.
CALLS_FROM_UNEXPECTED_SOURCE_IPS = SavedQuery(
    name="beanstalk-calls-from-unexpected-ips",
    description="Elastic Beanstalk API calls from outside the expected networks in the last 7 days (edit the CIDRs)",
    sql="""\
SELECT
  eventtime,
  eventname,
  sourceipaddress,
  useridentity.arn AS principal,
  useragent,
  awsregion,
  recipientaccountid,
  errorcode,
  eventid
FROM {table}
WHERE eventsource = 'elasticbeanstalk.amazonaws.com'
  AND day >= date_format(current_timestamp - INTERVAL '7' DAY, '%Y/%m/%d')
  AND TRY_CAST(sourceipaddress AS IPADDRESS) IS NOT NULL
  AND NOT any_match(
    ARRAY['203.0.113.0/24', '198.51.100.0/24'],
    cidr -> contains(cidr, TRY_CAST(sourceipaddress AS IPADDRESS))
  )
ORDER BY eventtime DESC
""",
    placeholders=("'203.0.113.0/24'", "'198.51.100.0/24'"),
    lookback_days=7,
)

#: Every saved query, in the order the workgroup lists them.
ALL_QUERIES: tuple[SavedQuery, ...] = (
    CALLS_LAST_24_HOURS_BY_PRINCIPAL,
    WHO_TERMINATED_OR_DELETED,
    FAILED_CALLS,
    CALLS_FROM_UNEXPECTED_SOURCE_IPS,
)

#: The longest look-back of the saved queries: the archive's Athena window must be at least this long.
LONGEST_LOOKBACK_DAYS = max(query.lookback_days for query in ALL_QUERIES)
