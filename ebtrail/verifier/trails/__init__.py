"""``ebtrail-verify trails``: which trails record management events where, and whether a config would add a paid
copy of them (CloudTrail bills every copy after the first in an account and region)."""
