"""Loading and checking the packaged region tables: cities and the transport links between them.

The default region is Guangdong's 21 prefecture-level cities, shipped in :mod:`coopsim.data`:

- ``guangdong_cities.csv`` with ``guangdong_cities_SOURCES.md`` (2020 census population, 2020 GDP, coordinates, and the
  verification status of each figure);
- ``guangdong_links.csv`` with ``guangdong_links_SOURCES.md`` (road, rail and high-speed rail links, with opening dates so
  that the network can be taken as of any date).

Every loader is a pure function of the file it reads. A table that breaks a rule raises :class:`DataError` whose message
names the file, the row and the field, and says what was expected. Rows are numbered by their line in the file:
the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from coopsim.config import LAST_INPUT_YEAR, TRANSPORT_MODES, TREND_FIRST_YEAR

DATA_PACKAGE = "coopsim.data"
CITIES_FILE = "guangdong_cities.csv"
CITIES_SOURCES_FILE = "guangdong_cities_SOURCES.md"
LINKS_FILE = "guangdong_links.csv"

# Allowed values of the status columns (guangdong_cities_SOURCES.md, "Verification status columns").
CITY_STATUSES = frozenset({"verified", "secondary", "low_authority", "derived", "unverified"})
# Links may also be planned projects, which are never part of the network (guangdong_links_SOURCES.md, "Columns").
LINK_STATUSES = CITY_STATUSES | {"planned"}
PLANNED = "planned"

# Bounding box of Guangdong province in degrees (its mainland, Nan'ao island and the Leizhou peninsula lie inside):
# a coordinate outside it is a typo or a swapped lat/lon.
GUANGDONG_LAT_RANGE = (20.2, 25.6)
GUANGDONG_LON_RANGE = (109.6, 117.4)

# Sector shares are percentages rounded to 0.01 (guangdong_cities_SOURCES.md); their sum may miss 100 by rounding only.
SECTOR_SHARE_SUM_PCT = 100.0
SECTOR_SHARE_SUM_TOLERANCE_PCT = 0.1

# Where a link row gives speed_kmh, minutes must equal km / speed_kmh * 60 up to the rounding of the file (0.1 min, 0.1 km).
MINUTES_CONSISTENCY_TOLERANCE = 0.5
MINUTES_PER_HOUR = 60.0

# Assumptions from which the derived rows of guangdong_links.csv were computed (guangdong_links_SOURCES.md, "Assumptions";
# none of them is sourced). Kept here so that a rule adding a link can derive it the same way.
EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
ROAD_CIRCUITY_FACTOR = 1.3  # road km / straight-line km (assumption)
ROAD_SPEED_KMH = 80.0  # city-centre to city-centre average road speed (assumption)
RAIL_CIRCUITY_FACTOR = 1.2  # rail route km / straight-line km (assumption)
HSR_EFFECTIVE_SPEED_KMH = {350: 200.0, 250: 160.0, 200: 120.0}  # line design speed -> average speed incl. stops (assumption)

PROVINCIAL_TOTALS_KEY = "provincial_totals:"
TABLE_ENCODING = "utf-8-sig"  # UTF-8, with or without a byte-order mark
YUAN_PER_100M = 1e8
PEOPLE_PER_10K = 1e4
# Plausible GDP per resident of a Chinese prefecture-level city, yuan (assumption: 2020 values run from about 15,000 to
# about 200,000; the bounds are wide, to catch unit slips such as GDP in 万元 instead of 亿元, not to judge data).
GDP_PER_CAPITA_RANGE_YUAN = (5_000.0, 500_000.0)

CITY_COLUMNS = {
    # csv column -> CityRecord field
    "city_en": "name",
    "city_zh": "name_zh",
    "region": "group",
    "population_10k_2020": "population_10k",
    "gdp_100m_yuan_2020": "gdp_100m_yuan",
    "primary_pct": "primary_pct",
    "secondary_pct": "secondary_pct",
    "tertiary_pct": "tertiary_pct",
    "lat": "lat",
    "lon": "lon",
    "population_status": "population_status",
    "gdp_status": "gdp_status",
    "tertiary_per_100k_2020": "tertiary_per_100k",
    "tertiary_status": "tertiary_status",
    "wage_monthly_yuan_2020": "wage_monthly_yuan",
    "wage_status": "wage_status",
    "population_2010_census": "population_2010",
    "population_2010_status": "population_2010_status",
    "source": "source",
}
PER_100K = 100_000.0
MONTHS_PER_YEAR = 12.0
# Plausible average monthly wage in a Guangdong city in 2020, yuan (assumption: the bounds catch a slip between yuan a
# month, yuan a year and 万元, not judge data; the province's 2020 average was about 9,200 a month).
MONTHLY_WAGE_RANGE_YUAN = (1_000.0, 50_000.0)
REGIONAL_WAGES_KEY = "regional_wages_employed_yuan:"
# Residents in 2020 over residents in 2010 (assumption: Guangdong's cities ran from about 0.9 to 1.7; the bounds catch a
# figure in 10k persons where persons are expected, or a wrong row, not judge data).
DECADE_GROWTH_RANGE = (0.5, 3.0)
CENSUS_INTERVAL_YEARS = 10  # the 6th and 7th censuses count residents on 2010-11-01 and 2020-11-01
SECTOR_COLUMNS = ("primary_pct", "secondary_pct", "tertiary_pct")
LINK_COLUMNS = ("a", "b", "mode", "minutes", "km", "speed_kmh", "opened", "status", "source")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DataError(ValueError):
    """A packaged or user-supplied region table breaks a rule; the message names file, row and field."""


@dataclass(frozen=True)
class CityRecord:
    """One row of ``guangdong_cities.csv`` (units and sources in ``guangdong_cities_SOURCES.md``)."""

    name: str
    name_zh: str
    group: str
    population_10k: float
    gdp_100m_yuan: float
    primary_pct: float | None
    secondary_pct: float | None
    tertiary_pct: float | None
    lat: float
    lon: float
    population_status: str
    gdp_status: str
    tertiary_per_100k: float | None  # 7th census: residents with university-level education per 100,000; None if not found
    tertiary_status: str | None
    wage_monthly_yuan: float | None  # average monthly wage, on-post employees of urban non-private units; None if not found
    wage_status: str | None
    population_2010: float | None  # residents at the 6th census (2010-11-01), persons, 7th-census basis; None if not found
    population_2010_status: str | None
    source: str


@dataclass(frozen=True)
class LinkRecord:
    """One row of ``guangdong_links.csv`` (columns and assumptions in ``guangdong_links_SOURCES.md``)."""

    a: str
    b: str
    mode: str
    minutes: float
    km: float
    speed_kmh: float | None
    opened: date | None
    status: str
    source: str

    @property
    def pair(self) -> frozenset[str]:
        """The unordered pair of cities the link joins."""
        return frozenset((self.a, self.b))


# --------------------------------------------------------------------------------------------------------------------
# reading


@contextmanager
def open_table(path: str | Path | None, default_name: str) -> Iterator[tuple[str, IO[str]]]:
    """Open ``path`` or, when it is None, the packaged file ``default_name``; yield (file name for messages, text stream)."""
    if path is None:
        resource = resources.files(DATA_PACKAGE).joinpath(default_name)
        with resource.open("r", encoding="utf-8", newline="") as stream:
            yield default_name, stream
    else:
        path = Path(path)
        raw = path.read_bytes()
        try:
            text = raw.decode(TABLE_ENCODING)  # utf-8-sig: a byte-order mark (as spreadsheets write) is dropped
        except UnicodeDecodeError as error:
            raise DataError(
                f"{path.name}: not UTF-8 text (byte {error.start}: {raw[error.start : error.start + 2]!r}); save it as UTF-8 "
                "(a GBK/GB18030 table from a Chinese spreadsheet must be converted, e.g. 'Save as CSV UTF-8')"
            ) from None
        yield path.name, io.StringIO(text, newline="")


class _Row:
    """A data row with the file name and line number, so every check can say where it failed."""

    def __init__(self, file: str, line: int, values: dict[str, str]):
        self.file, self.line, self.values = file, line, values

    def error(self, field: str, expected: str, got: str) -> DataError:
        return DataError(f"{self.file}: row {self.line}: field {field!r}: expected {expected}, got {got!r}")

    def text(self, field: str, allow_empty: bool = False) -> str:
        value = self.values[field].strip()
        if not value and not allow_empty:
            raise self.error(field, "a non-empty value", value)
        return value

    def number(self, field: str, minimum: float = 0.0, strict: bool = False, allow_empty: bool = False) -> float | None:
        raw = self.values[field].strip()
        bound = f"{'>' if strict else '>='} {minimum:g}"
        if not raw:
            if allow_empty:
                return None
            raise self.error(field, f"a number {bound}", raw)
        try:
            value = float(raw)
        except ValueError:
            raise self.error(field, f"a number {bound}", raw) from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise self.error(field, f"a number {bound}", raw)
        return value

    def choice(self, field: str, allowed: Iterable[str]) -> str:
        value = self.values[field].strip()
        allowed = sorted(allowed)
        if value not in allowed:
            raise self.error(field, f"one of {allowed}", value)
        return value

    def in_range(self, field: str, bounds: tuple[float, float], what: str) -> float:
        raw = self.values[field].strip()
        lo, hi = bounds
        expected = f"a number in [{lo:g}, {hi:g}] ({what})"
        try:
            value = float(raw)
        except ValueError:
            raise self.error(field, expected, raw) from None
        if not lo <= value <= hi:
            raise self.error(field, expected, raw)
        return value


def read_rows(file: str, stream: IO[str], required: Iterable[str]) -> list[_Row]:
    """Parse a CSV stream, check the header has every required column, and return its data rows with line numbers."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames
    if not header:
        raise DataError(f"{file}: row 1: expected a header row, got an empty file")
    missing = [column for column in required if column not in header]
    if missing:
        raise DataError(f"{file}: row 1 (header): missing column {missing[0]!r}; expected columns {list(required)}, got {header}")
    rows = []
    for values in reader:
        line = reader.line_num
        if None in values:
            raise DataError(f"{file}: row {line}: expected {len(header)} fields as in the header, got more")
        short = [column for column, value in values.items() if value is None]
        if short:
            raise DataError(f"{file}: row {line}: field {short[0]!r}: expected {len(header)} fields as in the header, got fewer")
        rows.append(_Row(file, line, values))
    return rows


