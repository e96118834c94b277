"""Kept for importers not yet moved: the contract shapes live in :mod:`pipelines.catalogue.contracts`.

The catalogue is the bottom layer and must not import from the inbox, so the declarations moved
down. ``pipelines/inbox/assets.py`` still imports them from here (it is being changed on another
branch); once it imports from ``pipelines.catalogue.contracts``, delete this module.
"""

from pipelines.catalogue.contracts import Contract, ContractColumn, RecordSource, Relation

__all__ = ["Contract", "ContractColumn", "RecordSource", "Relation"]
