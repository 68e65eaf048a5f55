"""Bottom floor, language: Babel catalogs plus locale-aware text, number and date helpers."""
