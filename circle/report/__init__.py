"""Reports for people and machines: the coverage, siting and comparison tables, Markdown, JSON and
CSV, the Excel workbook (`workbook`) and the printable PDF (`printable`), in English or Chinese.
"""
