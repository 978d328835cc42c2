"""deploy-gate: may this deployment go further?

The package is a library first (config -> runner -> junit -> policy -> reports -> publishers,
one direction) and a command second (`gate`, see :mod:`gate.cli`).
"""

__all__ = ["__version__"]  # the rest of the surface is in the subpackages' `__all__`

__version__ = "0.1.0"
