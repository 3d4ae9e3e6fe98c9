"""Input/output: where data lives, downloads, file loaders and derived-data caches."""
