"""What every HTTP function shares: the resolver, problem+json errors, the caller's identity."""
