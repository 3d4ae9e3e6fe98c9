"""Data: the control history, the transport network and places (typed data, no analysis)."""
