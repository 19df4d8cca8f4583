"""scope-auth for Python: exchange API keys for access tokens, and verify those tokens.

The whole public surface is listed here by name.
"""

from ._urls import InsecureUrlWarning
from .async_token_client import AsyncTokenClient
from .claims import Claims
from .errors import ScopeAuthError
from .options import RetryOptions, RevocationOptions
from .token_client import TokenClient
from ._verifier_options import DEFAULT_ALGORITHMS
from .async_verifier import AsyncVerifier
from .verifier import Verifier

__version__ = "0.1.0"

__all__ = [
    "AsyncTokenClient",
    "AsyncVerifier",
    "Claims",
    "DEFAULT_ALGORITHMS",
    "InsecureUrlWarning",
    "RetryOptions",
    "RevocationOptions",
    "ScopeAuthError",
    "TokenClient",
    "Verifier",
    "__version__",
]
