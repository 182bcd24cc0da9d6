"""Connected cars: the telemetry contract, storage of what cars report, trips, and rules that watch a drive.

The pure core (`signals`, `geo`, `trips`, `watch`) imports no web or ORM code; the ingest worker, the
repository and the API build on it.
"""
