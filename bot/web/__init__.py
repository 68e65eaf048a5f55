"""The web server's pages: the demo's browser chat and the lead office's dashboard, with their static files."""