# --------------------------------------------------------------------------------------------------------------------
# cities


PROVINCE = "Guangdong"  # the row name of the province's own figures in the long tables
FIGURE_PRECISIONS = ("exact", "rounded")
FIGURE_COLUMNS = ("city_en", "year", "quantity", "value", "precision", "status", "source")
PRE2021_FILE = "guangdong_pre2021.csv"  # city figures up to 2020 (model inputs): minimum wages, growth, GDP
PRE2021_QUANTITIES = ("min_wage_monthly_yuan", "real_gdp_growth_pct", "gdp_100m_yuan", "disposable_income_yuan")
PRE2021_YEARS = tuple(range(TREND_FIRST_YEAR, LAST_INPUT_YEAR + 1))  # inputs are figures up to 2020 only


def load_city_figures(
    path: str | Path | None, default_name: str, years: Iterable[int], quantities: list[str], cities: list[str] | None = None
) -> pd.DataFrame:
    """A long table of city figures: ``city, year, quantity, value, precision, status, source`` (one row per figure).

    Checks each row (raising :class:`DataError` naming file, row and field): a known city or the province, a year of
    ``years``, a quantity of ``quantities``, a value > 0, a precision and a status from the lists,
    a source key, and no (city, year, quantity) twice. Growth rates (quantities ending ``_pct``) must exceed -100.
    """
    known = set(cities if cities is not None else (r.name for r in load_cities())) | {PROVINCE}
    with open_table(path, default_name) as (file, stream):
        rows = read_rows(file, stream, FIGURE_COLUMNS)
    records, seen = [], {}
    for row in rows:
        city = row.choice("city_en", sorted(known))
        year = int(row.choice("year", [str(y) for y in years]))
        quantity = row.choice("quantity", list(quantities))
        key = (city, year, quantity)
        if key in seen:
            raise row.error("city_en", f"one row per city, year and quantity (row {seen[key]} has {key})", city)
        seen[key] = row.line
        records.append(
            {
                "city": city,
                "year": year,
                "quantity": quantity,
                "value": row.number("value", minimum=-100.0 if quantity.endswith("_pct") else 0.0, strict=True),
                "precision": row.choice("precision", FIGURE_PRECISIONS),
                "status": row.choice("status", sorted(CITY_STATUSES)),
                "source": row.text("source"),
            }
        )
    return pd.DataFrame(records, columns=["city", "year", "quantity", "value", "precision", "status", "source"])


