"""The declarative catalogue in ``assets/``: sources, measures, target groups and indicators."""

from pipelines.catalogue.load import Catalogue, CatalogueError, load_catalogue

__all__ = ["Catalogue", "CatalogueError", "load_catalogue"]
