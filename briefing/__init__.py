"""A static briefing-site generator: sources and curated Markdown into a verified, cross-linked site."""
