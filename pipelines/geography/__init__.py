"""Municipal and county geography: codes, their history through the reforms, and levels.

``harmonise`` is the function analysts call to put data keyed by any year's municipality
codes into one vintage of borders.
"""

from pipelines.geography.harmonise import harmonise
from pipelines.geography.history import GeographyError, crosswalk

__all__ = ["GeographyError", "crosswalk", "harmonise"]
