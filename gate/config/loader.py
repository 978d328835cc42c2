"""Find, read, interpolate and validate the configuration.

Every failure is a `ConfigError` whose message names the file, the key path, what was expected
and what was found, so that exit code 2 comes with a fix a person can make.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gate.config.keys import positions
from gate.config.schema import GateConfig
from gate.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_MAX_FOUND = 60


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> GateConfig:
    """Load the configuration.

    `path` wins, then `$GATE_CONFIG`, then `gate.toml`, then `[tool.gate]` of `pyproject.toml`
    in the current directory; with none of these, the defaults. A path that was asked for
    explicitly and does not exist is an error, never a silent fall-back to defaults.
    """
    env = os.environ if env is None else env
    file = find_config_file(path, env)
    return _load_file(file, env) if file is not None else GateConfig()


def find_config_file(
    path: str | Path | None, env: Mapping[str, str], folder: Path = Path()
) -> Path | None:
    """The file `load_config` reads, in `folder` (relative paths are taken from there), or
    None for the defaults; the search order is `load_config`'s. The action's input check
    uses it too, so both agree on which file counts."""
    explicit = path if path is not None else env.get("GATE_CONFIG") or None
    if explicit is not None:
        file = folder / explicit
        if not file.is_file():
            what = "is a folder, not a file" if file.is_dir() else "configuration file not found"
            raise ConfigError(f"{file}: {what} (from --config/GATE_CONFIG)")
        return file
    if (folder / "gate.toml").is_file():
        return folder / "gate.toml"
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and "gate" in _read_toml(pyproject).get("tool", {}):
        return pyproject
    return None


def _load_file(file: Path, env: Mapping[str, str]) -> GateConfig:
    data = _read_toml(file)
    prefix = ""
    if file.name == "pyproject.toml":
        data = data.get("tool", {}).get("gate", {})
        prefix = "tool.gate."
    return validate_config(data, source=str(file), env=env, key_prefix=prefix)


def validate_config(
    data: dict[str, Any],
    *,
    source: str = "<config>",
    env: Mapping[str, str] | None = None,
    key_prefix: str = "",
) -> GateConfig:
    """Interpolate `${VAR}` from `env` and validate `data` into a `GateConfig`.

    Every problem found is reported in one message: unset variables and invalid values alike,
    so a config with two mistakes takes one round trip, not two.
    """
    env = os.environ if env is None else env
    secrets: set[str] = set()
    unset: dict[str, str] = {}  # key -> problem, for `${VAR}` without a value
    data = _interpolate(data, env, secrets, key_prefix, unset)
    problems = list(unset.values())
    try:
        config = GateConfig.model_validate(data)
    except ValidationError as exc:
        problems += _describe(exc, data, key_prefix, secrets, set(unset))
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigError(
            "\n".join([f"{source}: invalid configuration ({count}):", *problems])
        ) from None
    secrets.update(s for s in config.secrets if s)
    # Bearer tokens are secrets even when written literally (the plugin masked them already,
    # the gate's own outputs did not).
    bearers = [config.auth.bearer, *(i.bearer for i in config.auth.identities.values())]
    secrets.update(b for b in bearers if b)
    config._source = source
    config._secret_values = frozenset(secrets)
    return config


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; a wrong editor encoding lands here
        raise ConfigError(
            f"{file}: not valid TOML: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None


def _interpolate(
    value: Any, env: Mapping[str, str], secrets: set[str], key: str, unset: dict[str, str]
) -> Any:
    """Replace `${VAR}` / `${VAR:-default}` in every string, remembering values as secrets.

    An unset variable without a default is recorded in `unset` (key -> problem) and becomes "".
    """
    if isinstance(value, dict):
        return {k: _interpolate(v, env, secrets, f"{key}{k}.", unset) for k, v in value.items()}
    if isinstance(value, list):
        return [
            _interpolate(v, env, secrets, f"{key.rstrip('.')}[{i}].", unset)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = env.get(name)
        if found is None:
            if default is None:
                where = key.rstrip(".")
                unset[where] = (
                    f"  - key '{where}' uses ${{{name}}}, but the environment "
                    f"variable {name} is not set; set it (in Actions: `env: {name}: "
                    f"${{{{ secrets.{name} }}}}`) or write ${{{name}:-default}}{positions(where)}"
                )
                return ""
            return default
        if found:
            secrets.add(found)
        return found

    return _VAR.sub(substitute, value)


def _describe(
    exc: ValidationError, data: Any, prefix: str, secrets: set[str], unset: set[str]
) -> list[str]:
    """One line per problem, at the key the user wrote (`unset` keys are reported already)."""
    lines = []
    for error in exc.errors():
        loc = _as_written([str(part) for part in error["loc"]], data)
        key = prefix + _join_loc(loc)
        if key in unset:
            continue  # "${VAR} is not set" says it; the empty stand-in's complaint would not
        if not loc:  # a check across sections (GateConfig's validators): lines naming keys
            lines += [
                f"  - {_root_line(line, prefix)}" for line in _message(error["msg"]).split("\n")
            ]
            continue
        if error["type"] == "extra_forbidden":
            line = f"  - unknown key '{key}'{_suggest(loc)}"
        elif error["type"] == "missing":
            line = f"  - missing required key '{key}'"
        else:
            msg = _message(error["msg"])
            line = f"  - key '{key}': {msg}{_found(error.get('input'), secrets, msg)}"
        lines.append(line + positions(key))
    return lines


def _root_line(line: str, prefix: str) -> str:
    """A whole-config problem's line, its leading `key '...'` given the `[tool.gate]` prefix."""
    return f"key '{prefix}{line[5:]}" if prefix and line.startswith("key '") else line


