"""The gate: what stands between conversion and upload."""
