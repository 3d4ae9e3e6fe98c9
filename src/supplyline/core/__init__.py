"""Core analyses: pure functions and small classes over arrays and GeoDataFrames."""
