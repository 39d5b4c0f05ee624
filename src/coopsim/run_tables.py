"""Tables saved beside each run's metrics: the region's cities, its transport links, and the run's dated events."""

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


def links_table(model) -> pd.DataFrame:
    """The transport network as it is now: one row per link and mode, with minutes."""
    names = model.region.city_names
    rows = [(names[a], names[b], d["mode"], d["minutes"]) for a, b, d in model.region.network.edges(data=True)]
    return pd.DataFrame(rows, columns=["a", "b", "mode", "minutes"])


def events_table(model) -> pd.DataFrame:
    """Dated events of the run, to mark on time paths: ``step, kind, event`` (kind ``timetable`` for the region's
    scheduled link changes, ``agreement`` for a rule's line opening)."""
    rows = [(link.quarter, "timetable", f"{link.a}-{link.b} {link.mode} {link.minutes:g} min") for link in model.region.scheduled_links]
    for key, rule in model.rules.items():
        opening = getattr(rule, "opening_quarter", None)
        if opening is not None:
            rows.append((int(opening), "agreement", f"agreement.rules.{key}: line opens"))
    return pd.DataFrame(rows, columns=["step", "kind", "event"]).sort_values("step", kind="stable").reset_index(drop=True)
