"""The walking network: built from OSM files, graphs or PostGIS, cached; points snapped onto its
edges; the one multi-source search and its compiled kernels; gates; partitions for large runs.
"""
