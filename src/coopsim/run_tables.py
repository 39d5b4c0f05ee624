"""Tables saved beside each run's metrics: the region's cities, its transport links, the freight and passenger times to
the core and partner cities, and the run's dated events."""

from __future__ import annotations

import numpy as np
import pandas as pd


def cities_table(model) -> pd.DataFrame:
    """The region's cities with their place, group and initial people (saved with each run, for maps)."""
    region = model.region
    return pd.DataFrame(
        {
            "name": region.city_names,
            "group": region.groups or ["city"] * region.size,
            "sub_centre": [name in region.sub_centres for name in region.city_names],
            "lat": region.lat,
            "lon": region.lon,
            "workers_start": region.workers,
            "talent_start": region.talent,
            "gdp_2020": region.gdp_2020 if region.gdp_2020 is not None else np.nan,
        }
    )


TIMES_COLUMNS = ["freight_minutes", "passenger_minutes", "freight_to_passenger"]


def _pair_times(region, a: int, b: int) -> tuple[float, float, float]:
    """The shortest freight and passenger minutes between two cities over the network as it is now, and their ratio."""
    freight, passenger = float(region.freight_minutes[a, b]), float(region.travel_minutes[a, b])
    return freight, passenger, freight / passenger if passenger > 0 else np.nan


def links_table(model) -> pd.DataFrame:
    """The transport network as it is now: one row per link and mode, with its minutes (and km where known), and the
    pair's shortest freight and passenger minutes over the whole network with their ratio (``freight_to_passenger``)."""
    region = model.region
    names = region.city_names
    rows = [
        (names[a], names[b], d["mode"], d["minutes"], d.get("km") or np.nan, *_pair_times(region, a, b))
        for a, b, d in region.network.edges(data=True)
    ]
    return pd.DataFrame(rows, columns=["a", "b", "mode", "minutes", "km", *TIMES_COLUMNS])


def pair_times_table(model) -> pd.DataFrame:
    """Each city's shortest freight and passenger minutes to the agreement's core and partner cities, and their ratio
    (``to`` names the core or partner; a region without them gives an empty table)."""
    region = model.region
    ends = [end for end in (region.core, region.partner) if end is not None]
    rows = [
        (region.city_names[i], region.city_names[end], *_pair_times(region, i, end)) for end in ends for i in range(region.size) if i != end
    ]
    return pd.DataFrame(rows, columns=["city", "to", *TIMES_COLUMNS])


def events_table(model) -> pd.DataFrame:
    """Dated events of the run, to mark on time paths: ``step, kind, event`` (kind ``timetable`` for the region's
    scheduled link changes, ``agreement`` for a rule's line opening)."""
    rows = [(link.quarter, "timetable", f"{link.a}-{link.b} {link.mode} {link.minutes:g} min") for link in model.region.scheduled_links]
    for key, rule in model.rules.items():
        opening = getattr(rule, "opening_quarter", None)
        if opening is not None:
            rows.append((int(opening), "agreement", f"agreement.rules.{key}: line opens"))
    return pd.DataFrame(rows, columns=["step", "kind", "event"]).sort_values("step", kind="stable").reset_index(drop=True)
