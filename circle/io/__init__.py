"""Reading and writing: layer files and tables, PostGIS, Chinese map datums, OSM files and the
layers derived from their tags, population sources, atomic result folders.

Nothing here knows about walking networks or coverage; every other part of circle builds on it.
"""
