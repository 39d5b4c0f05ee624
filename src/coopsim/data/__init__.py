"""Packaged data files (cities, transport links) with their SOURCES; read them through :mod:`coopsim.region_data`."""
