"""Engagement summaries: gathering, the summary card, the report page, export."""
