"""Reports for people and machines: the coverage, siting and comparison tables, Markdown, JSON and
CSV, in English or Chinese.
"""