def load_pre2021(path: str | Path | None = None, cities: list[str] | None = None) -> pd.DataFrame:
    """The city figures up to 2020 (:data:`PRE2021_FILE`, or ``path``): minimum wages, real growth, GDP, income; checked
    row by row by :func:`load_city_figures`."""
    return load_city_figures(path, PRE2021_FILE, PRE2021_YEARS, list(PRE2021_QUANTITIES), cities)


def load_cities(path: str | Path | None = None) -> list[CityRecord]:
    """Read and check a cities table; by default the packaged ``guangdong_cities.csv`` (see ``guangdong_cities_SOURCES.md``).

    Checks: every column of :data:`CITY_COLUMNS` is present; city names are unique; population and GDP are numbers > 0 whose
    ratio is a plausible GDP per resident (:data:`GDP_PER_CAPITA_RANGE_YUAN`);
    lat/lon lie in Guangdong's bounding box; the status columns take values in :data:`CITY_STATUSES`; the three sector
    shares are either all empty or all present and sum to 100 +- 0.1; the census tertiary figure is empty with its status,
    or at most 100,000 per 100,000 with a status. Raises :class:`DataError` naming file, row and field.
    """
    with open_table(path, CITIES_FILE) as (file, stream):
        rows = read_rows(file, stream, CITY_COLUMNS)
    if not rows:
        raise DataError(f"{file}: row 2: expected at least one city, got none")
    cities: list[CityRecord] = []
    first_row: dict[str, int] = {}
    for row in rows:
        name = row.text("city_en")
        if name in first_row:
            raise row.error("city_en", f"a city name not used before (first used at row {first_row[name]})", name)
        first_row[name] = row.line
        shares = {column: row.number(column, allow_empty=True) for column in SECTOR_COLUMNS}
        _check_sector_shares(row, shares)
        cities.append(
            CityRecord(
                name=name,
                name_zh=row.text("city_zh", allow_empty=True),
                group=row.text("region"),
                population_10k=row.number("population_10k_2020", strict=True),
                gdp_100m_yuan=_gdp(row),
                primary_pct=shares["primary_pct"],
                secondary_pct=shares["secondary_pct"],
                tertiary_pct=shares["tertiary_pct"],
                lat=row.in_range("lat", GUANGDONG_LAT_RANGE, "degrees north inside Guangdong"),
                lon=row.in_range("lon", GUANGDONG_LON_RANGE, "degrees east inside Guangdong"),
                population_status=row.choice("population_status", CITY_STATUSES),
                gdp_status=row.choice("gdp_status", CITY_STATUSES),
                **_tertiary(row),
                **_wage(row),
                **_population_2010(row),
                source=row.text("source"),
            )
        )
    return cities


