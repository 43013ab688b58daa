"""Slagkracht services: catalog, booking, costsharing."""
