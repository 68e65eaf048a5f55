"""cdsbot application package: wiring, configuration, channel adapters and the CLI."""
