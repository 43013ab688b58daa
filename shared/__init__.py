"""The shared kit: what every Slagkracht service needs the same way (no domain code)."""
