"""Shared test set-up: tests compose the project's real Hydra configs (coopsim.runner.compose_config)."""
