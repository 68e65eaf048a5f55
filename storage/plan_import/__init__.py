"""Plan import: read a plan's appendix (docx, xlsx, csv, txt/md) into a ParsedPlan."""
