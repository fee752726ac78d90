"""Raw DynamoDB counter items → validated `{key: int}` maps.

The counters are the only record of a day's traffic and are reset after they are read, so a
value that is silently turned into zero (or dropped) is lost for good. Every item is
therefore either accepted exactly or reported as a `Problem`; nothing is defaulted.

Accepted shapes, per attribute: the boto3 *client* form (`{"S": "Midtown Center"}`,
`{"N": "276"}`) and the *resource* / deserialized form (`"Midtown Center"`,
`Decimal("276")`, or an `int`).

What is reported (the item is left out, a `Problem` names table, key and reason):
  an item that is not a mapping; a missing or non-string key attribute; a missing count; a
  count that is not a number (a string attribute included), not an integer, or negative; a
  zone name outside `valid_zones`; an unknown `counter_type`; a key that occurs more than
  once (every occurrence is left out: no single value can be trusted).

What is fatal (`CounterDataError`, the table cannot be used at all):
  a non-empty table in which no item is usable (typically the wrong table was read), and a
  flag table without exactly one usable `dispatch` and one usable `pickup` item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

PICKUP_TABLE = "pickup-zone-dynamodb-s"
ZONE_DISPATCH_TABLE = "zone-count-dynamodb"
FLAG_TABLE = "flag-dynamodb-s"
DESTINATION_TABLE = "taxi-destination-dynamodb"

ZONE_KEY = "zone_id"
FLAG_KEY = "counter_type"
TAXI_KEY = "taxi_id"
COUNT = "count"
FLAG_TYPES = ("dispatch", "pickup")

_TYPE_TAGS = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


@dataclass(frozen=True)
class CounterTables:
    """The four DynamoDB table names; deployments override them by variable."""

    pickup: str = PICKUP_TABLE
    zone_dispatch: str = ZONE_DISPATCH_TABLE
    flag: str = FLAG_TABLE
    destination: str = DESTINATION_TABLE


DEFAULT_TABLES = CounterTables()


class CounterDataError(ValueError):
    """A counter table is unusable as a whole; computing stats from it would invent numbers."""


@dataclass(frozen=True)
class Problem:
    """One rejected item. `key` is None when the item has no readable key."""

    table: str
    key: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.table}[{self.key if self.key is not None else '?'}]: {self.reason}"


@dataclass(frozen=True)
class ParsedCounts:
    """The accepted `{key: count}` values of one table and the items that were rejected."""

    table: str
    values: dict[str, int]
    problems: tuple[Problem, ...]


def parse_zone_counts(
    items: Iterable[Any], *, table: str, valid_zones: Collection[str] | None = None
) -> ParsedCounts:
    """Items of `pickup-zone-dynamodb-s` or `zone-count-dynamodb` → `{zone name: count}`.

    `valid_zones` (TLC zone names) catches typos and renamed zones, which would otherwise
    become stats rows for zones no map or model knows; None skips that check.
    """

    def check_zone(zone: str) -> str | None:
        if valid_zones is not None and zone not in valid_zones:
            return "unknown zone name (not in the TLC zone table)"
        return None

    return _parse(items, table, ZONE_KEY, check_zone)


def parse_flag_counts(items: Iterable[Any], *, table: str = FLAG_TABLE) -> ParsedCounts:
    """Items of `flag-dynamodb-s` → `{"dispatch": n, "pickup": m}`, both always present.

    The totals feed the success rate directly, so a missing or doubtful total is fatal
    rather than zero.
    """

    def check_type(counter_type: str) -> str | None:
        if counter_type not in FLAG_TYPES:
            return f"unknown counter_type (expected one of {', '.join(FLAG_TYPES)})"
        return None

    parsed = _parse(items, table, FLAG_KEY, check_type)
    missing = [t for t in FLAG_TYPES if t not in parsed.values]
    if missing:
        details = "; ".join(str(p) for p in parsed.problems) or "no such item"
        raise CounterDataError(
            f"{table}: no usable {' or '.join(repr(t) for t in missing)} total ({details})"
        )
    return parsed


def _parse(
    items: Iterable[Any],
    table: str,
    key_attribute: str,
    check_key: Callable[[str], str | None],
) -> ParsedCounts:
    accepted: list[tuple[str, int]] = []
    problems: list[Problem] = []
    n_items = 0
    for item in items:
        n_items += 1
        key = None
        try:
            if not isinstance(item, Mapping):
                raise ValueError(f"item is a {type(item).__name__}, not a mapping")
            key = _key(item, key_attribute)
            reason = check_key(key)
            if reason:
                raise ValueError(reason)
            accepted.append((key, _count(item)))
        except ValueError as exc:
            problems.append(Problem(table, key, str(exc)))

    occurrences = Counter(key for key, _ in accepted)
    for key, n in sorted(occurrences.items()):
        if n > 1:
            problems.append(Problem(table, key, f"key occurs in {n} items; all left out"))
    values = {key: count for key, count in accepted if occurrences[key] == 1}
    if n_items and not values:
        raise CounterDataError(
            f"{table}: none of its {n_items} items is usable "
            f"(first problem: {problems[0]}); is this the right table?"
        )
    return ParsedCounts(table, values, tuple(problems))


def _unwrap(value: Any) -> tuple[str | None, Any]:
    """(type tag, payload) of a client-style attribute value; (None, value) otherwise."""
    if isinstance(value, Mapping) and len(value) == 1:
        (tag, payload), *_ = value.items()
        if tag in _TYPE_TAGS:
            return tag, payload
    return None, value


def _key(item: Mapping[str, Any], attribute: str) -> str:
    if attribute not in item:
        present = ", ".join(sorted(map(str, item))) or "nothing"
        raise ValueError(f"missing key attribute {attribute!r} (item has: {present})")
    tag, value = _unwrap(item[attribute])
    if tag not in (None, "S") or not isinstance(value, str) or not value:
        raise ValueError(f"key attribute {attribute!r} is not a non-empty string: {value!r}")
    return value


def _count(item: Mapping[str, Any]) -> int:
    if COUNT not in item:
        raise ValueError(f"missing {COUNT!r}")
    tag, value = _unwrap(item[COUNT])
    if tag == "N" and isinstance(value, str):
        number = _decimal(value)
    elif tag is None and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = _decimal(str(value))
    else:
        raise ValueError(f"{COUNT!r} is not a number: {item[COUNT]!r}")
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{COUNT!r} is not an integer: {value}")
    if number < 0:
        raise ValueError(f"{COUNT!r} is negative: {value} (subtracted more than was counted?)")
    return int(number)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{COUNT!r} is not a number: {text!r}") from None
