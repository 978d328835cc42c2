"""Reports: `result.json`, `summary.md` and the terminal summary, all from one `GateResult`.

Public surface (what the pipeline and the publishers call):

- `write_reports(result, out_dir)` writes `result.json` (the contract) and `summary.md`
  (`gate.reports.files`, with `remove_reports` and `result_json`);
- `render_markdown(result, limit=, run_url=)` renders the bounded Markdown the publishers post;
- `print_summary(result, stream)` prints the terminal summary;
- `workflow_commands(result)` returns the GitHub Actions annotation lines.

Everything that came from tests or servers is cleaned, redacted again and escaped for where it
lands (see `gate.reports.escape`).
"""

from gate.reports.files import remove_reports, result_json, write_reports
from gate.reports.markdown import DEFAULT_LIMIT, render_markdown
from gate.reports.terminal import print_summary
from gate.reports.workflow import workflow_commands

__all__ = [
    "DEFAULT_LIMIT",
    "print_summary",
    "remove_reports",
    "render_markdown",
    "result_json",
    "workflow_commands",
    "write_reports",
]
