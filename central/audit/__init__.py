"""The entry log's integrity and reading: the hash chain, checkpoints, entry search, conflicts."""
