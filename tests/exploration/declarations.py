"""A small valid exploration declaration, shared by the exploration tests (conftest's fixtures and the analysis tests)."""

BASE = {
    "design": "latin",
    "samples": 8,
    "second_order": False,
    "morris_levels": 4,
    "baseline": "none",
    "chunk_size": 4,
    "output_dir": "out",
    "uncertainties": {
        "spillover": {
            "path": "economy.knowledge.spillover_strength",
            "low": 0.0,
            "high": 0.1,
            "distribution": "uniform",
            "source": "Rosenthal & Strange 2004",
        },
        "opening": {"path": "levers.rail_opening_quarter", "low": 1, "high": 3, "distribution": "integer", "source": "assumption"},
    },
    "levers": {
        "agreement": {"path": "agreement", "values": ["rail", "deep_cooperation"]},
        "budget": {"path": "levers.investment_budget", "low": 10.0, "high": 100.0, "distribution": "loguniform"},
    },
    "outcomes": {"effect": ["partner_circle_share"], "effect_pct": ["gdp_share:Shantou"]},
    "classes": {"min_relative_effect": 0.005, "spread_ratio_min": 0.0},
    "analysis": {
        "num_resamples": 100,
        "conf_level": 0.95,
        "prim_threshold": 0.8,
        "peel_alpha": 0.05,
        "paste_alpha": 0.05,
        "mass_min": 0.05,
        "max_quasi_p": 0.05,
        "scatter_parameters": 3,
    },
}