def _gdp(row: _Row) -> float:
    """GDP in 亿元, which must make a GDP per resident inside :data:`GDP_PER_CAPITA_RANGE_YUAN` (a unit slip is caught here)."""
    gdp = row.number("gdp_100m_yuan_2020", strict=True)
    per_resident = gdp * YUAN_PER_100M / (row.number("population_10k_2020", strict=True) * PEOPLE_PER_10K)
    low, high = GDP_PER_CAPITA_RANGE_YUAN
    if not low <= per_resident <= high:
        raise row.error(
            "gdp_100m_yuan_2020",
            f"GDP in 亿元 (100 million yuan) giving {low:,.0f}-{high:,.0f} yuan per resident; it gives {per_resident:,.0f}",
            row.values["gdp_100m_yuan_2020"],
        )
    return gdp


def _with_status(row: _Row, field: str, status_field: str, check, strict: bool = False) -> tuple[float | None, str | None]:
    """An optional figure and its status column: both given, or both empty. A given figure passes ``check(value)``
    (which raises naming ``field``) before its status must be one of :data:`CITY_STATUSES`."""
    value = row.number(field, allow_empty=True, strict=strict)
    if value is None:
        if row.values[status_field].strip():
            raise row.error(status_field, f"empty, as {field} is", row.values[status_field])
        return None, None
    check(value)
    return value, row.choice(status_field, CITY_STATUSES)


