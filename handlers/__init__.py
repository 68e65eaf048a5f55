"""Conversations and the lead office's answers: dispatch, flows and their engine, exports (above storage)."""
