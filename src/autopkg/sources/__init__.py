"""What operators need to know about the publishers' sources, without running a job.

``inventory`` lists every source each processor can need (through the processor kit's
``list_sources``), ``probe`` and ``header`` look at one source remotely (reachable,
size, validators; a GeoTIFF's grid), ``check`` compares what is served with what the
processors believe, and ``mirroring`` copies everything into a mirror folder.
"""