def _tertiary(row: _Row) -> dict:
    """The census figure of tertiary-educated residents per 100,000 and its status: both given, or both empty."""

    def check(value: float) -> None:
        if value > PER_100K:
            raise row.error("tertiary_per_100k_2020", f"residents per 100,000, at most {PER_100K:g}", row.values["tertiary_per_100k_2020"])

    value, status = _with_status(row, "tertiary_per_100k_2020", "tertiary_status", check)
    return {"tertiary_per_100k": value, "tertiary_status": status}


def _wage(row: _Row) -> dict:
    """The average monthly wage in yuan and its status: both given, or both empty; a wage is inside :data:`MONTHLY_WAGE_RANGE_YUAN`."""
    low, high = MONTHLY_WAGE_RANGE_YUAN

    def check(value: float) -> None:
        if not low <= value <= high:
            expected = f"an average monthly wage in yuan, {low:,.0f} to {high:,.0f}"
            raise row.error("wage_monthly_yuan_2020", expected, row.values["wage_monthly_yuan_2020"])

    value, status = _with_status(row, "wage_monthly_yuan_2020", "wage_status", check)
    return {"wage_monthly_yuan": value, "wage_status": status}


def _population_2010(row: _Row) -> dict:
    """The 2010 census population and its status: both given, or both empty; 2020 over 2010 inside :data:`DECADE_GROWTH_RANGE`."""
    low, high = DECADE_GROWTH_RANGE

    def check(value: float) -> None:
        growth = row.number("population_10k_2020", strict=True) * PEOPLE_PER_10K / value
        if not low <= growth <= high:
            expected = f"persons in 2010, giving {low:g}-{high:g} times as many residents in 2020; it gives {growth:.2f}"
            raise row.error("population_2010_census", expected, row.values["population_2010_census"])

    value, status = _with_status(row, "population_2010_census", "population_2010_status", check, strict=True)
    return {"population_2010": value, "population_2010_status": status}


def _check_sector_shares(row: _Row, shares: dict[str, float | None]) -> None:
    """Sector shares (% of GDP) are all empty, or all given and summing to 100 up to rounding (guangdong_cities_SOURCES.md)."""
    given = [column for column, value in shares.items() if value is not None]
    if not given:
        return
    if len(given) < len(shares):
        empty = next(column for column, value in shares.items() if value is None)
        raise row.error(empty, f"a share in % because {given} are given (all sector shares or none)", row.values[empty])
    total = sum(shares.values())
    if abs(total - SECTOR_SHARE_SUM_PCT) > SECTOR_SHARE_SUM_TOLERANCE_PCT:
        raise row.error(
            SECTOR_COLUMNS[-1],
            f"sector shares summing to {SECTOR_SHARE_SUM_PCT:g} +- {SECTOR_SHARE_SUM_TOLERANCE_PCT:g} (they sum to {total:.2f})",
            row.values[SECTOR_COLUMNS[-1]],
        )


def records_to_frame(records: Iterable[CityRecord] | Iterable[LinkRecord]) -> pd.DataFrame:
    """A DataFrame with one column per dataclass field (e.g. for :func:`coopsim.plots.region_map`)."""
    return pd.DataFrame([asdict(record) for record in records])


