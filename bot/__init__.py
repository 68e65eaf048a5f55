"""Top floor, the composition root: one running process — app, config, channels, command line, web server."""
