"""The base every configuration section derives from: strict types, unknown keys refused."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A table of `gate.toml`. Strict so that `"5"` is not silently taken for `5`."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
