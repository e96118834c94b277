"""File drops from the directorates: contracts, robust reading, quarantine, record-level data."""
