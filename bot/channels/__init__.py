"""Chat platforms: one subpackage per platform (never importing each other), plus what they share."""
