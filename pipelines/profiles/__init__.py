"""Municipality profiles (kommuneprofiler): one page per municipality with its key indicators
against its county and the nation, the change since last year and the progress status.

Pure modules without Dagster: :func:`profile_data` computes the numbers, :func:`build_profile_figure`
draws one page, :func:`render_profiles` writes all PNGs, the county PDFs and the index.
matplotlib is imported only by the page and render modules, so import those lazily in Dagster
definitions.
"""

from pipelines.profiles.data import profile_data
from pipelines.profiles.spec import ProfileRow, ProfileSpec, ProfileSpecError, load_profile_spec

__all__ = ["ProfileRow", "ProfileSpec", "ProfileSpecError", "load_profile_spec", "profile_data"]
