"""Zalo Bot Platform: the channel (polling or webhook), the API client, and reading its updates."""
