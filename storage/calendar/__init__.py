"""The reporting calendar: streams, periods, deadlines and working days (data-driven domain facts)."""
