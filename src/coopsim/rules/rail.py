"""RailConnectivity: a new or upgraded rail line between cities, from its opening quarter."""

from __future__ import annotations

import logging

import numpy as np

from coopsim.rules.base import AgreementRule

MINUTES_PER_HOUR = 60.0

log = logging.getLogger(__name__)


class RailConnectivity(AgreementRule):
    """Open a rail line with through trains between all its stations in ``opening_quarter``.

    Parameters (units):
        stations: cities served, in order along the line.
        segment_km: route length of each segment between consecutive stations (km).
        speed_kmh: design speed (km/h).
        average_speed_share: average speed including acceleration and stops as a share of the
            design speed (the planned 350 km/h Shenzhen-Shanwei line covers 125.5 km in a stated
            30 min: 251 km/h, 0.72 of its design speed).
        dwell_minutes: minutes lost at each intermediate stop.
        opening_quarter: the quarter (step) the line opens.
        mode: the network mode the line adds (``hsr`` or ``rail``).
        max_speed_kmh: the highest design speed accepted (a plausibility bound).

    Through trains serve every pair of stations: the time between stations ``a`` and ``b``
    is the sum of their segments' running times plus a dwell per stop between them. The line
    is its own service on the network (named by the rule's config path), beside the
    timetable links of the same mode: a pair's travel time is that of its fastest service,
    so a later scheduled timetable change never makes the line slower, and takes over only
    where it is faster. Travel times over the network, hence trade costs, migration costs
    and spillover access, follow (``Region.set_link`` recomputes them).

    Records ``rail_minutes_saved``: each city's cut in travel time to the first station, in
    the opening quarter. When the line is not faster between its first and last stations
    than the travel time there before it opens, logs a warning and records
    ``rail_line_not_faster`` = 1 for the first station in the opening quarter.
    """

    def __init__(
        self,
        stations: list[str],
        segment_km: list[float],
        speed_kmh: float,
        average_speed_share: float,
        dwell_minutes: float,
        opening_quarter: int,
        mode: str,
        max_speed_kmh: float,
    ) -> None:
        self.stations = list(stations)
        self.segment_km = [float(km) for km in segment_km]
        self.speed_kmh = speed_kmh
        self.average_speed_share = average_speed_share
        self.dwell_minutes = dwell_minutes
        self.opening_quarter = opening_quarter
        self.mode = mode
        self.max_speed_kmh = max_speed_kmh

    def check(self, model) -> None:
        if len(self.stations) < 2:
            self.fail("stations", "at least two stations", self.stations)
        for k, name in enumerate(self.stations):
            self.city_index(model, f"stations[{k}]", name)
        if len(set(self.stations)) != len(self.stations):
            self.fail("stations", "distinct cities", self.stations)
        if len(self.segment_km) != len(self.stations) - 1:
            self.fail("segment_km", f"{len(self.stations) - 1} lengths, one per segment", self.segment_km)
        for k, km in enumerate(self.segment_km):
            if not (np.isfinite(km) and km > 0):
                self.fail(f"segment_km[{k}]", "a length > 0 km", km)
        if not (isinstance(self.speed_kmh, (int, float)) and 0 < self.speed_kmh <= self.max_speed_kmh):
            self.fail("speed_kmh", f"a design speed in (0, {self.max_speed_kmh:g}] km/h (max_speed_kmh)", self.speed_kmh)
        if not (isinstance(self.average_speed_share, (int, float)) and 0 < self.average_speed_share <= 1):
            self.fail("average_speed_share", "a share in (0, 1]", self.average_speed_share)
        self.check_non_negative("dwell_minutes", self.dwell_minutes)
        self.check_quarter(model, "opening_quarter", self.opening_quarter)
        if self.mode not in ("hsr", "rail"):
            self.fail("mode", "'hsr' or 'rail'", self.mode)

    def station_minutes(self) -> dict[tuple[str, str], float]:
        """Through-train minutes between every pair of stations."""
        running = [km / (self.speed_kmh * self.average_speed_share) * MINUTES_PER_HOUR for km in self.segment_km]
        minutes = {}
        for i in range(len(self.stations)):
            for j in range(i + 1, len(self.stations)):
                stops = j - i - 1
                minutes[(self.stations[i], self.stations[j])] = sum(running[i:j]) + stops * self.dwell_minutes
        return minutes

    def apply(self, model) -> None:
        if model.steps != self.opening_quarter:
            return
        region = model.region
        origin = region.index(self.stations[0])
        before = region.travel_minutes.copy()  # every pair's fastest time before the line opens
        ends = (self.stations[0], self.stations[-1])
        for (a, b), minutes in self.station_minutes().items():
            was = float(before[region.index(a), region.index(b)])
            if minutes >= was:
                # only the end-to-end pair is flagged; an intermediate pair may well have a faster line already
                first_last = (a, b) == ends
                message = "%s: the new line is not faster between %s and %s: %.1f min, against %.1f min before it opens"
                log.log(logging.WARNING if first_last else logging.INFO, message, self.path, a, b, minutes, was)
                if first_last:
                    model.record_flow("rail_line_not_faster", [origin], [1.0])
            region.set_link(a, b, self.mode, minutes, service=self.path)
        model.record_flow("rail_minutes_saved", np.arange(region.size), before[origin] - region.travel_minutes[origin])
