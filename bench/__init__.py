"""Province-scale benchmarks: data generator, conversation throughput, reminder sweep, status queries.

See bench/README.md for the commands and the measured numbers."""
