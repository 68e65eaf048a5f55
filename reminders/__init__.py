"""Reporting calendar (periods, due moments) and reminder sweeps."""
