"""Runs: from the inputs to a result folder, shared by the command line and `circle.study`.

`inputs` is the one input reader, `candidates` the one candidate gatherer, `outputs` the one
result-folder writer; `job` runs coverage (with its manifest and reruns), `site`, `maps` and
`compare` the other commands' work, `reports` the bureau's files of every result folder
(report.xlsx, report.pdf, coverage.gpkg), `sweep` scenario sweeps and `distributed` Dask
partitions.
"""
