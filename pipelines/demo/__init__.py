"""Synthetic demo data (clearly labelled as such) for running the pipeline without restricted inputs."""