def provincial_totals(path: str | Path | None = None) -> dict[str, float]:
    """Provincial totals from the ``provincial_totals:`` line of ``guangdong_cities_SOURCES.md`` (by default the packaged one).

    The line reads ``provincial_totals: population_10k=12601.2510 gdp_100m_yuan=110760.94 ...``; returns
    ``{"population_10k": 12601.251, "gdp_100m_yuan": 110760.94, ...}``. Population and GDP are required; the census's
    tertiary-educated residents (``tertiary_10k``) and the average wages (``wage_on_post_yuan``, ``wage_employed_yuan``)
    are read where given. Raises :class:`DataError` if the line is missing or malformed.
    """
    return _key_values(path, PROVINCIAL_TOTALS_KEY, ("population_10k", "gdp_100m_yuan"))


def regional_wages(path: str | Path | None = None) -> dict[str, float]:
    """Average yearly wages of employed persons in urban non-private units by region (group of cities), yuan.

    From the ``regional_wages_employed_yuan:`` line of ``guangdong_cities_SOURCES.md``; keys are the cities table's region
    names with spaces written as underscores (``east_wing=79156``); returned with spaces (``{"east wing": 79156.0}``).
    Empty if the file has no such line (then :func:`city_wages` names it when a city needs it).
    """
    values = _key_values(path, REGIONAL_WAGES_KEY, (), optional=True)
    return {key.replace("_", " "): value for key, value in values.items()}


def _key_values(path: str | Path | None, prefix: str, required: tuple[str, ...], optional: bool = False) -> dict[str, float]:
    """The ``key=number`` pairs of the line of a SOURCES file that starts with ``prefix``, with the ``required`` keys.

    With ``optional``, a file without the line gives an empty dict; otherwise it raises :class:`DataError`.
    """
    with open_table(path, CITIES_SOURCES_FILE) as (file, stream):
        lines = stream.read().splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.startswith(prefix):
            continue
        totals: dict[str, float] = {}
        for item in line[len(prefix) :].split():
            key, sep, value = item.partition("=")
            try:
                amount = float(value)
            except ValueError:
                amount = math.nan
            if not sep or not math.isfinite(amount) or amount < 0:
                raise DataError(f"{file}: row {number}: field {key!r}: expected key=number >= 0, got {item!r}")
            totals[key] = amount
        for key in required:
            if key not in totals:
                raise DataError(f"{file}: row {number}: field {key!r}: expected {key}=<number> on the {prefix} line, got {line!r}")
        return totals
    if optional:
        return {}
    raise DataError(f"{file}: expected a line starting with {prefix!r}, got none")


def census_growth_factor(residents_2020, residents_2010, periods_per_year: int = 1):
    """Average growth factor of residents per period between the 2010 and 2020 censuses, ``(L20 / L10) ** (1 / n)`` with
    ``n = periods_per_year * CENSUS_INTERVAL_YEARS`` periods (the censuses are ten years apart to the day); arrays or sums."""
    return (residents_2020 / residents_2010) ** (1.0 / (periods_per_year * CENSUS_INTERVAL_YEARS))


