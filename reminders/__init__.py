"""When to ask whom: reminder sweeps, reminder buttons and snoozes, the scheduler (above handlers, below bot)."""
