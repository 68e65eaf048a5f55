"""Questions in plain words (issue #18): detect, understand, answer with the commands' own facts."""
