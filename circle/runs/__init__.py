"""Runs: from the inputs to a result folder, manifests and reruns, sweeps, Dask partitions."""