def census_talent(records: list[CityRecord], totals: dict[str, float], sources_file: str) -> tuple[list[float], list[str]]:
    """Tertiary-educated residents of each city (persons), from the 7th census; and the cities that used the fallback.

    A city with a census figure has ``tertiary_per_100k / 100,000 x population``. The cities without one share the
    province's remaining tertiary-educated residents (``tertiary_10k`` of the provincial totals less the cities with a
    figure) in proportion to their population times a rate that rises with GDP per resident as it does across the
    cities with a figure (the slope of a least-squares fit of log rate on log GDP per resident): no city-level number is
    invented, richer cities get more of the remainder, and the province's total holds.
    Raises :class:`DataError` if a fallback is needed and the total is missing or smaller than the cities with a figure.
    """
    people = [r.population_10k * PEOPLE_PER_10K for r in records]
    talent = [
        p * r.tertiary_per_100k / PER_100K if r.tertiary_per_100k is not None else math.nan for p, r in zip(people, records, strict=True)
    ]
    missing = [r.name for r in records if r.tertiary_per_100k is None]
    if not missing:
        return talent, []
    if "tertiary_10k" not in totals:
        raise DataError(
            f"{sources_file}: field 'tertiary_10k': expected tertiary_10k=<number> on the {PROVINCIAL_TOTALS_KEY} line "
            f"(cities without a census figure share the remainder: {missing})"
        )
    known = sum(t for t in talent if not math.isnan(t))
    remainder = totals["tertiary_10k"] * PEOPLE_PER_10K - known
    missing_people = sum(p for p, r in zip(people, records, strict=True) if r.tertiary_per_100k is None)
    if remainder <= 0 or remainder >= missing_people:
        raise DataError(
            f"{sources_file}: field 'tertiary_10k': expected more tertiary-educated residents than the {len(records) - len(missing)} "
            f"cities with a census figure hold ({known / PEOPLE_PER_10K:,.2f} 万) and fewer than the other cities' residents, "
            f"got {totals['tertiary_10k']:g}"
        )
    weight = [p * rate for p, rate in zip(people, _relative_rates(records), strict=True)]
    missing_weight = sum(w for w, t in zip(weight, talent, strict=True) if math.isnan(t))
    shared = [remainder * w / missing_weight if math.isnan(t) else t for w, t in zip(weight, talent, strict=True)]
    over = [r.name for r, t, p in zip(records, shared, people, strict=True) if t >= p]
    if over:
        raise DataError(f"{sources_file}: field 'tertiary_10k': the remainder gives {over} more tertiary-educated residents than residents")
    return shared, missing


def _relative_rates(records: list[CityRecord]) -> list[float]:
    """Each city's GDP per resident to the power of the elasticity of the census tertiary rate to it (a log-log fit)."""
    known = [r for r in records if r.tertiary_per_100k is not None]
    if len(known) < 2:
        return [1.0] * len(records)
    x = np.log([r.gdp_100m_yuan / r.population_10k for r in known])
    y = np.log([r.tertiary_per_100k for r in known])
    slope = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else 0.0
    return [float((r.gdp_100m_yuan / r.population_10k) ** slope) for r in records]


def city_wages(
    records: list[CityRecord], totals: dict[str, float], regional: dict[str, float], sources_file: str
) -> tuple[list[float], list[str]]:
    """Each city's 2020 average monthly wage of on-post employees in urban non-private units, yuan; and the fallbacks.

    A city without its own figure takes its region's yearly average for employed persons in non-private units, times the
    province's ratio of on-post to employed averages (``wage_on_post_yuan / wage_employed_yuan``), over 12 months.
    Raises :class:`DataError` naming the region or total that a fallback needs and the SOURCES file lacks.
    """
    missing = [r for r in records if r.wage_monthly_yuan is None]
    if not missing:
        return [r.wage_monthly_yuan for r in records], []
    for key in ("wage_on_post_yuan", "wage_employed_yuan"):
        if key not in totals:
            raise DataError(f"{sources_file}: field {key!r}: expected {key}=<number> on the {PROVINCIAL_TOTALS_KEY} line")
    on_post_ratio = totals["wage_on_post_yuan"] / totals["wage_employed_yuan"]
    wages = []
    for r in records:
        if r.wage_monthly_yuan is not None:
            wages.append(r.wage_monthly_yuan)
        elif r.group not in regional:
            key = r.group.replace(" ", "_")
            raise DataError(f"{sources_file}: field {key!r}: expected {key}=<yuan> on the {REGIONAL_WAGES_KEY} line ({r.name} has no wage)")
        else:
            wages.append(regional[r.group] * on_post_ratio / MONTHS_PER_YEAR)
    return wages, [r.name for r in missing]


# --------------------------------------------------------------------------------------------------------------------
# links


