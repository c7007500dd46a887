"""Suite-wide settings.

Property tests explore new examples on a developer's machine; in CI (``CI`` set, as
``.ci/run`` runs) they are derandomized, so a red CI run is reproducible and never
depends on the draw. Deadlines are off: this machine is shared and timing is not
what the properties are about.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
