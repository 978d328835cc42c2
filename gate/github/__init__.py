"""Publishing to GitHub: the public surface (the implementation is in the submodules).

- `publish.py`  the one entry point, `publish()`, and its options and report;
- `context.py`  where to publish, from the `GITHUB_*` environment and the event payload;
- `rerun.py`    what a manual rerun re-judges (a deployment's sha, a PR's head);
- `artifact.py` a fork PR's result, checked before a trusted workflow publishes it;
- `require.py`  `gate require`: whether an environment's verdict on a commit is success;
- `api.py`, `client.py` the HTTP calls and the retry policy; the surfaces in their own modules.
"""

from gate.errors import PublishError
from gate.github.context import GitHubContext, Overrides, read_context
from gate.github.publish import GITHUB_SURFACES, PublishOptions, PublishReport, publish

__all__ = [
    "GITHUB_SURFACES",
    "GitHubContext",
    "Overrides",
    "PublishError",
    "PublishOptions",
    "PublishReport",
    "publish",
    "read_context",
]