def _as_written(loc: list[str], data: Any) -> list[str]:
    """The location without steps the user never wrote: `"p(95)<500"` in a threshold list is
    short for `{ threshold = "p(95)<500" }`, so its error belongs at `...[0]`, not
    `...[0].threshold`."""
    node = data
    for depth, part in enumerate(loc):
        if isinstance(node, str):
            return loc[:depth]
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return loc
    return loc


def _message(msg: str) -> str:
    """pydantic's message without its "Value error, " lead-in (the key already says where)."""
    return _lower_first(msg.removeprefix("Value error, "))


def _found(value: Any, secrets: set[str], msg: str) -> str:
    """`; found '5' (str)` for a scalar; nothing for a table or list (its keys are named above,
    and a dump of it is noise), nor for a string the message quotes already."""
    if isinstance(value, dict | list) or (isinstance(value, str) and repr(value) in msg):
        return ""
    if isinstance(value, str) and value in secrets:
        return "; found a secret value (redacted)"
    return f"; found {_show(value)}"


def _join_loc(loc: list[str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _suggest(loc: list[str]) -> str:
    """A "did you mean" for a near-miss key, from the fields allowed where it stands."""
    model: Any = GateConfig
    for part in loc[:-1]:
        model = _field_model(model, part)
        if model is None:
            return ""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return ""
    keys = [field.alias or name for name, field in model.model_fields.items()]  # as in TOML
    close = difflib.get_close_matches(loc[-1], keys, n=1, cutoff=0.6)
    allowed = ", ".join(sorted(keys))
    return f" (did you mean '{close[0]}'?)" if close else f" (allowed: {allowed})"


def _field_model(model: Any, part: str) -> Any:
    """The model class a key path step leads to (through lists, dicts and optionals)."""
    if part.isdigit() or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return model
    fields = {f.alias or name: f for name, f in model.model_fields.items()}
    field = fields.get(part)
    if field is None:
        return None
    return _inner_model(field.annotation)


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _show(value: Any) -> str:
    text = repr(value)
    kind = type(value).__name__
    if len(text) > _MAX_FOUND:
        text = text[: _MAX_FOUND - 3] + "..."
    return f"{text} ({kind})"


def _lower_first(text: str) -> str:
    """pydantic says "Input should be ..."; lower only that first letter, never user names."""
    return text[:1].lower() + text[1:]
