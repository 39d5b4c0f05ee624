"""RailConnectivity: a new or upgraded rail line between cities, from its opening quarter."""

from __future__ import annotations

import logging

import numpy as np

from coopsim.config import RailParams
from coopsim.region_data import MINUTES_PER_HOUR
from coopsim.rules.base import AgreementRule

log = logging.getLogger(__name__)


class RailConnectivity(AgreementRule):
    """Open a rail line with through trains between all its stations in ``opening_quarter``.

    Parameters (:class:`coopsim.config.RailParams`; units):
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

    params_type = RailParams
    params: RailParams

    def check(self, model) -> None:
        """Every station is a city of the region; the line opens within the horizon (the rest: :meth:`RailParams.validate`)."""
        for k, name in enumerate(self.params.stations):
            self.city_index(model, f"stations[{k}]", name)
        self.check_quarter(model, "opening_quarter", self.params.opening_quarter)

    def station_minutes(self) -> dict[tuple[str, str], float]:
        """Through-train minutes between every pair of stations: running time at the average speed, plus a dwell per stop."""
        p = self.params
        running = [km / (p.speed_kmh * p.average_speed_share) * MINUTES_PER_HOUR for km in p.segment_km]
        minutes = {}
        for i in range(len(p.stations)):
            for j in range(i + 1, len(p.stations)):
                stops = j - i - 1
                minutes[(p.stations[i], p.stations[j])] = sum(running[i:j]) + stops * p.dwell_minutes
        return minutes

    def apply(self, model) -> None:
        """In the opening quarter, add the line's pairs to the network as this rule's own service."""
        p = self.params
        if model.steps != p.opening_quarter:
            return
        region = model.region
        origin = region.index(p.stations[0])
        before = region.travel_minutes.copy()  # every pair's fastest time before the line opens
        ends = (p.stations[0], p.stations[-1])
        for (a, b), minutes in self.station_minutes().items():
            was = float(before[region.index(a), region.index(b)])
            if minutes >= was:
                # only the end-to-end pair is flagged; an intermediate pair may well have a faster line already
                first_last = (a, b) == ends
                message = "%s: the new line is not faster between %s and %s: %.1f min, against %.1f min before it opens"
                log.log(logging.WARNING if first_last else logging.INFO, message, self.path, a, b, minutes, was)
                if first_last:
                    model.record_flow("rail_line_not_faster", [origin], [1.0])
            region.set_link(a, b, p.mode, minutes, service=self.path)
        model.record_flow("rail_minutes_saved", np.arange(region.size), before[origin] - region.travel_minutes[origin])