def load_links(path: str | Path | None = None, cities: Iterable[CityRecord] | None = None) -> list[LinkRecord]:
    """Read and check a links table; by default the packaged ``guangdong_links.csv`` (see ``guangdong_links_SOURCES.md``).

    ``cities`` are the known cities (default: :func:`load_cities` of the packaged table). Checks: every column of
    :data:`LINK_COLUMNS` is present; ``a`` and ``b`` are known and different; ``mode`` is in :data:`TRANSPORT_MODES`; ``minutes``
    and ``km`` are numbers > 0; ``speed_kmh`` is empty or > 0 and, when given, ``minutes == km / speed_kmh * 60`` to
    +- 0.5 min; ``opened`` is empty or an ISO date YYYY-MM-DD; ``status`` is in :data:`LINK_STATUSES`; no two rows share
    pair, mode and opening date. Raises :class:`DataError` naming file, row and field.
    """
    known = [city.name for city in (load_cities() if cities is None else cities)]
    known_set = set(known)
    with open_table(path, LINKS_FILE) as (file, stream):
        rows = read_rows(file, stream, LINK_COLUMNS)
    links: list[LinkRecord] = []
    first_row: dict[tuple[frozenset[str], str, date | None], int] = {}
    for row in rows:
        a, b = row.text("a"), row.text("b")
        for field, name in (("a", a), ("b", b)):
            if name not in known_set:
                raise row.error(field, f"one of the {len(known)} known cities", name)
        if a == b:
            raise row.error("b", f"a city other than a = {a!r}", b)
        mode = row.choice("mode", TRANSPORT_MODES)
        minutes = row.number("minutes", strict=True)
        km = row.number("km", strict=True)
        speed = row.number("speed_kmh", strict=True, allow_empty=True)
        if speed is not None:
            implied = km / speed * MINUTES_PER_HOUR
            if abs(implied - minutes) > MINUTES_CONSISTENCY_TOLERANCE:
                raise row.error(
                    "minutes",
                    f"km / speed_kmh * 60 = {implied:.1f} +- {MINUTES_CONSISTENCY_TOLERANCE:g} (or leave speed_kmh empty)",
                    row.values["minutes"],
                )
        opened = _parse_date(row, "opened")
        key = (frozenset((a, b)), mode, opened)
        if key in first_row:
            raise row.error(
                "opened", f"a pair, mode and opening date not used before (first used at row {first_row[key]})", row.values["opened"]
            )
        first_row[key] = row.line
        links.append(
            LinkRecord(
                a=a,
                b=b,
                mode=mode,
                minutes=minutes,
                km=km,
                speed_kmh=speed,
                opened=opened,
                status=row.choice("status", LINK_STATUSES),
                source=row.text("source"),
            )
        )
    return links


def _parse_date(row: _Row, field: str) -> date | None:
    """An empty cell (link open before the model's start) or a strict ISO date YYYY-MM-DD."""
    raw = row.values[field].strip()
    if not raw:
        return None
    try:
        if not ISO_DATE.match(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise row.error(field, "an ISO date YYYY-MM-DD or an empty cell", raw) from None


def links_as_of(links: Iterable[LinkRecord], when: date | str) -> list[LinkRecord]:
    """The network on date ``when``: per unordered city pair and mode, the fastest row opened on or before ``when``.

    Rows with an empty ``opened`` count as always open; ``planned`` rows never count (guangdong_links_SOURCES.md, "Columns").
    Ties in minutes go to the later opening. The result keeps the order in which each (pair, mode) first appears.
    """
    if isinstance(when, str):
        when = date.fromisoformat(when)
    best: dict[tuple[frozenset[str], str], LinkRecord] = {}
    for link in links:
        if link.status == PLANNED or (link.opened is not None and link.opened > when):
            continue
        key = (link.pair, link.mode)
        current = best.get(key)
        if current is None or (link.minutes, -_ordinal(link.opened)) < (current.minutes, -_ordinal(current.opened)):
            best[key] = link
    return list(best.values())


def _ordinal(opened: date | None) -> int:
    """Sort key of an opening date; an always-open link sorts first."""
    return 0 if opened is None else opened.toordinal()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees (the distance used in ``guangdong_links_SOURCES.md``)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))
