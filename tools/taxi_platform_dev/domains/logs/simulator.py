"""The log API the old log ETL read, simulated: TripClick-like click events, Fernet-encrypted,
over HTTP.

Why: the local stack and the tests need a source that behaves like the real log server (new
records every 3 minutes, encrypted `data`) but is deterministic, can run faster than real
time, can be asked for any window, and can break in known ways, and that can say exactly what
it served, so tests compare the pipeline's output with the source's own list.

Model
    Window k covers [start + k·window, start + (k+1)·window), window = 3 minutes, and holds
    new records whose `inDate` lies inside it: `records_per_window` of them (default 100, the
    old API's batch) when `rhythm` is None; with a `DailyRhythm` (the CLI's and the demo's
    default: `rhythm.CLICK_RHYTHM` on the business time zone's clock) that is the mean over a
    week, each window drawing about `records_per_window × rhythm.factor(window middle)`
    (at least 1). Records are a pure function of (seed, k):
    `LogApiSimulator.window_records(k)`. Each user has a home offset (mostly +09:00, some
    +00:00, -05:00, +05:30) and `inDate` is written in it, in the codec's canonical form.
    A session holds up to 6 events, a search first, then document views and sometimes
    another search, and never leaves its window. `document_id` is a JSON integer (Silver
    types ids as integers); three documents in four have a clinical area.

Clock
    Simulated now = start + wall seconds since the simulator was created × speed (480: a day
    in 3 minutes). `GET /logs` serves the latest window that ended by simulated now.

HTTP (ThreadingHTTPServer, 127.0.0.1, port 0 = a free port)
    GET /health                 {"status": "ok", "simulated_now": ISO, "latest_window": k | null}
    GET /logs                   the latest completed window; 503 + Retry-After before the first
    GET /logs?window=<k>        window k >= 0, whatever the clock says (tests, catching up)
    GET /logs?at=<ISO+offset>   the window containing that instant
    200 body: {"recordId": str (one per window), "ArrivalTimeStamp": window end (ISO, UTC),
    "data": Fernet token (str) of the JSON array of the window's records}; headers
    X-Log-Window (k) and X-Log-Latest-Window (latest completed, -1 if none) let a poller that
    fell behind fetch the windows it missed. Requests are logged through `logging`; the key
    is never logged, printed or sent.

Faults (`FaultPlan`, for tests)
    bad_token       `data` is encrypted under a throwaway key: no Fernet token for the real key
    malformed_json  a valid token whose payload is the JSON text cut in half
    missing_field   one record lacks one required field
    duplicate       one extra exact copy of a record of this window or of the previous one
    `Window.faults` and `Window.faulty_records` say where; `served_windows` what was served.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.fernet import Fernet

from taxi_platform_dev.domains.rhythm import CLICK_RHYTHM, DailyRhythm

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=3)
FAULT_KINDS = ("bad_token", "malformed_json", "missing_field", "duplicate")
KEY_VARIABLE = "TAXI_LOG_FERNET_KEY"
KEY_HINT = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)

CLINICAL_AREAS: dict[str, tuple[str, ...]] = {
    "Allergy and Immunology": ("food allergy", "allergic rhinitis", "urticaria", "anaphylaxis"),
    "Anaesthesiology": ("regional anaesthesia", "postoperative nausea", "procedural sedation"),
    "Cardiology": ("atrial fibrillation", "heart failure", "hypertension", "myocardial infarction"),
    "Critical Care": ("mechanical ventilation", "septic shock", "ARDS", "fluid resuscitation"),
    "Dentistry": ("dental caries", "periodontitis", "fluoride varnish", "tooth extraction"),
    "Dermatology": ("psoriasis", "atopic eczema", "acne", "melanoma"),
    "Emergency Medicine": ("cardiac arrest", "head injury", "chest pain", "burns"),
    "Endocrinology": ("type 2 diabetes", "hypothyroidism", "obesity", "insulin therapy"),
    "Gastroenterology": ("Crohn's disease", "ulcerative colitis", "GORD", "coeliac disease"),
    "Geriatrics": ("dementia", "falls prevention", "delirium", "polypharmacy"),
    "Haematology": ("iron deficiency anaemia", "sickle cell disease", "deep vein thrombosis"),
    "Infectious Disease": ("sepsis", "urinary tract infection", "HIV", "tuberculosis"),
    "Nephrology": ("chronic kidney disease", "dialysis", "acute kidney injury"),
    "Neurology": ("stroke", "epilepsy", "migraine", "multiple sclerosis"),
    "Nutrition and Dietetics": ("malnutrition", "vitamin D", "enteral feeding"),
    "Obstetrics and Gynaecology": ("pre-eclampsia", "gestational diabetes", "endometriosis"),
    "Oncology": ("breast cancer", "lung cancer", "immunotherapy", "chemotherapy"),
    "Ophthalmology": ("glaucoma", "macular degeneration", "cataract", "diabetic retinopathy"),
    "Orthopaedics": ("hip fracture", "low back pain", "osteoporosis", "rotator cuff tear"),
    "Otolaryngology": ("tonsillitis", "sinusitis", "hearing loss", "tinnitus"),
    "Paediatrics": ("bronchiolitis", "otitis media", "neonatal jaundice", "febrile seizures"),
    "Palliative Care": ("end of life care", "cancer pain", "breathlessness"),
    "Primary Care": ("smoking cessation", "antibiotic prescribing", "cardiovascular risk"),
    "Psychiatry": ("depression", "schizophrenia", "generalised anxiety disorder", "ADHD"),
    "Public Health": ("vaccination", "cancer screening", "alcohol misuse", "air pollution"),
    "Pulmonology": ("asthma", "COPD", "pulmonary embolism", "obstructive sleep apnoea"),
    "Radiology": ("CT angiography", "MRI safety", "contrast nephropathy"),
    "Rheumatology": ("rheumatoid arthritis", "gout", "Sjögren's syndrome", "lupus"),
    "Sports Medicine": ("concussion", "anterior cruciate ligament injury", "tendinopathy"),
    "Urology": ("benign prostatic hyperplasia", "urinary incontinence", "kidney stones"),
}
QUERY_QUALIFIERS = ("treatment", "guidelines", "diagnosis", "children", "elderly", "prognosis")
TITLE_TEMPLATES = (
    "{Term}: a systematic review",
    "Management of {term} in adults",
    "{Term} in primary care: guideline",
    "Diagnosis and treatment of {term}",
    "Interventions for {term}: Cochrane review",
    "Long-term outcomes of {term}: a cohort study",
    "Screening for {term}: recommendation statement",
    "{Term} in children: a randomised controlled trial",
)
HOME_OFFSETS = (  # (offset, weight): the seeds' users are mostly in Korea
    (timezone(timedelta(hours=9)), 70),
    (timezone(timedelta(0)), 12),
    (timezone(timedelta(hours=-5)), 10),
    (timezone(timedelta(hours=5, minutes=30)), 8),
)
AREAS = tuple(CLINICAL_AREAS)
USERS = 1000
COOKIE_DAYS = 14  # a returning user's session is kept at most this many days
RETURNING_SHARE = 0.15  # the CLI's and the demo's share of visits that resume a kept session
DOCUMENTS = 3000
_COMMON_FIELDS = ("user_id", "session_id", "method", "url", "inDate")


@dataclass(frozen=True)
class FaultPlan:
    """Which windows are served broken: `at` pins kinds to windows (tests); `rate` breaks a
    seeded share of all windows with one of `kinds` each."""

    at: Mapping[int, frozenset[str]] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    rate: float = 0.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds).union(*self.at.values()) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        if self.rate and not self.kinds:
            raise ValueError("a fault rate needs fault kinds")


@dataclass(frozen=True)
class SimulatorConfig:
    start: datetime  # start of window 0, timezone-aware
    seed: int = 0
    speed: float = 1.0
    records_per_window: int = 100
    window: timedelta = WINDOW
    faults: FaultPlan = field(default_factory=FaultPlan)
    rhythm: DailyRhythm | None = None  # None: exactly `records_per_window` in every window
    returning_share: float = 0.0  # share of visits resuming the user's kept session

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        if self.speed <= 0 or self.records_per_window < 1 or self.window <= timedelta(0):
            raise ValueError("speed, records_per_window and window must be positive")
        if not 0.0 <= self.returning_share <= 1.0:
            raise ValueError(f"returning_share must be within [0, 1], got {self.returning_share}")


@dataclass(frozen=True)
class Window:
    """What window `index` serves: its records as they appear in the payload (after
    record-level faults) and which faults it carries."""

    index: int
    start: datetime
    end: datetime
    records: list[dict[str, Any]]
    faults: frozenset[str]
    faulty_records: dict[int, str]  # position in `records` -> "missing_field" | "duplicate"

    @property
    def payload(self) -> bytes:
        """The plaintext inside the token."""
        text = json.dumps(self.records, ensure_ascii=False).encode("utf-8")
        return text[: len(text) // 2] if "malformed_json" in self.faults else text


@dataclass(frozen=True)
class _Document:
    document_id: int
    title: str
    clinical_area: str | None


class LogApiSimulator:
    """The source's state: configuration, clock, catalogue, and the windows served so far."""

    def __init__(self, config: SimulatorConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._clock = clock
        self._created = clock()
        self._served: set[int] = set()
        self._lock = threading.Lock()
        rng = random.Random(f"{config.seed}:catalogue")
        offsets, weights = zip(*HOME_OFFSETS, strict=True)
        self._users = [
            (hashlib.sha256(f"{config.seed}:user:{i}".encode()).hexdigest(), offset)
            for i, offset in enumerate(rng.choices(offsets, weights, k=USERS))
        ]
        self._documents = [
            self._document(rng, document_id)
            for document_id in rng.sample(range(100_000, 10_000_000), DOCUMENTS)
        ]
        self._documents_by_area: dict[str, list[_Document]] = {}
        for document in self._documents:
            if document.clinical_area is not None:
                self._documents_by_area.setdefault(document.clinical_area, []).append(document)

    # --- time ---------------------------------------------------------------------------------

    def simulated_now(self) -> datetime:
        elapsed = (self._clock() - self._created) * self.config.speed
        return self.config.start + timedelta(seconds=elapsed)

    def latest_completed_window(self) -> int | None:
        completed = (self.simulated_now() - self.config.start) // self.config.window
        return completed - 1 if completed >= 1 else None

    def window_at(self, instant: datetime) -> int:
        if instant.utcoffset() is None:
            raise ValueError("the instant needs a UTC offset")
        if instant < self.config.start:
            raise ValueError(f"{instant.isoformat()} is before window 0")
        return (instant - self.config.start) // self.config.window

    def window_start(self, index: int) -> datetime:
        return self.config.start + index * self.config.window

    # --- content (pure) ----------------------------------------------------------------------

    def window(self, index: int) -> Window:
        if index < 0:
            raise ValueError("window index must be >= 0")
        records = self._clean_records(index)
        faults = self._faults(index)
        rng = random.Random(f"{self.config.seed}:fault-details:{index}")
        faulty: dict[int, str] = {}
        original = None
        if "duplicate" in faults:
            across = index > 0 and rng.random() < 0.5
            original = rng.choice(self._clean_records(index - 1) if across else records)
            position = rng.randrange(len(records) + 1)
            records.insert(position, dict(original))
            faulty[position] = "duplicate"
        if "missing_field" in faults:
            position = rng.choice(
                [i for i, r in enumerate(records) if i not in faulty and r is not original]
            )
            record = records[position]
            kind_field = "clinical_area" if "query" in record else "title"
            del record[rng.choice([*_COMMON_FIELDS, kind_field])]
            faulty[position] = "missing_field"
        return Window(
            index=index,
            start=self.window_start(index),
            end=self.window_start(index + 1),
            records=records,
            faults=faults,
            faulty_records=dict(sorted(faulty.items())),
        )

    def window_size(self, index: int) -> int:
        """How many new records window `index` holds before faults (duplicates add one)."""
        mean, rhythm = self.config.records_per_window, self.config.rhythm
        if rhythm is None:
            return mean
        expected = mean * rhythm.factor(self.window_start(index) + self.config.window / 2)
        rng = random.Random(f"{self.config.seed}:volume:{index}")
        return max(1, round(rng.gauss(expected, math.sqrt(expected))))

    def window_records(self, index: int) -> list[dict[str, Any]]:
        """The records window `index` serves (faults included), in payload order."""
        return self.window(index).records

    # --- serving -----------------------------------------------------------------------------

    def response(self, index: int, fernet: Fernet) -> dict[str, str]:
        """The API response for window `index`; Fernet tokens differ per call (random IV)."""
        window = self.window(index)
        cipher = Fernet(Fernet.generate_key()) if "bad_token" in window.faults else fernet
        with self._lock:
            self._served.add(index)
        record_id = hashlib.sha256(f"{self.config.seed}:window:{index}".encode()).digest()[:16]
        return {
            "recordId": str(uuid.UUID(bytes=record_id)),
            "ArrivalTimeStamp": window.end.astimezone(UTC).isoformat(),
            "data": cipher.encrypt(window.payload).decode("ascii"),
        }

    @property
    def served_windows(self) -> list[int]:
        """Indices of the windows served at least once, ascending."""
        with self._lock:
            return sorted(self._served)

    # --- generation --------------------------------------------------------------------------

    @staticmethod
    def _document(rng: random.Random, document_id: int) -> _Document:
        area = rng.choice(AREAS)
        term = rng.choice(CLINICAL_AREAS[area])
        title = rng.choice(TITLE_TEMPLATES).format(term=term, Term=term[0].upper() + term[1:])
        return _Document(document_id, title, area if rng.random() < 0.75 else None)

    def _faults(self, index: int) -> frozenset[str]:
        plan = self.config.faults
        kinds = set(plan.at.get(index, ()))
        rng = random.Random(f"{self.config.seed}:faults:{index}")
        if plan.rate and rng.random() < plan.rate:
            kinds.add(rng.choice(sorted(plan.kinds)))
        return frozenset(kinds)

    def _clean_records(self, index: int) -> list[dict[str, Any]]:
        rng = random.Random(f"{self.config.seed}:records:{index}")
        start = self.window_start(index)
        span = self.config.window // timedelta(microseconds=1)
        size = self.window_size(index)
        timed: list[tuple[int, dict[str, Any]]] = []
        while len(timed) < size:
            timed.extend(self._session(rng, start, span))
        del timed[size:]
        timed.sort(key=lambda item: item[0])
        return [record for _, record in timed]

    def _session(
        self, rng: random.Random, start: datetime, span: int
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(microseconds into the window, record) for one visit, which stays in its window."""
        user_id, offset = rng.choice(self._users)
        session_id = f"{rng.getrandbits(96):024x}"
        if self.config.returning_share and rng.random() < self.config.returning_share:
            session_id = self._kept_session(user_id, start)
        area = rng.choice(AREAS)
        at = rng.randrange(span)
        for step in range(rng.randint(2, 6)):
            in_date = (start + timedelta(microseconds=at)).astimezone(offset)
            event = (
                self._search(rng, area)
                if step == 0 or rng.random() < 0.2
                else self._view(rng, area)
            )
            yield (
                at,
                {
                    "user_id": user_id,
                    "session_id": session_id,
                    **event,
                    "inDate": in_date.isoformat(timespec="microseconds"),
                },
            )
            at += rng.randrange(2_000_000, 45_000_000)
            if at >= span:
                return

    def _kept_session(self, user_id: str, at: datetime) -> str:
        """The session a returning user resumes on `at`'s UTC day: each user's session cookie
        lives 1 to `COOKIE_DAYS` days (fixed per user, phase too), then a new one starts, so
        a session first seen on day D comes back on later days less and less often."""
        digest = hashlib.sha256(f"{self.config.seed}:cookie:{user_id}".encode()).digest()
        lifetime = 1 + digest[0] % COOKIE_DAYS
        cookie = (at.astimezone(UTC).toordinal() + digest[1]) // lifetime
        return hashlib.sha256(f"{self.config.seed}:{user_id}:{cookie}".encode()).hexdigest()[:24]

    @staticmethod
    def _search(rng: random.Random, area: str) -> dict[str, Any]:
        query = rng.choice(CLINICAL_AREAS[area])
        if rng.random() < 0.5:
            query += " " + rng.choice(QUERY_QUALIFIERS)
        return {
            "method": "POST" if rng.random() < 0.2 else "GET",  # the advanced-search form posts
            "url": "/search?" + urlencode({"q": query, "area": area}),
            "query": query,
            "clinical_area": area,
        }

    def _view(self, rng: random.Random, area: str) -> dict[str, Any]:
        in_area = self._documents_by_area.get(area)
        document = rng.choice(in_area if in_area and rng.random() < 0.8 else self._documents)
        event: dict[str, Any] = {
            "method": "GET",
            "url": f"/doc/{document.document_id}",
            "document_id": document.document_id,
            "title": document.title,
        }
        if document.clinical_area is not None:
            event["clinical_area"] = document.clinical_area
        return event


# --- HTTP ---------------------------------------------------------------------------------------


class LogApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, simulator: LogApiSimulator, fernet: Fernet, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.simulator = simulator
        self.fernet = fernet

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: LogApiServer
    server_version = "taxi-log-api-simulator"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        simulator = self.server.simulator
        latest = simulator.latest_completed_window()
        if url.path == "/health":
            now = simulator.simulated_now().isoformat()
            self._send(200, {"status": "ok", "simulated_now": now, "latest_window": latest})
        elif url.path == "/logs":
            self._logs(parse_qs(url.query), latest)
        else:
            self._send(404, {"error": "unknown path: use /logs or /health"})

    def _logs(self, query: dict[str, list[str]], latest: int | None) -> None:
        simulator = self.server.simulator
        try:
            index = _requested_window(simulator, query, latest)
        except ValueError as exc:
            self._send(400, {"error": str(exc)})
            return
        if index is None:
            wait = (simulator.window_start(1) - simulator.simulated_now()).total_seconds()
            retry = str(max(1, math.ceil(wait / simulator.config.speed)))
            self._send(503, {"error": "no window has completed yet"}, [("Retry-After", retry)])
            return
        headers = [
            ("X-Log-Window", str(index)),
            ("X-Log-Latest-Window", str(-1 if latest is None else latest)),
        ]
        self._send(200, simulator.response(index, self.server.fernet), headers)

    def _send(self, status: int, body: object, headers: Iterable[tuple[str, str]] = ()) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


def _requested_window(
    simulator: LogApiSimulator, query: dict[str, list[str]], latest: int | None
) -> int | None:
    if "window" in query and "at" in query:
        raise ValueError("give either window or at, not both")
    if "window" in query:
        value = query["window"][0]
        if not value.isdigit():
            raise ValueError("window must be an integer >= 0")
        return int(value)
    if "at" in query:
        try:
            instant = datetime.fromisoformat(query["at"][0])
        except ValueError:
            raise ValueError("at must be an ISO-8601 time with an offset") from None
        return simulator.window_at(instant)
    return latest


class RunningServer(NamedTuple):
    url: str
    stop: Callable[[], None]


def start_in_thread(
    simulator: LogApiSimulator, fernet: Fernet, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Serve in a daemon thread (tests, the local stack); `stop()` shuts down and joins."""
    server = LogApiServer(simulator, fernet, host, port)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="log-api", daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return RunningServer(server.url, stop)


# --- CLI ----------------------------------------------------------------------------------------


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register `log-api` (mounted by the main CLI as `taxi-platform simulate log-api`)."""
    parser = subparsers.add_parser(
        "log-api",
        help="the Fernet-encrypted click-log API of the old log ETL",
        description=f"Serve simulated click logs; the Fernet key is read from {KEY_VARIABLE}.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per second (480: a day in 3 min)",
    )
    parser.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="start of window 0, ISO-8601 with offset (default: now, floored to 3 minutes)",
    )
    parser.add_argument(
        "--records-per-window",
        type=int,
        default=100,
        help="records per window: the mean over a week, or every window's with --flat",
    )
    parser.add_argument(
        "--flat",
        action="store_true",
        help="the same number of records in every window, as the old API's batches, and no "
        "returning sessions (default: a week's rhythm on TAXI_TIMEZONE's clock)",
    )
    parser.add_argument(
        "--faults",
        type=lambda text: frozenset(filter(None, text.split(","))),
        default=frozenset(),
        help=f"comma-separated fault kinds to inject: {','.join(FAULT_KINDS)}",
    )
    parser.add_argument(
        "--fault-rate", type=float, help="share of windows broken with --faults (default 0.1)"
    )
    parser.set_defaults(func=run_log_api)


def run_log_api(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C or SIGTERM; configuration problems raise the CLI's ConfigError."""
    fernet = _fernet_from_environment()
    if args.fault_rate is not None and not args.faults:
        raise _config_error("--fault-rate needs --faults (e.g. --faults bad_token,duplicate)")
    try:
        rate = (0.1 if args.fault_rate is None else args.fault_rate) if args.faults else 0.0
        config = SimulatorConfig(
            start=args.start or _floor(datetime.now(UTC), WINDOW),
            seed=args.seed,
            speed=args.speed,
            records_per_window=args.records_per_window,
            faults=FaultPlan(kinds=args.faults, rate=rate),
            rhythm=None if args.flat else CLICK_RHYTHM.in_zone(_business_timezone()),
            returning_share=0.0 if args.flat else RETURNING_SHARE,
        )
    except ValueError as exc:
        raise _config_error(f"log-api: {exc}") from None
    try:
        server = LogApiServer(LogApiSimulator(config), fernet, args.host, args.port)
    except OSError as exc:
        message = f"log-api cannot listen on {args.host}:{args.port}: {exc.strerror}"
        raise _config_error(message) from None
    print(
        f"log API simulator on {server.url} (seed {config.seed}, speed {config.speed:g}, "
        f"window 0 starts {config.start.isoformat()}); Ctrl+C stops it",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("log API simulator stopped", flush=True)
    finally:
        server.server_close()
    return 0


def _fernet_from_environment() -> Fernet:
    key = os.environ.get(KEY_VARIABLE)
    if not key:
        raise _config_error(
            f"{KEY_VARIABLE} is not set: export a Fernet key, made with: {KEY_HINT}"
        )
    try:
        return Fernet(key)
    except ValueError:
        raise _config_error(
            f"{KEY_VARIABLE} is not a Fernet key (32 URL-safe base64 bytes); "
            f"make one with: {KEY_HINT}"
        ) from None


def _business_timezone() -> str:
    from taxi_platform.settings import timezone  # Dagster: only when the CLI runs

    return timezone()


def _config_error(message: str) -> Exception:
    # Imported on error only: the simulator stays usable without Dagster (tests, benchmark).
    from taxi_platform.settings import ConfigError

    return ConfigError(message)


def _floor(instant: datetime, step: timedelta) -> datetime:
    return instant - (instant - datetime.min.replace(tzinfo=UTC)) % step


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    from taxi_platform_dev.domains import simulator_main

    raise SystemExit(simulator_main(add_cli))
