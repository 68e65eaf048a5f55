"""Telegram: the channel (polling or webhook), PTB values translated to ours, and its HTTP transport."""
