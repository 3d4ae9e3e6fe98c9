"""Presentation: static maps, animations and the offline report."""
