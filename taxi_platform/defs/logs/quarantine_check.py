"""`api_logs` check `nothing_quarantined`: fails loudly when an hour set anything aside.

Why a check of its own: quarantining a bad batch or record keeps the rest of the hour
published, which is right, but must not be quiet. The no-loss check passes on a quarantined
record (it is accounted for); this one fails, names the hours and counts by reason, so a
person looks at `quarantine/api_logs/YYYY/MM/DD/HH/`. Not blocking: Silver and Gold are built
from what was published. Kept apart from `checks.py` because it reads only quarantine.
"""

from collections import Counter

import dagster as dg

from taxi_platform.defs.logs.checks import API_LOGS, _checked_hours
from taxi_platform.defs.logs.layout import quarantine_prefix
from taxi_platform.defs.logs.partitions import hour_partition_key
from taxi_platform.defs.logs.store import read_quarantine
from taxi_platform.resources.lake import LakeResource

QUARANTINE_CHECK = "nothing_quarantined"


def quarantine_counts(documents: dict) -> Counter:
    """Batches and records set aside in one hour's quarantine documents, by error."""
    counts: Counter = Counter()
    for document in documents.values():
        if document.get("batch_error"):
            counts[f"batch {document['batch_error'].get('error', '?')}"] += 1
        counts.update(r.get("error", "?") for r in document.get("records", []))
    return counts


@dg.asset_check(
    asset=API_LOGS,
    name=QUARANTINE_CHECK,
    description="No batch or record of the checked hours was quarantined; the failure counts "
    "them by reason and names the hours (quarantine/api_logs/YYYY/MM/DD/HH/).",
)
def api_logs_nothing_quarantined(
    context: dg.AssetCheckExecutionContext, lake: LakeResource
) -> dg.AssetCheckResult:
    hours = _checked_hours(context)
    if not hours:
        return dg.AssetCheckResult(passed=False, description="api_logs was never materialized")
    total: Counter = Counter()
    failing: dict[str, dict[str, int]] = {}
    first = None
    for hour in hours:
        counts = quarantine_counts(read_quarantine(lake, hour))
        if counts:
            failing[hour_partition_key(hour)] = dict(sorted(counts.items()))
            total.update(counts)
            first = first or quarantine_prefix(hour)
    return dg.AssetCheckResult(
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{sum(total.values())} quarantined in {len(failing)} of {len(hours)} hours "
            f"({dict(sorted(total.items()))}); first in {first}"
            if failing
            else None
        ),
        metadata={
            "hours_checked": len(hours),
            "quarantined_by_reason": dict(sorted(total.items())),
            "failing_hours": failing,
        },
    )
