"""Municipal and county geography: codes, their history through the reforms, and levels.

``harmonise`` is the function analysts call to put data keyed by any year's municipality
codes into one vintage of borders; ``match_municipalities`` and ``municipality_code`` turn
municipality names (as IMDi and many spreadsheets give them) into the codes of a year.
"""

from pipelines.geography.harmonise import harmonise
from pipelines.geography.history import GeographyError, crosswalk
from pipelines.geography.names import match_municipalities, municipality_code

__all__ = ["GeographyError", "crosswalk", "harmonise", "match_municipalities", "municipality_code"]
