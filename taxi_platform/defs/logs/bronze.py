"""From landed batches to bronze hours: decrypt, validate, compress, attribute, de-duplicate.

Pure: takes the landing objects' bytes and the Fernet, returns per hour what to write (the
unique compressed records, the quarantine documents) and the counts behind the no-loss
identity `landed = written + quarantined + duplicates`. Attribution is `layout`'s. Each
landing object is decrypted once per run however many hours the run covers, which is what
makes a day's backfill in one run cheap.

Quarantine document (one per landing object and hour, JSON, keys sorted):
    {"landing_key", "fetched_at", "hour",
     "batch_error": {"error", "reason"} | null,      # the whole batch: nothing decrypted
     "records": [{"error", "reason", "field", "index", "record"}, ...]}
`record` is the record as served (decrypted, not compressed); `index` its position in the
batch (null for a record set aside for its hour, from the future or too late, which is
found by value).

Late records (`layout.late`) are written to their own hour like any other; the fetch hour
that owns their landing object lists it in `late_index`, which `store` writes as the late
index of each of those hours.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet

from taxi_platform.defs.logs import usual_batch
from taxi_platform.defs.logs.codec import (
    BadToken,
    CodecError,
    InvalidRecord,
    Rejected,
    decompress_records,
    decrypt_and_compress,
    distinct_records,
    event_hour_utc,
    group_by_hour,
)
from taxi_platform.defs.logs.layout import (
    MAX_LATENESS,
    LandingName,
    attributed_hour,
    floor_hour,
    in_time,
    late,
    quarantine_key,
)


class MalformedResponse(CodecError):
    """A landing object that is not a log API response (a JSON object with a string `data`)."""


@dataclass(frozen=True)
class LandedBatch:
    landing: LandingName
    body: bytes


@dataclass
class HourOutput:
    """What one hour gets: bronze records, quarantine documents by key, and the counts."""

    hour: datetime
    records: list[dict[str, Any]] = field(default_factory=list)
    text: bytes = b""  # the bronze object's text of `records` (`codec.encode_hour_text`)
    quarantine: dict[str, dict[str, Any]] = field(default_factory=dict)
    landed: int = 0
    duplicates: int = 0
    late: int = 0  # records of this hour among `landed` that arrived after its read window
    # hour R -> landing objects owned by this (fetch) hour holding late records of R
    late_index: dict[datetime, set[LandingName]] = field(default_factory=dict)

    @property
    def quarantined_records(self) -> int:
        return sum(len(doc["records"]) for doc in self.quarantine.values())

    @property
    def quarantined_batches(self) -> int:
        return sum(doc["batch_error"] is not None for doc in self.quarantine.values())

    @property
    def quarantine_reasons(self) -> dict[str, int]:
        """How many batches and records were set aside, by error (BadToken, TooLate, …)."""
        errors = Counter(
            doc["batch_error"]["error"] for doc in self.quarantine.values() if doc["batch_error"]
        )
        errors.update(r["error"] for doc in self.quarantine.values() for r in doc["records"])
        return dict(sorted(errors.items()))

    def document_for(self, landing: LandingName) -> dict[str, Any]:
        """The quarantine document of `landing` in this hour, created empty on first use."""
        key = quarantine_key(self.hour, landing)
        if key not in self.quarantine:
            self.quarantine[key] = {
                "landing_key": landing.key,
                "fetched_at": landing.fetched_at.isoformat(),
                "hour": self.hour.isoformat(),
                "batch_error": None,
                "records": [],
            }
        return self.quarantine[key]


@dataclass
class RunOutput:
    hours: dict[datetime, HourOutput]
    batches_decrypted: int = 0
    bad_tokens: int = 0


def build_hours(
    batches: Iterable[LandedBatch], hours: Sequence[datetime], fernet: Fernet
) -> RunOutput:
    """Every hour of `hours`, from the landing objects of `layout.read_window(hours)`."""
    run = RunOutput({hour: HourOutput(hour) for hour in hours})
    candidates: dict[datetime, list[dict[str, Any]]] = {hour: [] for hour in hours}
    for batch in sorted(batches, key=lambda b: b.landing.key):
        _attribute(batch, fernet, run, candidates)
    for hour, records in candidates.items():
        output = run.hours[hour]
        output.records, output.text = distinct_records(records)  # type: ignore[assignment]
        output.duplicates = len(records) - len(output.records)
        output.landed += len(records)
    return run


def quarantine_bytes(document: dict[str, Any]) -> bytes:
    # backslashreplace: a lone surrogate of a quarantined record is written as its JSON escape
    # (it only occurs inside JSON strings), which reads back as the same string.
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1).encode(
        "utf-8", "backslashreplace"
    )


def _attribute(
    batch: LandedBatch,
    fernet: Fernet,
    run: RunOutput,
    candidates: dict[datetime, list[dict[str, Any]]],
) -> None:
    landing = batch.landing
    owner = run.hours.get(floor_hour(landing.fetched_at))
    try:
        compressed, rejected = decrypt_and_compress(response_token(batch.body), fernet)
    except CodecError as exc:
        run.bad_tokens += isinstance(exc, BadToken)
        if owner is not None:
            owner.document_for(landing)["batch_error"] = _error(exc)
        return
    run.batches_decrypted += 1
    for hour, records in group_by_hour(compressed).items():
        arrived_late = late(hour, landing.fetched_at)
        if in_time(hour, landing.fetched_at) or arrived_late:
            if hour in candidates:
                candidates[hour].extend(records)  # type: ignore[arg-type]
                run.hours[hour].late += len(records) if arrived_late else 0
            if arrived_late and owner is not None:
                owner.late_index.setdefault(hour, set()).add(landing)
        elif owner is not None:
            _set_aside(owner, landing, hour, records)
    for rejection in rejected:
        output = run.hours.get(attributed_hour(landing.fetched_at, _event_hour(rejection)))
        if output is not None:
            output.landed += 1
            output.document_for(landing)["records"].append(
                {
                    **_error(rejection.error),
                    "field": rejection.error.field,
                    "index": rejection.index,
                    "record": rejection.record,
                }
            )


def _set_aside(
    owner: HourOutput, landing: LandingName, hour: datetime, records: Sequence[Any]
) -> None:
    """Records whose hour cannot take them: from the future, or more than MAX_LATENESS late."""
    at = f"{hour:%Y-%m-%dT%H:00Z}"
    if hour > landing.fetched_at:
        error = "FromTheFuture"
        reason = (
            f"inDate hour {at} is after the fetch at {landing.fetched_at.isoformat()}: the "
            "source stamped a time it had not reached (its clock or the record is wrong)"
        )
    else:
        error = "TooLate"
        reason = (
            f"fetched at {landing.fetched_at.isoformat()}, {MAX_LATENESS.days} days or more "
            f"after inDate hour {at}: past the lateness the pipeline re-opens hours and days "
            "for; reprocess this record by hand"
        )
    raw, _ = decompress_records(records)
    owner.landed += len(raw)
    owner.document_for(landing)["records"].extend(
        {"error": error, "reason": reason, "field": "inDate", "index": None, "record": r}
        for r in raw
    )


def response_token(body: bytes) -> str:
    """The Fernet token (`data`) of a log API response as landed."""
    token = usual_batch.response_data(body)
    if token is not None:
        return token
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedResponse("landing object is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), str):
        raise MalformedResponse("landing object is not a JSON object with a string 'data'")
    return envelope["data"]


def _event_hour(rejection: Rejected) -> datetime | None:
    if not isinstance(rejection.record, dict):
        return None
    try:
        return event_hour_utc(rejection.record)
    except InvalidRecord:
        return None


def _error(exc: CodecError) -> dict[str, str]:
    return {"error": type(exc).__name__, "reason": str(exc)}
