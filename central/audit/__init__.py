"""The entry log's integrity and reading: the hash chain, checkpoints (and the signed reports they
name), entry search, conflicts."""
