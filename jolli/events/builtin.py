"""Built-in per-space processing: records the files changed between the cursor and the pushed head."""
