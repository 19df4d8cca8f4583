"""PyJWT's errors → ScopeAuthError: every one is the caller's token at fault (401 invalid_token)."""

from __future__ import annotations

import jwt

from .errors import ScopeAuthError


def invalid(description: str) -> ScopeAuthError:
    return ScopeAuthError("invalid_token", 401, description)


def map_pyjwt_error(err: BaseException) -> ScopeAuthError:
    if isinstance(err, ScopeAuthError):
        return err
    if isinstance(err, jwt.InvalidAudienceError):
        return invalid("token has an unexpected audience")
    if isinstance(err, jwt.InvalidIssuerError):
        return invalid("token has an unexpected issuer")
    if isinstance(err, jwt.MissingRequiredClaimError):
        return invalid(f'token has no "{err.claim}" claim')
    if isinstance(err, jwt.InvalidAlgorithmError):
        return invalid("token algorithm is not allowed")
    if isinstance(err, jwt.InvalidSignatureError):
        return invalid("token signature is invalid")
    # DecodeError and anything a hostile input makes PyJWT or the JSON/base64 layers raise.
    return invalid("token is malformed")
