"""What every stage after bronze can store (`codec` module docstring, "Storable records only").

Apart from `codec` so that `usual_batch`, which `codec` uses, can hold the same bounds.
"""

MAX_BIGINT = 2**63 - 1
MAX_TEXT_CHARS = 65_536  # one string: far above any URL, title or query the API serves
MAX_RECORD_CHARS = 1_048_576  # all strings of one record together
MAX_DEPTH = 32  # nesting inside one extra field
MAX_EXTRA_VALUES = 10_000  # values (containers included) across a record's extra fields
